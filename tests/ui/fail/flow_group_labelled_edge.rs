use pocketflow::prelude::*;

struct Step;
#[node]
impl Step {}

fn main() {
    let (web, docs, write, retry) = (Step, Step, Step, Step);
    let _flow = flow! {
        [web, docs] - "done" >> write;
        write >> retry;
    };
}
