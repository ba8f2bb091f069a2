use pocketflow::prelude::*;

struct Upper;

#[batch_node(limit = 4)]
impl Upper {
    fn prep(&self, _: &()) -> Vec<String> {
        vec!["a".into()]
    }
    async fn exec(&self, word: &str) -> String {
        word.to_uppercase()
    }
}

fn main() {}
