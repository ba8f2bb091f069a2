use pocketflow::prelude::*;

struct Load;

#[node]
impl Load {
    fn prep(&self, _shared: &(), params: &mut u32) -> u32 {
        *params
    }
}

fn main() {}
