use pocketflow::prelude::*;

struct Fetch;

#[node(distributed = "fetch")]
impl Fetch {
    async fn exec(&self) {}
}

fn main() {}
