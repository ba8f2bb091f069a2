use pocketflow::prelude::*;

struct Load;

#[node]
impl Load {
    fn prep<S: Clone>(&self, shared: &S) -> S {
        shared.clone()
    }
}

fn main() {}
