use pocketflow::prelude::*;
use pocketflow::stream::Emitter;

struct Answer;

#[node]
impl Answer {
    fn exec(&self, _prep: &(), tokens: &Emitter<String>) {
        tokens.emit("hi".to_owned());
    }
}

struct Count;

#[node]
impl Count {
    fn exec(&self, _prep: &(), counts: &Emitter<u32>) {
        counts.emit(1);
    }
}

fn main() {
    let (answer, count) = (Answer, Count);
    let flow = flow! { answer >> count };
    // `count` emits `u32`, not `String`.
    let _events = flow.stream::<String>(&mut ());
}
