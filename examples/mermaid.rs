//! Prints an agent-shaped flow, with a nested flow and a batch flow, as a Mermaid flowchart:
//! `cargo run --example mermaid`, then paste the output into any Mermaid viewer.

use pocketflow::prelude::*;

#[derive(Action, Clone, Copy)]
enum Decision {
    Search,
    #[default]
    Answer,
}

struct Decide;
#[node]
impl Decide {
    fn post(&self, _: &mut ()) -> Decision {
        Decision::Answer
    }
}

struct Step;
#[node]
impl Step {}

struct Queries;
#[batch_flow(parallel, limit = 4)]
impl Queries {
    fn prep(&self, _: &()) -> Vec<String> {
        vec!["rust".into(), "flows".into()]
    }
}

struct Fetch;
#[node]
impl Fetch {
    fn prep(&self, _: &(), _query: &String) {}
}

fn main() {
    let (fetch, rank) = (Fetch, Fetch);
    let search = Queries.over(flow! { fetch >> rank });
    let (draft, check) = (Step, Step);
    let answer = flow! { draft >> check };
    let decide = Decide;
    let agent = flow! {
        decide - Decision::Search >> search;
        decide - Decision::Answer >> answer;
        search >> decide;
    };
    print!("{}", agent.to_mermaid());
}
