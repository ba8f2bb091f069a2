use pocketflow::prelude::*;

struct Fetch;

#[node(timeout = "30s")]
impl Fetch {
    fn exec(&self) -> u32 {
        1
    }
}

fn main() {}
