use pocketflow::prelude::*;

struct Fetch;

#[node(wait = "5 fortnights")]
impl Fetch {
    fn exec(&self) {}
}

fn main() {}
