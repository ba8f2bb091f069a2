use pocketflow::prelude::*;

struct Load;
#[node]
impl Load {}

fn main() {
    let load = Load;
    let _flow = flow! { load >> };
}
