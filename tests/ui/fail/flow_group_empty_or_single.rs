use pocketflow::prelude::*;

struct Step;
#[node]
impl Step {}

fn main() {
    let (plan, web, write) = (Step, Step, Step);
    let _empty = flow! { plan >> [] };
    let _single = flow! { plan >> [web] >> write };
}
