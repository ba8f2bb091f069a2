use pocketflow::prelude::*;

struct Decide;

#[node]
impl Decide {
    fn post(&self, _shared: &mut ()) -> u32 {
        1
    }
}

fn main() {}
