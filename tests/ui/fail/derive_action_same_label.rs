use pocketflow::prelude::*;

#[derive(Action)]
enum Outcome {
    HttpError,
    HTTPError,
    #[default]
    Done,
}

fn main() {}
