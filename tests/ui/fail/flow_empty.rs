use pocketflow::prelude::*;

fn main() {
    let _flow = flow! {};
}
