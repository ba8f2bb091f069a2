use pocketflow::prelude::*;

struct Fetch;

#[node(max_retries = 0)]
impl Fetch {
    fn exec(&self) {}
}

fn main() {}
