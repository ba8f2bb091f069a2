use pocketflow::prelude::*;

#[derive(Action)]
enum Verdict {
    Approve,
    Reject,
}

struct Review;

#[node]
impl Review {
    fn post(&self, _: &mut ()) -> Option<Verdict> {
        None
    }
}

fn main() {}
