use pocketflow::prelude::*;

#[derive(Action)]
enum Verdict {
    Approve,
    Reject,
}

struct Review;
#[node]
impl Review {
    fn post(&self, _: &mut ()) -> &'static str {
        "approve"
    }
}

struct Publish;
#[node]
impl Publish {}

fn main() {
    let review = Review;
    let publish = Publish;
    let _flow = flow! { review - Verdict::Approve >> publish };
}
