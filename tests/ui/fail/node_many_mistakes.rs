use pocketflow::prelude::*;

struct Load;

// Every mistake in one item is reported in one compile.
#[node(retries = 2, wait = "soon")]
impl Load {
    fn perp(&self) {}
    fn exec(&mut self) {}
}

fn main() {}
