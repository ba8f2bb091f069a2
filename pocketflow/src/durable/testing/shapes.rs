//! The flows the conformance harness runs: one of every shape a durable run has a position
//! in, all on one store type whose log shows every `post` applied.

use serde::{Deserialize, Serialize};

use crate::durable::{Checkpoints, Outcome};
use crate::error::Result;
use crate::interrupt::Interrupt;
use crate::run::Run;
use crate::{batch_flow, batch_node, flow, node};

/// The shared store of the harness's flows: every `post` pushes one entry to `posts`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Log {
    pub(super) posts: Vec<String>,
    pub(super) approved: bool,
    /// Added to by [`Fault::Update`](super::Fault::Update), on the JSON.
    #[serde(default)]
    pub(super) edits: u32,
}

/// A plain step: logs its name.
struct Step(&'static str);

#[node]
impl Step {
    async fn exec(&self) {
        tokio::task::yield_now().await;
    }

    fn post(&self, log: &mut Log) {
        log.posts.push(self.0.to_owned());
    }
}

/// Waits for `approved`, then logs.
struct Ask;

#[node]
impl Ask {
    fn prep(&self, log: &Log) -> std::result::Result<(), Interrupt> {
        if log.approved {
            Ok(())
        } else {
            Err(Interrupt::new("approve"))
        }
    }

    fn post(&self, log: &mut Log) {
        log.posts.push("ask".to_owned());
    }
}

/// Squares 1..=5 with plain `fn`s, one after another.
struct Squares;

#[batch_node]
impl Squares {
    fn prep(&self, _: &Log) -> Vec<u64> {
        (1..=5).collect()
    }

    fn exec(&self, item: &u64) -> u64 {
        item * item
    }

    fn post(&self, log: &mut Log, _: Vec<u64>, out: Vec<u64>) {
        log.posts.push(format!("squares{out:?}"));
    }
}

/// Cubes 1..=6, two at a time.
struct Cubes;

#[batch_node(parallel, limit = 2)]
impl Cubes {
    fn prep(&self, _: &Log) -> Vec<u64> {
        (1..=6).collect()
    }

    async fn exec(&self, item: &u64) -> u64 {
        tokio::task::yield_now().await;
        item * item * item
    }

    fn post(&self, log: &mut Log, _: Vec<u64>, out: Vec<u64>) {
        log.posts.push(format!("cubes{out:?}"));
    }
}

/// Three documents, one after another.
struct Docs;

#[batch_flow]
impl Docs {
    fn prep(&self, _: &Log) -> Vec<u64> {
        (1..=3).collect()
    }

    fn post(&self, log: &mut Log) {
        log.posts.push("docs".to_owned());
    }
}

/// Four documents, two at a time.
struct DocsAtOnce;

#[batch_flow(parallel, limit = 2)]
impl DocsAtOnce {
    fn prep(&self, _: &Log) -> Vec<u64> {
        (1..=4).collect()
    }

    fn post(&self, log: &mut Log) {
        log.posts.push("docs".to_owned());
    }
}

/// A step of a document's sub-flow: logs its name and the document.
struct DocStep(&'static str);

#[node]
impl DocStep {
    async fn exec(&self) {
        tokio::task::yield_now().await;
    }

    fn post(&self, log: &mut Log, _: (), _: (), doc: &u64) {
        log.posts.push(format!("{}{doc}", self.0));
    }
}

/// The shapes, by name, and whether their posts come in one order whatever the run's history
/// (a parallel batch flow's runs interleave differently after a resume).
pub(super) const SHAPES: [(&str, bool); 8] = [
    ("chain", true),
    ("nested", true),
    ("batch", true),
    ("parallel_batch", true),
    ("batch_flow", true),
    ("parallel_flow", false),
    ("group", false),
    ("interrupt", true),
];

/// Runs (or resumes) `shape` as run `id` on `db`.
pub(super) async fn run<C: Checkpoints>(
    shape: &str,
    db: &C,
    id: &str,
    log: &mut Log,
) -> Result<Outcome> {
    match on(shape, db, id, Op::Run(log)).await? {
        Some(outcome) => Ok(outcome),
        None => Err(crate::error::Error::durable(
            "a run ended with no outcome".into(),
        )),
    }
}

/// Forks run `id` of `shape` at `step` into `new_id`.
pub(super) async fn fork<C: Checkpoints>(
    shape: &str,
    db: &C,
    id: &str,
    step: u64,
    new_id: &str,
) -> Result<()> {
    on(shape, db, id, Op::Fork(step, new_id)).await.map(drop)
}

/// What to do with a shape's durable run.
enum Op<'o> {
    Run(&'o mut Log),
    Fork(u64, &'o str),
}

/// Builds `shape`'s flow and does `op` with its run `id` on `db`.
async fn on<C: Checkpoints>(shape: &str, db: &C, id: &str, op: Op<'_>) -> Result<Option<Outcome>> {
    macro_rules! apply {
        ($flow:expr) => {{
            let flow = $flow;
            let run = flow.durable(db, id);
            match op {
                Op::Run(log) => run.run(log).await.map(Some),
                Op::Fork(step, new_id) => run.fork(step, new_id).await.map(|_| None),
            }
        }};
    }
    match shape {
        "chain" => {
            let (a, b, c) = (Step("a"), Step("b"), Step("c"));
            apply!(flow! { a >> b >> c })
        }
        "nested" => {
            let (b, c) = (Step("b"), Step("c"));
            let inner = flow! { b >> c };
            let (a, d) = (Step("a"), Step("d"));
            apply!(flow! { a >> inner >> d })
        }
        "batch" => {
            let (a, squares, b) = (Step("a"), Squares, Step("b"));
            apply!(flow! { a >> squares >> b })
        }
        "parallel_batch" => {
            let (a, cubes, b) = (Step("a"), Cubes, Step("b"));
            apply!(flow! { a >> cubes >> b })
        }
        "batch_flow" => {
            let (x, y) = (DocStep("x"), DocStep("y"));
            let docs = Docs.over(flow! { x >> y });
            let (a, b) = (Step("a"), Step("b"));
            apply!(flow! { a >> docs >> b })
        }
        "parallel_flow" => {
            let (x, y) = (DocStep("x"), DocStep("y"));
            let docs = DocsAtOnce.over(flow! { x >> y });
            let (a, b) = (Step("a"), Step("b"));
            apply!(flow! { a >> docs >> b })
        }
        "group" => {
            // A member that is a flow, so that a run can stop with it between its steps.
            let (x, y) = (Step("x"), Step("y"));
            let inner = flow! { x >> y };
            let (a, z, b) = (Step("a"), Step("z"), Step("b"));
            apply!(flow! { a >> [inner, z] >> b })
        }
        _ => {
            let (a, ask, b) = (Step("a"), Ask, Step("b"));
            apply!(flow! { a >> ask >> b })
        }
    }
}

/// A person's answer to the interrupt shape's question.
pub(super) async fn approve<C: Checkpoints>(db: &C, id: &str) -> Result<()> {
    let a = Step("a");
    a.durable(db, id)
        .update(|log: &mut Log| log.approved = true)
        .await
}
