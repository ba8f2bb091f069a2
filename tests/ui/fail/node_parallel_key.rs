use pocketflow::prelude::*;

struct Fetch;

#[node(parallel)]
impl Fetch {
    async fn exec(&self) {}
}

fn main() {}
