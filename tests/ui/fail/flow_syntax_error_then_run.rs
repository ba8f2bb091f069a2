use pocketflow::prelude::*;

struct Step;

#[node]
impl Step {
    fn post(&self, count: &mut u32) {
        *count += 1;
    }
}

// The one mistake is the only error: the broken flow is still a flow, so running it and
// drawing it type-check.
async fn run() -> pocketflow::Result<Action> {
    let a = Step;
    let b = Step;
    let flow = flow! { a > b };
    let mut count = 0;
    let _ = flow.to_mermaid();
    flow.run(&mut count).await
}

fn main() {
    let _ = run();
}
