use pocketflow::prelude::*;

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

struct Archive;
#[node]
impl Archive {}

fn main() {
    let review = Review;
    let publish = Publish;
    let archive = Archive;
    let _flow = flow! {
        review - "approve" >> publish;
        review - "approve" >> archive;
    };
}
