use pocketflow::prelude::*;

struct Summarize;

#[node]
impl Summarize {
    fn exce(&self) {}
}

fn main() {}
