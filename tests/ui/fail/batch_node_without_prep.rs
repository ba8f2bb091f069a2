use pocketflow::prelude::*;

struct Upper;

#[batch_node]
impl Upper {
    fn exec(&self, word: &str) -> String {
        word.to_uppercase()
    }
}

fn main() {}
