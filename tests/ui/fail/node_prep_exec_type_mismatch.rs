use pocketflow::prelude::*;

struct Count;

#[node]
impl Count {
    fn prep(&self, shared: &String) -> String {
        shared.clone()
    }
    fn exec(&self, words: &u32) -> u32 {
        *words
    }
}

fn main() {}
