use pocketflow::prelude::*;

struct Upper;

#[batch_node(parallel, limit = 0)]
impl Upper {
    fn prep(&self, _: &()) -> Vec<String> {
        vec!["a".into()]
    }
    async fn exec(&self, word: &str) -> String {
        word.to_uppercase()
    }
}

fn main() {}
