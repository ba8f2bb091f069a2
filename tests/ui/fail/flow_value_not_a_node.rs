use pocketflow::prelude::*;

struct Load;
#[node]
impl Load {}

struct NotANode;

fn main() {
    let load = Load;
    let save = NotANode;
    let _flow = flow! { load >> save };
}
