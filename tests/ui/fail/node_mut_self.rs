use pocketflow::prelude::*;

struct Counter {
    calls: u32,
}

#[node]
impl Counter {
    fn exec(&mut self) {
        self.calls += 1;
    }
}

fn main() {}
