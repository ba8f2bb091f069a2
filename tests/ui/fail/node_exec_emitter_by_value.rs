use pocketflow::prelude::*;
use pocketflow::stream::Emitter;

struct Answer;

#[node]
impl Answer {
    fn exec(&self, _prep: &(), tokens: Emitter<String>) {
        tokens.emit("hi".to_owned());
    }
}

fn main() {}
