use pocketflow::prelude::*;

struct Count;

#[node]
impl Count {
    fn exec(&self) -> usize {
        3
    }
    fn post(&self, shared: &mut String, _prep: (), count: String) {
        *shared = count;
    }
}

fn main() {}
