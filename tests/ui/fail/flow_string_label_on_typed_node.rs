use pocketflow::prelude::*;

#[derive(Action)]
enum Verdict {
    Approve,
    #[default]
    Revise,
}

struct Review;
#[node]
impl Review {
    fn post(&self, _: &mut ()) -> Verdict {
        Verdict::Approve
    }
}

struct Publish;
#[node]
impl Publish {}

fn main() {
    let review = Review;
    let publish = Publish;
    let _flow = flow! { review - "approve" >> publish };
}
