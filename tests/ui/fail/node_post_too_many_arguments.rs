use pocketflow::prelude::*;

struct Save;

#[node]
impl Save {
    fn post(&self, shared: &mut String, prep: (), exec: (), params: &u32, extra: u8) {
        let _ = (shared, prep, exec, params, extra);
    }
}

fn main() {}
