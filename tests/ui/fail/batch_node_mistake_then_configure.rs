use pocketflow::prelude::*;

#[derive(Default)]
struct Shared {
    out: Vec<String>,
}

struct Upper;

// The one mistake is the only error: the batch node keeps its type and its run-time knobs.
#[batch_node(parallel)]
impl Upper {
    fn prep(&self, _: &Shared) -> Vec<String> {
        vec!["a".into()]
    }
    fn exec(&self, word: &String) -> String {
        word.to_uppercase()
    }
    fn post(&self, shared: &mut Shared, _: Vec<String>, out: Vec<String>) {
        shared.out = out;
    }
}

fn main() {
    let progress = pocketflow::Progress::new();
    let upper = Upper.with_max_retries(2).with_progress(&progress);
    let _ = flow! { upper }.run_blocking(&mut Shared::default());
}
