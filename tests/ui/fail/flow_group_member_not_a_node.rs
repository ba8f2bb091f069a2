use pocketflow::prelude::*;

struct Step;
#[node]
impl Step {}

fn main() {
    let (plan, web) = (Step, Step);
    let docs = "not a node";
    let _flow = flow! { plan >> [web, docs] };
}
