use pocketflow::prelude::*;

struct Each;

#[batch_flow(max_retries = 3)]
impl Each {
    fn prep(&self, _: &()) -> Vec<u32> {
        vec![1]
    }
}

fn main() {}
