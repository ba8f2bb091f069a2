use pocketflow::prelude::*;

struct Load;

#[node]
impl Default for Load {
    fn default() -> Self {
        Load
    }
}

fn main() {}
