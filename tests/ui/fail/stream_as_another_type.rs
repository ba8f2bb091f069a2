use pocketflow::prelude::*;
use pocketflow::stream::Emitter;

struct Answer;

#[node]
impl Answer {
    fn exec(&self, _prep: &(), tokens: &Emitter<String>) {
        tokens.emit("hi".to_owned());
    }
}

struct Done;

#[node]
impl Done {}

fn main() {
    let (answer, done) = (Answer, Done);
    let flow = flow! { answer >> done };
    // `answer` emits `String`, not `u32`.
    let _events = flow.stream::<u32>(&mut ());
}
