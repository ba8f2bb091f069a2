use pocketflow::prelude::*;

struct Load;

#[node]
impl Load {
    fn exec() -> u32 {
        1
    }
}

fn main() {}
