// String, typed and default edges, loops, and a flow nested in a flow.
use pocketflow::prelude::*;

#[derive(Action, Clone, Copy, PartialEq, Debug)]
enum Verdict {
    Approve,
    #[default]
    Revise,
}

struct Draft;
#[node]
impl Draft {
    fn post(&self, drafts: &mut u32) -> Verdict {
        *drafts += 1;
        if *drafts < 3 { Verdict::Revise } else { Verdict::Approve }
    }
}

struct Publish;
#[node]
impl Publish {
    fn post(&self, _: &mut u32) -> &'static str {
        "published"
    }
}

struct Announce;
#[node]
impl Announce {}

fn writing() -> impl Node<u32> {
    let draft = Draft;
    let publish = Publish;
    flow! {
        draft - Verdict::Approve >> publish;
        draft >> draft;
    }
}

fn main() {
    let writing = writing();
    let announce = Announce;
    let all = flow! { writing - "published" >> announce };
    let mut drafts = 0;
    assert_eq!(all.run_blocking(&mut drafts).unwrap(), Action::DEFAULT);
    assert_eq!(drafts, 3);
}
