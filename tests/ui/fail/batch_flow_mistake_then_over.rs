use pocketflow::prelude::*;

#[derive(Default)]
struct Shared {
    lines: Vec<String>,
}

struct EachName;

// The one mistake is the only error: the batch flow keeps `over`, and its result still runs.
#[batch_flow(parallel, limit = 0)]
impl EachName {
    fn prep(&self, _: &Shared) -> Vec<&'static str> {
        vec!["ada", "grace"]
    }
}

struct Greet;

#[node]
impl Greet {
    fn prep(&self, _: &Shared, name: &&'static str) -> String {
        format!("hello {name}")
    }
    fn post(&self, shared: &mut Shared, line: String, _: ()) {
        shared.lines.push(line);
    }
}

fn main() {
    let greet = Greet;
    let all = EachName.over(flow! { greet });
    let mut shared = Shared::default();
    let _ = all.run_blocking(&mut shared);
}
