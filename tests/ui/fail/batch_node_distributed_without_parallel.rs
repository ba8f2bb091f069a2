use pocketflow::prelude::*;

struct Shout;

#[batch_node(distributed = "shout")]
impl Shout {
    fn prep(&self, words: &Vec<String>) -> Vec<String> {
        words.clone()
    }
    async fn exec(&self, word: &String) -> String {
        word.to_uppercase()
    }
}

fn main() {}
