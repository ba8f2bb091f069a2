use pocketflow::prelude::*;

struct Chat {
    question: String,
    answer: String,
}

struct Answer;
#[node]
impl Answer {
    fn prep(&self, chat: &Chat) -> String {
        chat.question.clone()
    }
    fn exec(&self, question: &String) -> String {
        format!("an answer to {question}")
    }
    fn post(&self, chat: &mut Chat, answer: String) {
        chat.answer = answer;
    }
}

struct Lengths;
#[batch_node]
impl Lengths {
    fn prep(&self, chat: &Chat) -> Vec<String> {
        vec![chat.question.clone()]
    }
    fn exec(&self, word: &String) -> usize {
        word.len()
    }
    fn post(&self, chat: &mut Chat, lengths: Vec<usize>) {
        chat.answer = format!("{lengths:?}");
    }
}

fn main() {}
