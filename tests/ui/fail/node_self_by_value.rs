use pocketflow::prelude::*;

struct Load;

#[node]
impl Load {
    fn exec(self) {}
}

fn main() {}
