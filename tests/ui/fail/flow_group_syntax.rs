use pocketflow::prelude::*;

struct Step;
#[node]
impl Step {}

fn main() {
    let (plan, web, docs) = (Step, Step, Step);
    let _flow = flow! { plan >> [web docs] };
}
