use pocketflow::prelude::*;

struct Shout;

#[batch_node(parallel, distributed = 3)]
impl Shout {
    fn prep(&self, words: &Vec<String>) -> Vec<String> {
        words.clone()
    }
    async fn exec(&self, word: &String) -> String {
        word.to_uppercase()
    }
}

struct Whisper;

#[batch_node(parallel, distributed = "has space")]
impl Whisper {
    fn prep(&self, words: &Vec<String>) -> Vec<String> {
        words.clone()
    }
    async fn exec(&self, word: &String) -> String {
        word.to_lowercase()
    }
}

struct Mumble;

#[batch_node(parallel, distributed = "")]
impl Mumble {
    fn prep(&self, words: &Vec<String>) -> Vec<String> {
        words.clone()
    }
    async fn exec(&self, word: &String) -> String {
        word.to_lowercase()
    }
}

fn main() {}
