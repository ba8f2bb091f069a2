use pocketflow::prelude::*;

struct Shared {
    text: String,
}

struct Summarize;

#[node]
impl Summarize {
    fn exec(&self, text: &String, shared: &mut Shared) -> String {
        shared.text = text.clone();
        text.clone()
    }
}

fn main() {}
