//! Batch flows in durable runs, on the in-memory backend. A sequential batch flow whose items
//! are serde types is resumed at its item and at the step inside that item's sub-flow: its
//! `prep` is not called again and no committed `post` runs twice. Parallel batch flows, and
//! items that are not serde types, are one step.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use pocketflow::durable::{Checkpoints, Memory, Outcome, Status};
use pocketflow::prelude::*;
use pocketflow::{ErrorKind, Interrupt};
use serde::{Deserialize, Serialize};

/// Every `post` applied to the store, in order; a person's answer.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Log {
    posts: Vec<String>,
    approved: bool,
}

/// What the test controls and counts from outside the store.
#[derive(Default)]
struct Knobs {
    preps: AtomicU32,
    drafts: AtomicU32,
    /// `check` hangs in `exec` on item "b" while set (a process that dies there).
    hang: AtomicBool,
    /// `post` of the batch flow fails while set.
    fail_post: AtomicBool,
}

/// The batch flow: one sub-flow run per document name.
struct EachDoc(Arc<Knobs>);

#[batch_flow]
impl EachDoc {
    fn prep(&self, log: &Log) -> Vec<String> {
        self.0.preps.fetch_add(1, Ordering::SeqCst);
        let _ = log;
        vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]
    }

    fn post(&self, log: &mut Log, docs: Vec<String>) -> Result<(), String> {
        if self.0.fail_post.load(Ordering::SeqCst) {
            return Err("the index is down".to_owned());
        }
        log.posts.push(format!("indexed {}", docs.join(",")));
        Ok(())
    }
}

struct Draft(Arc<Knobs>);

#[node]
impl Draft {
    fn exec(&self) {
        self.0.drafts.fetch_add(1, Ordering::SeqCst);
    }

    fn post(&self, log: &mut Log, _: (), _: (), doc: &String) {
        log.posts.push(format!("draft {doc}"));
    }
}

/// Asks a person about document "b"; may hang there.
struct Check(Arc<Knobs>);

#[node]
impl Check {
    fn prep(&self, log: &Log, doc: &String) -> Result<String, Interrupt> {
        if doc == "b" && !log.approved {
            return Err(Interrupt::new("approve b"));
        }
        Ok(doc.clone())
    }

    async fn exec(&self, doc: &String) {
        if doc == "b" && self.0.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    }

    fn post(&self, log: &mut Log, doc: String, _: ()) {
        log.posts.push(format!("check {doc}"));
    }
}

struct Note(&'static str);

#[node]
impl Note {
    fn post(&self, log: &mut Log) {
        log.posts.push(self.0.to_owned());
    }
}

/// `first >> docs >> last`, where `docs` runs `draft >> check` per document.
fn pipeline(knobs: &Arc<Knobs>) -> impl Node<Log> + use<> {
    let (draft, check) = (Draft(knobs.clone()), Check(knobs.clone()));
    let docs = EachDoc(knobs.clone()).over(flow! { draft >> check });
    let (first, last) = (Note("first"), Note("last"));
    flow! { first >> docs >> last }
}

const ALL_POSTS: [&str; 9] = [
    "first",
    "draft a",
    "check a",
    "draft b",
    "check b",
    "draft c",
    "check c",
    "indexed a,b,c",
    "last",
];

#[tokio::test]
async fn an_interrupt_inside_a_batch_flow_resumes_at_that_item_and_step() {
    let db = Memory::new();
    let knobs = Arc::new(Knobs::default());
    let flow = pipeline(&knobs);
    let run = flow.durable(&db, "docs");

    let outcome = run.run(&mut Log::default()).await.unwrap();
    let Outcome::Interrupted(why) = outcome else {
        panic!("expected an interrupt, got {outcome:?}");
    };
    assert_eq!((why.node(), why.reason()), ("docs.check", "approve b"));
    let saved = db.load("docs").await.unwrap().unwrap();
    assert_eq!(saved.status, Status::Interrupted);
    // The outer step, the item, the step inside the item's sub-flow; then the items.
    assert_eq!(
        saved.position,
        r#"{"path":[1,1,1],"batches":[{"depth":1,"items":["a","b","c"]}]}"#
    );
    let stopped: Log = serde_json::from_str(&saved.store).unwrap();
    assert_eq!(stopped.posts, ALL_POSTS[..4]);

    run.update(|log: &mut Log| log.approved = true)
        .await
        .unwrap();
    let mut log = Log::default();
    assert_eq!(
        run.run(&mut log).await.unwrap(),
        Outcome::Finished(Action::DEFAULT)
    );
    assert_eq!(log.posts, ALL_POSTS, "every post once, in order");
    assert_eq!(
        knobs.preps.load(Ordering::SeqCst),
        1,
        "prep is not called again"
    );
    assert_eq!(knobs.drafts.load(Ordering::SeqCst), 3);

    let history = db.history("docs").await.unwrap();
    let nodes: Vec<_> = history.iter().filter_map(|h| h.node.as_deref()).collect();
    assert_eq!(
        nodes,
        [
            "first",
            "docs.draft",
            "docs.check",
            "docs.draft",
            "docs.check", // the interrupt, saved before `check` of b
            "docs.check",
            "docs.draft",
            "docs.check",
            "docs",
            "last"
        ],
        "a checkpoint per post, inside the batch flow too"
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_dropped_inside_a_batch_flow_resumes_there() {
    let db = Memory::new();
    let knobs = Arc::new(Knobs::default());
    knobs.hang.store(true, Ordering::SeqCst);
    let flow = pipeline(&knobs);
    let run = flow.durable(&db, "dropped");
    let mut log = Log {
        approved: true,
        ..Log::default()
    };
    let dropped = tokio::time::timeout(Duration::from_secs(1), run.run(&mut log)).await;
    assert!(dropped.is_err(), "the run hangs in check of b");
    let saved = db.load("dropped").await.unwrap().unwrap();
    assert_eq!(saved.status, Status::Running);
    let stopped: Log = serde_json::from_str(&saved.store).unwrap();
    assert_eq!(stopped.posts, ALL_POSTS[..4], "draft b is committed");

    knobs.hang.store(false, Ordering::SeqCst);
    let mut log = Log::default();
    run.run(&mut log).await.unwrap();
    assert_eq!(log.posts, ALL_POSTS);
    assert_eq!(knobs.preps.load(Ordering::SeqCst), 1);
    assert_eq!(knobs.drafts.load(Ordering::SeqCst), 3, "draft b ran once");
}

#[tokio::test]
async fn a_batch_flow_whose_post_failed_resumes_at_its_post() {
    let db = Memory::new();
    let knobs = Arc::new(Knobs::default());
    knobs.fail_post.store(true, Ordering::SeqCst);
    let flow = pipeline(&knobs);
    let run = flow.durable(&db, "post");
    let mut log = Log {
        approved: true,
        ..Log::default()
    };
    let err = run.run(&mut log).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Phase);
    assert_eq!(
        db.load("post").await.unwrap().unwrap().status,
        Status::Failed
    );

    knobs.fail_post.store(false, Ordering::SeqCst);
    let mut log = Log::default();
    run.run(&mut log).await.unwrap();
    let expected: Vec<_> = ALL_POSTS.iter().map(|p| p.to_string()).collect();
    assert_eq!(log.posts, expected, "the items are not run again");
    assert_eq!(knobs.preps.load(Ordering::SeqCst), 1);
    assert_eq!(knobs.drafts.load(Ordering::SeqCst), 3);
}

/// A parallel batch flow is one step: its sub-flows write no checkpoints of their own.
#[tokio::test]
async fn a_parallel_batch_flow_is_one_step() {
    struct Both;
    #[batch_flow(parallel)]
    impl Both {
        fn prep(&self, _: &Log) -> Vec<String> {
            vec!["x".to_owned(), "y".to_owned()]
        }
    }
    struct Mark;
    #[node]
    impl Mark {
        fn post(&self, log: &mut Log, _: (), _: (), doc: &String) {
            log.posts.push(doc.clone());
        }
    }

    let db = Memory::new();
    let mark = Mark;
    let (first, both, last) = (Note("first"), Both.over(flow! { mark }), Note("last"));
    let flow = flow! { first >> both >> last };
    let mut log = Log::default();
    flow.durable(&db, "parallel").run(&mut log).await.unwrap();
    let mut posts = log.posts.clone();
    posts[1..3].sort();
    assert_eq!(posts, ["first", "x", "y", "last"]);
    let nodes: Vec<_> = db
        .history("parallel")
        .await
        .unwrap()
        .into_iter()
        .filter_map(|h| h.node)
        .collect();
    assert_eq!(nodes, ["first", "both", "last"]);
}
