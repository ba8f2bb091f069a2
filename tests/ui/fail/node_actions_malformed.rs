use pocketflow::prelude::*;

struct Twice;
#[node(actions = ["done", "done"])]
impl Twice {
    fn post(&self, _: &mut ()) -> &'static str {
        "done"
    }
}

struct NotAList;
#[node(actions = "done")]
impl NotAList {
    fn post(&self, _: &mut ()) -> &'static str {
        "done"
    }
}

fn main() {}
