use pocketflow::prelude::*;

struct Fetch;

#[node(max_retries = 2, max_retries = 3)]
impl Fetch {
    fn exec(&self) {}
}

fn main() {}
