use pocketflow::prelude::*;

struct NotAnError;

struct Fetch;

#[node]
impl Fetch {
    fn exec(&self) -> Result<u32, NotAnError> {
        Ok(1)
    }
}

fn main() {}
