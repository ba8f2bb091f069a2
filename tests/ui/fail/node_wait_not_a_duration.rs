use pocketflow::prelude::*;

struct Fetch;

#[node(wait = 500)]
impl Fetch {
    fn exec(&self) {}
}

fn main() {}
