use pocketflow::prelude::*;

struct Copy;

#[node]
impl Copy {
    fn prep(&self, shared: &String) -> String {
        shared.clone()
    }
    fn post(&self, shared: &mut Vec<String>, text: String, _: ()) {
        shared.push(text);
    }
}

fn main() {}
