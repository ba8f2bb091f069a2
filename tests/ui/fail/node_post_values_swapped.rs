use pocketflow::prelude::*;

struct Answer;
#[node]
impl Answer {
    fn prep(&self, question: &String) -> String {
        question.clone()
    }
    fn exec(&self, question: &String) -> usize {
        question.len()
    }
    fn post(&self, _: &mut String, length: usize, question: String) {
        let _ = (length, question);
    }
}

fn main() {}
