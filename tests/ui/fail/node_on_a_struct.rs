use pocketflow::prelude::*;

#[node]
struct Load {
    path: String,
}

fn main() {}
