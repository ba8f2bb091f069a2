use pocketflow::prelude::*;

struct Load;

#[node]
impl Load {
    const fn exec(&self) -> u32 {
        1
    }
}

fn main() {}
