use pocketflow::prelude::*;

struct Fetch;

#[node(retries = 3)]
impl Fetch {
    fn exec(&self) {}
}

fn main() {}
