use pocketflow::prelude::*;

struct Load;
#[node]
impl Load {}

struct Save;
#[node]
impl Save {}

fn main() {
    let load = Load;
    let save = Save;
    let _flow = flow! { load - 3 >> save };
}
