use pocketflow::prelude::*;

struct Decide;
#[node(actions = ["search", "answer"])]
impl Decide {
    fn post(&self, _: &mut ()) -> &'static str {
        "search"
    }
}

struct Step;
#[node]
impl Step {}

fn main() {
    let (decide, search, answer) = (Decide, Step, Step);
    let _agent = flow! {
        decide - "serch" >> search;
        decide - "answer" >> answer;
    };
}
