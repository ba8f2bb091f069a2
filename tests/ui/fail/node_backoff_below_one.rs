use pocketflow::prelude::*;

struct Fetch;

#[node(max_retries = 3, wait = "1s", backoff = 0.5)]
impl Fetch {
    async fn exec(&self) -> u32 {
        1
    }
}

fn main() {}
