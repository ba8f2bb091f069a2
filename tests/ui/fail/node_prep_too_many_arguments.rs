use pocketflow::prelude::*;

struct Load;

#[node]
impl Load {
    fn prep(&self, shared: &String, params: &u32, extra: &u8) -> String {
        format!("{shared}{params}{extra}")
    }
}

fn main() {}
