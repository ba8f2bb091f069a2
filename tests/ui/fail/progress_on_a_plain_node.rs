use pocketflow::prelude::*;

struct Fetch;

#[node]
impl Fetch {
    async fn exec(&self) {}
}

fn main() {
    let progress = pocketflow::Progress::new();
    let _fetch = Fetch.with_progress(&progress);
}
