use pocketflow::prelude::*;

struct Fetch;

#[node]
impl Fetch {
    fn exec(&self) -> Result<u32, String> {
        Err("down".into())
    }
    fn exec_fallback(&self, err: pocketflow::Error) -> u32 {
        let _ = err;
        0
    }
}

fn main() {}
