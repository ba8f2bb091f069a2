use pocketflow::prelude::*;

#[derive(Default)]
struct Doc {
    text: String,
}

struct Load;

// The one mistake is the only error: the node keeps its type, so the flow and the run below
// still type-check.
#[node]
impl Load {
    fn prep(&self, shared: Doc) -> String {
        shared.text
    }
    fn post(&self, _shared: &mut Doc, _text: String, _: ()) -> &'static str {
        "done"
    }
}

struct Save;

#[node]
impl Save {
    fn post(&self, shared: &mut Doc) {
        shared.text.clear();
    }
}

async fn run() -> pocketflow::Result<Action> {
    let load = Load;
    let save = Save;
    let flow = flow! { load - "done" >> save };
    let mut doc = Doc::default();
    flow.run(&mut doc).await
}

fn main() {
    let _ = Load.run_blocking(&mut Doc::default());
    let _ = run();
}
