use pocketflow::prelude::*;

struct Upper;

#[batch_node(parallel)]
impl Upper {
    fn prep(&self, _: &()) -> Vec<String> {
        vec!["a".into()]
    }
    fn exec(&self, word: &str) -> String {
        word.to_uppercase()
    }
}

fn main() {}
