//! Durable runs of flows on the in-memory backend: checkpoints after every step, resume where
//! a run stopped (interrupt, failure, a run dropped mid-step), nested flows, shapes, history.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use pocketflow::durable::{Checkpoints, Memory, Outcome, Status};
use pocketflow::prelude::*;
use pocketflow::{ErrorKind, Interrupt};
use serde::{Deserialize, Serialize};

/// How often each step's `post` was applied to the store.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Counts {
    posts: Vec<(String, u32)>,
    approved: bool,
}

impl Counts {
    fn add(&mut self, step: &str) {
        match self.posts.iter_mut().find(|(name, _)| name == step) {
            Some((_, count)) => *count += 1,
            None => self.posts.push((step.to_owned(), 1)),
        }
    }

    fn count(&self, step: &str) -> u32 {
        self.posts
            .iter()
            .find(|(name, _)| name == step)
            .map_or(0, |(_, count)| *count)
    }
}

/// Counts its posts in the store; its `exec` can be made to hang (a process that dies there),
/// to fail, or to wait for approval.
#[derive(Default)]
struct Step {
    name: &'static str,
    hang: Arc<AtomicBool>,
    fail: Arc<AtomicBool>,
    ask: bool,
    execs: Arc<AtomicU32>,
}

impl Step {
    fn named(name: &'static str) -> Step {
        Step {
            name,
            ..Step::default()
        }
    }
}

#[node]
impl Step {
    fn prep(&self, counts: &Counts) -> Result<(), Interrupt> {
        if self.ask && !counts.approved {
            return Err(Interrupt::new(format!("approve {}", self.name)));
        }
        Ok(())
    }

    async fn exec(&self) -> Result<(), String> {
        self.execs.fetch_add(1, Ordering::SeqCst);
        if self.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if self.fail.load(Ordering::SeqCst) {
            return Err(format!("{} is down", self.name));
        }
        Ok(())
    }

    async fn post(&self, counts: &mut Counts) {
        counts.add(self.name);
    }
}

fn all_once(counts: &Counts, steps: &[&str]) {
    for step in steps {
        assert_eq!(counts.count(step), 1, "{step} in {counts:?}");
    }
}

#[tokio::test]
async fn a_finished_run_has_a_step_per_post_and_runs_nothing_again() {
    let db = Memory::new();
    let (a, b, c) = (Step::named("a"), Step::named("b"), Step::named("c"));
    let execs = b.execs.clone();
    let flow = flow! { a >> b >> c };
    let run = flow.durable(&db, "run-1");
    let mut counts = Counts::default();
    assert_eq!(
        run.run(&mut counts).await.unwrap(),
        Outcome::Finished(Action::DEFAULT)
    );
    all_once(&counts, &["a", "b", "c"]);

    let saved = db.load("run-1").await.unwrap().unwrap();
    assert_eq!((saved.status, saved.step), (Status::Finished, 3));
    let history = db.history("run-1").await.unwrap();
    let steps: Vec<_> = history
        .iter()
        .map(|entry| (entry.step, entry.node.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [(0, None), (1, Some("a")), (2, Some("b")), (3, Some("c"))]
    );

    // Run again, it runs nothing and hands back the final store (SPEC section 10).
    let mut again = Counts::default();
    assert_eq!(
        run.run(&mut again).await.unwrap(),
        Outcome::Finished(Action::DEFAULT)
    );
    assert_eq!(again, counts);
    assert_eq!(execs.load(Ordering::SeqCst), 1);
    let runs = db.list().await.unwrap();
    assert_eq!(
        (runs[0].id.as_str(), runs[0].status),
        ("run-1", Status::Finished)
    );
}

/// A run dropped while a node is in flight (what a killed process does to the run) resumes at
/// that node on the saved store: every post applied once in the end.
#[tokio::test(start_paused = true)]
async fn a_run_dropped_mid_step_resumes_at_that_step() {
    let db = Memory::new();
    let (a, b, c) = (Step::named("a"), Step::named("b"), Step::named("c"));
    let hang = b.hang.clone();
    hang.store(true, Ordering::SeqCst);
    let flow = flow! { a >> b >> c };
    let run = flow.durable(&db, "dropped");
    let mut counts = Counts::default();
    let dropped = tokio::time::timeout(Duration::from_secs(1), run.run(&mut counts)).await;
    assert!(dropped.is_err());
    let saved = db.load("dropped").await.unwrap().unwrap();
    assert_eq!(
        (saved.status, saved.step, saved.position.as_str()),
        (Status::Running, 1, r#"{"path":[1],"names":["b"]}"#)
    );

    hang.store(false, Ordering::SeqCst);
    // Whatever the caller passes, a resumed run starts from the saved store.
    let mut fresh = Counts::default();
    fresh.add("junk");
    assert_eq!(
        run.run(&mut fresh).await.unwrap(),
        Outcome::Finished(Action::DEFAULT)
    );
    all_once(&fresh, &["a", "b", "c"]);
    assert_eq!(fresh.count("junk"), 0);
}

/// An interrupt inside a nested flow: the run stops before that node, `update` answers, and the
/// next run starts the node again from `prep`, inside the nested flow.
#[tokio::test]
async fn an_interrupt_inside_a_nested_flow_resumes_there_after_an_update() {
    let db = Memory::new();
    let (b, c) = (
        Step::named("b"),
        Step {
            ask: true,
            ..Step::named("c")
        },
    );
    let inner = flow! { b >> c };
    let (a, d) = (Step::named("a"), Step::named("d"));
    let outer = flow! { a >> inner >> d };
    let run = outer.durable(&db, "nested");
    let mut counts = Counts::default();
    match run.run(&mut counts).await.unwrap() {
        Outcome::Interrupted(why) => {
            assert_eq!((why.node(), why.reason()), ("inner.c", "approve c"));
        }
        other => panic!("{other:?}"),
    }
    let saved = db.load("nested").await.unwrap().unwrap();
    assert_eq!(
        (saved.status, saved.step, saved.position.as_str()),
        (
            Status::Interrupted,
            2,
            r#"{"path":[1,1],"names":["inner","c"]}"#
        )
    );
    assert_eq!(saved.message.as_deref(), Some("approve c"));

    run.update(|counts: &mut Counts| counts.approved = true)
        .await
        .unwrap();
    let mut resumed = Counts::default();
    assert_eq!(
        run.run(&mut resumed).await.unwrap(),
        Outcome::Finished(Action::DEFAULT)
    );
    all_once(&resumed, &["a", "b", "c", "d"]);
    let last = db.load("nested").await.unwrap().unwrap();
    assert_eq!((last.step, last.node.as_deref()), (4, Some("d")));
    let nodes: Vec<_> = db
        .history("nested")
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.node.unwrap_or_default())
        .collect();
    assert_eq!(nodes, ["", "a", "inner.b", "inner.c", "inner.c", "d"]);
}

/// A node that fails for good marks the run failed with the error's text; once the cause is
/// fixed, running again retries from that node, not from the start.
#[tokio::test]
async fn a_failed_run_retries_from_the_failed_node() {
    let db = Memory::new();
    let (a, b) = (Step::named("a"), Step::named("b"));
    let fail = b.fail.clone();
    fail.store(true, Ordering::SeqCst);
    let a_execs = a.execs.clone();
    let flow = flow! { a >> b };
    let run = flow.durable(&db, "failing");
    let mut counts = Counts::default();
    let err = run.run(&mut counts).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Phase);
    let saved = db.load("failing").await.unwrap().unwrap();
    assert_eq!(saved.status, Status::Failed);
    assert_eq!(saved.node.as_deref(), Some("b"));
    assert!(saved.message.unwrap().contains("b is down"));

    fail.store(false, Ordering::SeqCst);
    let mut resumed = Counts::default();
    run.run(&mut resumed).await.unwrap();
    all_once(&resumed, &["a", "b"]);
    assert_eq!(a_execs.load(Ordering::SeqCst), 1);
}

/// A checkpoint written by a flow of one shape is never resumed by another.
#[tokio::test]
async fn a_flow_of_another_shape_cannot_resume_a_run() {
    let db = Memory::new();
    let (a, b) = (
        Step::named("a"),
        Step {
            ask: true,
            ..Step::named("b")
        },
    );
    let first = flow! { a >> b };
    let mut counts = Counts::default();
    let outcome = first.durable(&db, "shaped").run(&mut counts).await.unwrap();
    assert!(matches!(outcome, Outcome::Interrupted(_)));

    let (a, c, b) = (Step::named("a"), Step::named("c"), Step::named("b"));
    let other = flow! { a >> c >> b };
    let err = other
        .durable(&db, "shaped")
        .run(&mut counts)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Durable);
    assert!(err.to_string().contains("another shape"), "{err}");
}

/// An interrupt from `exec` is not retried and runs no fallback.
struct AsksInExec {
    attempts: AtomicU32,
}

#[node(max_retries = 5)]
impl AsksInExec {
    fn exec(&self) -> Result<(), Interrupt> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        Err(Interrupt::new("check the numbers"))
    }

    fn exec_fallback(&self, _prep: &(), _error: pocketflow::Error) {}
}

#[tokio::test]
async fn an_interrupt_from_exec_is_not_retried() {
    let db = Memory::new();
    let node = AsksInExec {
        attempts: AtomicU32::new(0),
    };
    let outcome = node.durable(&db, "exec").run(&mut ()).await.unwrap();
    match outcome {
        Outcome::Interrupted(why) => {
            assert_eq!(
                (why.node(), why.reason()),
                ("AsksInExec", "check the numbers")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(node.attempts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn updating_a_run_never_saved_is_an_error() {
    let db = Memory::new();
    let a = Step::named("a");
    let flow = flow! { a };
    let err = flow
        .durable(&db, "nobody")
        .update(|counts: &mut Counts| counts.approved = true)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Durable);
}

/// Two processes that resume one run id at once: the first to commit a step goes on, the other
/// stops with an error at its next save instead of committing over it.
#[tokio::test]
async fn two_runs_of_one_id_at_once_cannot_both_commit() {
    /// Waits at its first exec until the test lets it go.
    struct Gate {
        first: AtomicBool,
        open: tokio::sync::Notify,
    }
    #[node]
    impl Gate {
        async fn exec(&self) {
            if !self.first.swap(true, Ordering::SeqCst) {
                self.open.notified().await;
            }
        }
        fn post(&self, counts: &mut Counts) {
            counts.add("gate");
        }
    }

    let db = Memory::new();
    let gate = Gate {
        first: AtomicBool::new(false),
        open: tokio::sync::Notify::new(),
    };
    let (a, c) = (Step::named("a"), Step::named("c"));
    let flow = flow! { a >> gate >> c };
    let run = flow.durable(&db, "twice");
    let mut first_counts = Counts::default();
    let mut first = std::pin::pin!(run.run(&mut first_counts));
    assert!(
        futures::poll!(first.as_mut()).is_pending(),
        "the first run waits at the gate, after a"
    );
    // Meanwhile a second process runs the same id to its end.
    let mut second_counts = Counts::default();
    run.run(&mut second_counts).await.unwrap();
    flow.gate.open.notify_one();
    let err = first.await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Durable);
    assert!(
        err.to_string().contains("moved on by another process"),
        "{err}"
    );
    let saved = db.load("twice").await.unwrap().unwrap();
    assert_eq!(
        saved.status,
        Status::Finished,
        "the second run's end stands"
    );
    let counts: Counts = serde_json::from_str(&saved.store).unwrap();
    all_once(&counts, &["a", "gate", "c"]);
}
