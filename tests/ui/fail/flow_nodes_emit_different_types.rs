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

struct Quiet;

#[node]
impl Quiet {}

fn main() {
    let (answer, quiet, count) = (Answer, Quiet, Count);
    // `count` emits `u32` where `answer` emits `String`: an error even before any stream.
    let _flow = flow! { answer >> quiet >> count };
}
