use pocketflow::prelude::*;

struct EachImage;

#[batch_flow]
impl EachImage {
    fn prep(&self, _: &()) -> Vec<u32> {
        vec![1, 2]
    }
    fn exec(&self, image: &u32) -> u32 {
        *image
    }
}

fn main() {}
