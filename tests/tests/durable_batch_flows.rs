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
    // The outer step, the item, the step inside the item's sub-flow; then the items, which
    // the first checkpoint inside the batch flow holds (step 2), not every one after it.
    assert_eq!(
        saved.position,
        r#"{"path":[1,1,1],"names":["docs","","check"],"batches":[{"depth":1,"items_at":2}]}"#
    );
    let holder = db.checkpoint_at("docs", 2).await.unwrap().unwrap();
    assert!(
        holder.position.contains(r#""items":["a","b","c"]"#),
        "{}",
        holder.position
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

/// Runs `run` (approved) until it hangs in `check` of b, drops it there (a process that dies),
/// and returns its last checkpoint and that checkpoint's store.
async fn drop_when_hung<N: Node<Log>>(
    run: &pocketflow::durable::DurableRun<'_, N, Memory>,
    db: &Memory,
) -> (pocketflow::durable::Checkpoint, Log) {
    let mut log = Log {
        approved: true,
        ..Log::default()
    };
    let dropped = tokio::time::timeout(Duration::from_secs(1), run.run(&mut log)).await;
    assert!(dropped.is_err(), "the run hangs in check of b");
    let saved = db.load(run.id()).await.unwrap().unwrap();
    let stopped = serde_json::from_str(&saved.store).unwrap();
    (saved, stopped)
}

#[tokio::test(start_paused = true)]
async fn a_run_dropped_inside_a_batch_flow_resumes_there() {
    let db = Memory::new();
    let knobs = Arc::new(Knobs::default());
    knobs.hang.store(true, Ordering::SeqCst);
    let flow = pipeline(&knobs);
    let run = flow.durable(&db, "dropped");
    let (saved, stopped) = drop_when_hung(&run, &db).await;
    assert_eq!(saved.status, Status::Running);
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

/// The parallel twin of [`EachDoc`]: two documents at a time.
struct EachDocAtOnce(Arc<Knobs>);

#[batch_flow(parallel, limit = 2)]
impl EachDocAtOnce {
    fn prep(&self, _: &Log) -> Vec<String> {
        self.0.preps.fetch_add(1, Ordering::SeqCst);
        vec![
            "a".to_owned(),
            "b".to_owned(),
            "c".to_owned(),
            "d".to_owned(),
        ]
    }

    fn post(&self, log: &mut Log, docs: Vec<String>) {
        log.posts.push(format!("indexed {}", docs.join(",")));
    }
}

fn parallel_pipeline(knobs: &Arc<Knobs>) -> impl Node<Log> + use<> {
    let (draft, check) = (Draft(knobs.clone()), Check(knobs.clone()));
    let docs = EachDocAtOnce(knobs.clone()).over(flow! { draft >> check });
    let (first, last) = (Note("first"), Note("last"));
    flow! { first >> docs >> last }
}

/// Every post of the parallel pipeline once, the runs' in any order between `first` and the
/// batch flow's own post.
fn assert_all_once_in_parallel(posts: &[String]) {
    assert_eq!(posts.first().map(String::as_str), Some("first"));
    assert_eq!(
        &posts[posts.len() - 2..],
        ["indexed a,b,c,d", "last"],
        "{posts:?}"
    );
    let mut runs = posts[1..posts.len() - 2].to_vec();
    runs.sort();
    let mut expected: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .flat_map(|doc| [format!("check {doc}"), format!("draft {doc}")])
        .collect();
    expected.sort();
    assert_eq!(runs, expected, "each run's posts once");
}

#[tokio::test]
async fn an_interrupt_inside_a_parallel_batch_flow_keeps_every_run_at_its_place() {
    let db = Memory::new();
    let knobs = Arc::new(Knobs::default());
    let flow = parallel_pipeline(&knobs);
    let run = flow.durable(&db, "at-once");
    let outcome = run.run(&mut Log::default()).await.unwrap();
    let Outcome::Interrupted(why) = outcome else {
        panic!("expected an interrupt, got {outcome:?}");
    };
    assert_eq!((why.node(), why.reason()), ("docs.check", "approve b"));
    let saved = db.load("at-once").await.unwrap().unwrap();
    // a is done, b waits at check (step 1 of its sub-flow); c and d had not started.
    assert_eq!(
        saved.position,
        r#"{"path":[1,0],"names":["docs",""],"batches":[{"depth":1,"items":["a","b","c","d"],"runs":{"done":[0],"at":[[1,{"path":[1],"names":["check"]}]]}}]}"#
    );
    let stopped: Log = serde_json::from_str(&saved.store).unwrap();
    assert_eq!(stopped.posts, ["first", "draft a", "check a", "draft b"]);

    run.update(|log: &mut Log| log.approved = true)
        .await
        .unwrap();
    let mut log = Log::default();
    run.run(&mut log).await.unwrap();
    assert_all_once_in_parallel(&log.posts);
    assert_eq!(
        knobs.preps.load(Ordering::SeqCst),
        1,
        "prep is not called again"
    );
    assert_eq!(
        knobs.drafts.load(Ordering::SeqCst),
        4,
        "draft a and b not again"
    );
}

#[tokio::test(start_paused = true)]
async fn a_run_dropped_inside_a_parallel_batch_flow_resumes_each_run_at_its_place() {
    let db = Memory::new();
    let knobs = Arc::new(Knobs::default());
    knobs.hang.store(true, Ordering::SeqCst);
    let flow = parallel_pipeline(&knobs);
    let run = flow.durable(&db, "dropped");
    let (saved, stopped) = drop_when_hung(&run, &db).await;
    // b hangs in exec of check; a, c and d went through beside it.
    assert_eq!(
        stopped.posts,
        [
            "first", "draft a", "check a", "draft b", "draft c", "check c", "draft d", "check d"
        ]
    );
    assert!(
        saved
            .position
            .contains(r#""runs":{"done":[0,2,3],"at":[[1,{"path":[1],"names":["check"]}]]}"#),
        "{}",
        saved.position
    );

    knobs.hang.store(false, Ordering::SeqCst);
    let mut log = Log::default();
    run.run(&mut log).await.unwrap();
    assert_all_once_in_parallel(&log.posts);
    assert_eq!(knobs.preps.load(Ordering::SeqCst), 1);
    assert_eq!(knobs.drafts.load(Ordering::SeqCst), 4, "no draft ran twice");
}

/// Over a node written by hand, which may touch the store any number of times, a parallel
/// batch flow cannot say where each run is: it is one step.
#[tokio::test]
async fn a_parallel_batch_flow_over_a_hand_written_node_is_one_step() {
    struct Both;
    #[batch_flow(parallel)]
    impl Both {
        fn prep(&self, _: &Log) -> Vec<String> {
            vec!["x".to_owned(), "y".to_owned()]
        }
    }
    /// Writes the store twice per run.
    struct Twice;
    impl NodeInfo for Twice {
        type Action = Action;
        const NAME: &'static str = "Twice";
    }
    impl Node<Log, String> for Twice {
        async fn run_node(
            &self,
            mut store: pocketflow::Store<'_, Log>,
            doc: &String,
        ) -> pocketflow::Result<Action> {
            store.access().await.posts.push(format!("{doc} 1"));
            tokio::task::yield_now().await;
            store.access().await.posts.push(format!("{doc} 2"));
            Ok(Action::DEFAULT)
        }
    }

    let db = Memory::new();
    let twice = Twice;
    let (first, both, last) = (Note("first"), Both.over(flow! { twice }), Note("last"));
    let flow = flow! { first >> both >> last };
    let mut log = Log::default();
    flow.durable(&db, "one-step").run(&mut log).await.unwrap();
    assert_eq!(log.posts.len(), 6);
    assert_eq!(step_nodes(&db, "one-step").await, ["first", "both", "last"]);
}

/// A sequential batch flow whose items are not serde types is one step, and so is all that
/// runs inside it: the nodes of its sub-flow write no checkpoint, and a batch node there
/// journals nothing (its `prep` runs again on each item, as in a plain run).
#[tokio::test]
async fn a_batch_flow_over_items_that_are_not_serde_types_is_one_step_inside_too() {
    /// Not `Serialize`: the batch flow cannot write it into a checkpoint.
    struct Page(u32);
    struct Pages;
    #[batch_flow]
    impl Pages {
        fn prep(&self, _: &Log) -> Vec<Page> {
            vec![Page(1), Page(2)]
        }
    }
    struct Read;
    #[node]
    impl Read {
        fn post(&self, log: &mut Log, _: (), _: (), page: &Page) {
            log.posts.push(format!("read {}", page.0));
        }
    }
    /// A batch node of serde items: journaled when the run follows it.
    struct Lines;
    #[batch_node]
    impl Lines {
        fn prep(&self, _: &Log, page: &Page) -> Vec<u32> {
            vec![page.0 * 10, page.0 * 10 + 1]
        }
        fn exec(&self, line: &u32) -> u32 {
            *line
        }
        fn post(&self, log: &mut Log, _: Vec<u32>, lines: Vec<u32>) {
            log.posts.push(format!("lines {lines:?}"));
        }
    }

    let db = Memory::new();
    let (read, lines) = (Read, Lines);
    let pages = Pages.over(flow! { read >> lines });
    let (first, last) = (Note("first"), Note("last"));
    let flow = flow! { first >> pages >> last };
    let mut log = Log::default();
    flow.durable(&db, "pages").run(&mut log).await.unwrap();
    assert_eq!(
        log.posts,
        [
            "first",
            "read 1",
            "lines [10, 11]",
            "read 2",
            "lines [20, 21]",
            "last"
        ]
    );
    assert_eq!(step_nodes(&db, "pages").await, ["first", "pages", "last"]);
}

/// The node of each step in the history of run `id`.
async fn step_nodes(db: &Memory, id: &str) -> Vec<String> {
    let history = db.history(id).await.unwrap();
    history.into_iter().filter_map(|step| step.node).collect()
}

/// A process that dies right after its `lives`-th checkpoint: the saves after it never return.
struct DiesAfter {
    db: Memory,
    saves: AtomicU32,
    lives: u32,
}

impl Checkpoints for DiesAfter {
    async fn load(&self, id: &str) -> pocketflow::Result<Option<pocketflow::durable::Checkpoint>> {
        self.db.load(id).await
    }

    async fn save(
        &self,
        id: &str,
        checkpoint: &pocketflow::durable::Checkpoint,
    ) -> pocketflow::Result<()> {
        if self.saves.fetch_add(1, Ordering::SeqCst) >= self.lives {
            std::future::pending::<()>().await;
        }
        self.db.save(id, checkpoint).await
    }

    async fn update_store(
        &self,
        id: &str,
        edit: &mut (dyn FnMut(&str) -> pocketflow::Result<String> + Send),
    ) -> pocketflow::Result<()> {
        self.db.update_store(id, edit).await
    }

    async fn list(&self) -> pocketflow::Result<Vec<pocketflow::durable::RunInfo>> {
        self.db.list().await
    }

    async fn history(
        &self,
        id: &str,
    ) -> pocketflow::Result<Vec<pocketflow::durable::HistoryEntry>> {
        self.db.history(id).await
    }

    async fn save_item(
        &self,
        id: &str,
        version: u64,
        slot: u64,
        value: &str,
    ) -> pocketflow::Result<bool> {
        self.db.save_item(id, version, slot, value).await
    }

    async fn items(&self, id: &str, version: u64) -> pocketflow::Result<Vec<(u64, String)>> {
        self.db.items(id, version).await
    }
}

/// Three runs at once whose async posts hold the store across a wait, so that a finished post
/// hands the lock straight to a sibling's: a run dies after each of its checkpoints in turn,
/// and every resumed run ends with each post applied once.
#[tokio::test(start_paused = true)]
async fn a_parallel_batch_flow_dying_after_any_checkpoint_applies_each_post_once() {
    struct Fan;
    #[batch_flow(parallel, limit = 3)]
    impl Fan {
        fn prep(&self, _: &Log) -> Vec<u32> {
            (1..=5).collect()
        }
    }
    struct Write(&'static str);
    #[node]
    impl Write {
        fn prep(&self, _: &Log, item: &u32) -> u32 {
            *item
        }
        async fn exec(&self, item: &u32) {
            tokio::time::sleep(Duration::from_millis(u64::from(*item % 3))).await;
        }
        async fn post(&self, log: &mut Log, item: u32, _: ()) {
            tokio::time::sleep(Duration::from_millis(1)).await;
            log.posts.push(format!("{} {item}", self.0));
        }
    }

    let (w1, w2) = (Write("w1"), Write("w2"));
    let (first, fan, last) = (Note("first"), Fan.over(flow! { w1 >> w2 }), Note("last"));
    let flow = flow! { first >> fan >> last };
    let mut expected: Vec<String> = (1..=5)
        .flat_map(|item| [format!("w1 {item}"), format!("w2 {item}")])
        .collect();
    expected.sort();
    let mut deaths = 0;
    for lives in 1.. {
        let dying = DiesAfter {
            db: Memory::new(),
            saves: AtomicU32::new(0),
            lives,
        };
        let died = tokio::time::timeout(
            Duration::from_secs(5),
            flow.durable(&dying, "fan").run(&mut Log::default()),
        )
        .await
        .is_err();
        flow.durable(&dying.db, "fan")
            .run(&mut Log::default())
            .await
            .unwrap();
        let saved = dying.db.load("fan").await.unwrap().unwrap();
        let log: Log = serde_json::from_str(&saved.store).unwrap();
        let mut runs: Vec<String> = log.posts[1..log.posts.len() - 1].to_vec();
        runs.sort();
        assert_eq!(runs, expected, "after dying at save {lives}");
        assert_eq!(log.posts.first().map(String::as_str), Some("first"));
        assert_eq!(log.posts.last().map(String::as_str), Some("last"));
        assert_eq!(saved.step, 13, "every post counted once");
        if !died {
            break;
        }
        deaths += 1;
    }
    assert!(deaths >= 4, "died {deaths} times");
}

/// A post that writes, then fails, inside a parallel batch flow: the run goes back to its last
/// clean checkpoint, and the retried post is applied once.
#[tokio::test]
async fn a_post_failing_after_a_write_in_a_parallel_run_is_applied_once() {
    struct Two;
    #[batch_flow(parallel, limit = 2)]
    impl Two {
        fn prep(&self, _: &Log) -> Vec<String> {
            vec!["a".to_owned(), "b".to_owned()]
        }
    }
    struct Half(Arc<AtomicBool>);
    #[node]
    impl Half {
        fn post(&self, log: &mut Log, _: (), _: (), doc: &String) -> Result<(), String> {
            log.posts.push(format!("step2 {doc}"));
            if doc == "b" && self.0.load(Ordering::SeqCst) {
                return Err("disk full".to_owned());
            }
            Ok(())
        }
    }
    struct One;
    #[node]
    impl One {
        fn post(&self, log: &mut Log, _: (), _: (), doc: &String) {
            log.posts.push(format!("step1 {doc}"));
        }
    }

    let fail = Arc::new(AtomicBool::new(true));
    let db = Memory::new();
    let (one, half) = (One, Half(fail.clone()));
    let two = Two.over(flow! { one >> half });
    let run = two.durable(&db, "half");
    run.run(&mut Log::default()).await.unwrap_err();
    fail.store(false, Ordering::SeqCst);
    run.run(&mut Log::default()).await.unwrap();
    let saved: Log = serde_json::from_str(&db.load("half").await.unwrap().unwrap().store).unwrap();
    let mut posts = saved.posts.clone();
    posts.sort();
    assert_eq!(posts, ["step1 a", "step1 b", "step2 a", "step2 b"]);
}

/// A batch node whose first item is NaN: JSON cannot hold it.
struct NotNumbers;

#[batch_node]
impl NotNumbers {
    fn prep(&self, _: &Log) -> Vec<f64> {
        vec![f64::NAN, 1.0]
    }

    fn exec(&self, item: &f64) -> f64 {
        *item
    }
}

/// Two documents, each run through `NotNumbers`.
struct TwoDocs;

#[batch_flow(parallel, limit = 2)]
impl TwoDocs {
    fn prep(&self, _: &Log) -> Vec<u64> {
        vec![1, 2]
    }
}

/// Inside the runs of a parallel batch flow a batch node journals nothing (it is one step of
/// the run), yet an item JSON cannot hold fails it there as it does anywhere in a durable run.
#[tokio::test]
async fn a_value_json_cannot_hold_fails_a_batch_node_inside_a_parallel_batch_flow() {
    let db = Memory::new();
    let numbers = NotNumbers;
    let docs = TwoDocs.over(flow! { numbers });
    let error = flow! { docs }
        .durable(&db, "nan-inside")
        .run(&mut Log::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.durable_kind(),
        Some(pocketflow::DurableErrorKind::Unreadable),
        "{error}"
    );
    assert!(error.to_string().contains("is NaN"), "{error}");
}

/// Items of a sequential batch flow: floats that need all their digits, and a list nested 200
/// deep (more than serde_json's text parser takes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Nested {
    Leaf(f64),
    List(Vec<Nested>),
}

struct EachNested;

#[batch_flow]
impl EachNested {
    fn prep(&self, _: &Log) -> Vec<Nested> {
        let mut deep = Nested::Leaf(0.5);
        for _ in 0..200 {
            deep = Nested::List(vec![deep]);
        }
        vec![Nested::Leaf(1.0715660391465826e-75), deep]
    }
}

/// Stops the run at its first item: the resumed batch flow reads its items back from the
/// checkpoint.
struct SeeItem(Arc<AtomicBool>);

#[node]
impl SeeItem {
    fn prep(&self, _: &Log, item: &Nested) -> Result<Nested, Interrupt> {
        if !self.0.swap(true, Ordering::SeqCst) {
            return Err(Interrupt::new("look at the first item"));
        }
        Ok(item.clone())
    }

    fn post(&self, log: &mut Log, item: Nested, _: ()) {
        log.posts
            .push(format!("{item:?}").chars().take(40).collect());
    }
}

/// The items a batch flow saves in its checkpoints come back as they were: a float to its last
/// bit, a deep value whole.
#[tokio::test]
async fn a_batch_flow_resumes_with_its_items_exactly() {
    let db = Memory::new();
    let seen = Arc::new(AtomicBool::new(false));
    let see = SeeItem(seen.clone());
    let each = EachNested.over(flow! { see });
    let flow = flow! { each };
    let mut log = Log::default();
    let outcome = flow.durable(&db, "exact").run(&mut log).await.unwrap();
    assert!(matches!(outcome, Outcome::Interrupted(_)), "{outcome:?}");
    let outcome = flow.durable(&db, "exact").run(&mut log).await.unwrap();
    assert!(matches!(outcome, Outcome::Finished(_)), "{outcome:?}");
    assert_eq!(log.posts[0], "Leaf(1.0715660391465826e-75)");
    assert!(
        log.posts[1].starts_with("List([List([List("),
        "{:?}",
        log.posts
    );
}
