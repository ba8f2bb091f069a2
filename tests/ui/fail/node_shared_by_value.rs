use pocketflow::prelude::*;

struct Load;

#[node]
impl Load {
    fn prep(&self, shared: String) -> String {
        shared
    }
}

fn main() {}
