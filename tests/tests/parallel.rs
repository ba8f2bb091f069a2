//! What Python PocketFlow gets wrong about parallel work, and params: bounded sliding windows,
//! per-item attempts, cancelled siblings, no lost updates, `Send` flows. Timing runs on tokio's
//! paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use pocketflow::prelude::*;
use tokio::time::{Instant, sleep};

/// Tracks how many `exec`s run at once.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl InFlight {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Item 0 takes 30 ms, every other item 10 ms; at most 3 at once.
struct Window {
    in_flight: InFlight,
}

#[batch_node(parallel, limit = 3)]
impl Window {
    fn prep(&self, _: &Vec<usize>) -> std::ops::Range<usize> {
        0..20
    }

    async fn exec(&self, item: &usize) -> usize {
        self.in_flight.enter();
        sleep(Duration::from_millis(if *item == 0 { 30 } else { 10 })).await;
        self.in_flight.leave();
        item * 10
    }

    fn post(&self, out: &mut Vec<usize>, _items: Vec<usize>, results: Vec<usize>) {
        *out = results;
    }
}

/// (a) `limit = 3` over 20 items keeps exactly 3 in flight as a sliding window, not in waves.
#[tokio::test(start_paused = true)]
async fn a_limit_bounds_the_items_in_flight_as_a_sliding_window() {
    let node = Window {
        in_flight: InFlight::default(),
    };
    let mut out = Vec::new();
    let start = Instant::now();
    node.run(&mut out).await.unwrap();
    assert_eq!(node.in_flight.max.load(Ordering::SeqCst), 3);
    assert_eq!(out, (0..20).map(|i| i * 10).collect::<Vec<_>>());
    // While item 0 takes 30 ms, the two other slots finish items 1..=6; the remaining 13 items
    // then take five more 10 ms rounds on three slots. Waves of three would take 90 ms.
    assert_eq!(start.elapsed(), Duration::from_millis(80));
}

/// Every item fails twice, then succeeds.
struct TwiceFlaky {
    attempts: Vec<AtomicU32>,
}

#[batch_node(parallel, max_retries = 3, wait = "5ms")]
impl TwiceFlaky {
    fn prep(&self, _: &Vec<u32>) -> std::ops::Range<usize> {
        0..self.attempts.len()
    }

    async fn exec(&self, item: &usize) -> Result<u32, String> {
        let attempt = self.attempts[*item].fetch_add(1, Ordering::SeqCst) + 1;
        sleep(Duration::from_millis(1 + *item as u64)).await;
        if attempt < 3 {
            Err(format!("item {item} attempt {attempt}"))
        } else {
            Ok(attempt)
        }
    }

    fn exec_fallback(&self, _item: &usize, _err: pocketflow::Error) -> u32 {
        0
    }

    fn post(&self, out: &mut Vec<u32>, _items: Vec<usize>, attempts: Vec<u32>) {
        *out = attempts;
    }
}

/// (b) Each item has its own attempts: none falls back early because a sibling used them up.
#[tokio::test(start_paused = true)]
async fn every_item_gets_its_own_three_attempts() {
    let node = TwiceFlaky {
        attempts: (0..10).map(|_| AtomicU32::new(0)).collect(),
    };
    let mut out = Vec::new();
    let start = Instant::now();
    node.run(&mut out).await.unwrap();
    assert_eq!(out, vec![3; 10], "no item fell back");
    assert!(node.attempts.iter().all(|a| a.load(Ordering::SeqCst) == 3));
    // the slowest item: three attempts of 10 ms and two waits of 5 ms
    assert_eq!(start.elapsed(), Duration::from_millis(40));
}

/// Counts drops of the futures it lives in.
struct DropGuard(Arc<AtomicU32>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Item 0 fails after 5 ms; the others would take 5 s.
struct FailFast {
    dropped: Arc<AtomicU32>,
    completed: Arc<AtomicU32>,
}

#[batch_node(parallel)]
impl FailFast {
    fn prep(&self, _: &()) -> std::ops::Range<u32> {
        0..20
    }

    async fn exec(&self, item: &u32) -> Result<(), String> {
        if *item == 0 {
            sleep(Duration::from_millis(5)).await;
            return Err("item 0 broke".into());
        }
        let _guard = DropGuard(self.dropped.clone());
        sleep(Duration::from_secs(5)).await;
        self.completed.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// (c) The first exhausted failure cancels the siblings: all dropped, none completes later.
#[tokio::test(start_paused = true)]
async fn the_first_failure_drops_the_siblings() {
    let node = FailFast {
        dropped: Arc::default(),
        completed: Arc::default(),
    };
    let start = Instant::now();
    let err = node.run(&mut ()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(5));
    assert_eq!(err.item(), Some(0));
    assert_eq!(
        err.to_string(),
        "node `FailFast` failed in exec on item 0 after 1 attempt: item 0 broke"
    );
    assert_eq!(node.dropped.load(Ordering::SeqCst), 19);
    sleep(Duration::from_secs(10)).await;
    assert_eq!(node.completed.load(Ordering::SeqCst), 0);
}

/// An empty parallel batch runs no exec and gives post two empty vectors.
#[tokio::test]
async fn an_empty_parallel_batch_is_fine() {
    struct Nothing;
    #[batch_node(parallel, limit = 4)]
    impl Nothing {
        fn prep(&self, _: &Vec<String>) -> Vec<String> {
            Vec::new()
        }
        async fn exec(&self, _item: &String) -> String {
            unreachable!("no items")
        }
        fn post(
            &self,
            out: &mut Vec<String>,
            items: Vec<String>,
            results: Vec<String>,
        ) -> &'static str {
            assert!(items.is_empty() && results.is_empty());
            out.push("posted".into());
            "empty"
        }
    }
    let mut out = Vec::new();
    assert_eq!(Nothing.run(&mut out).await.unwrap(), "empty");
    assert_eq!(out, ["posted"]);
}

struct Counter {
    count: u32,
    posts_running: u32,
    overlaps: u32,
}

/// Reads the counter, awaits, writes it back: a lost update if two posts ever overlapped.
struct ReadAwaitWrite;

#[node]
impl ReadAwaitWrite {
    async fn exec(&self) {
        tokio::task::yield_now().await;
    }

    async fn post(&self, shared: &mut Counter, _prep: (), _exec: (), _run: &u32) {
        shared.posts_running += 1;
        if shared.posts_running > 1 {
            shared.overlaps += 1;
        }
        let seen = shared.count;
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        shared.count = seen + 1;
        shared.posts_running -= 1;
    }
}

struct Thousand;

#[batch_flow(parallel)]
impl Thousand {
    fn prep(&self, _: &Counter) -> std::ops::Range<u32> {
        0..1000
    }
}

/// (d) 1,000 parallel sub-flow runs updating one counter across an await lose no update.
#[tokio::test(start_paused = true)]
async fn parallel_runs_lose_no_update() {
    let step = ReadAwaitWrite;
    let all = Thousand.over(flow! { step });
    let mut shared = Counter {
        count: 0,
        posts_running: 0,
        overlaps: 0,
    };
    all.run(&mut shared).await.unwrap();
    assert_eq!(shared.count, 1000);
    assert_eq!(shared.overlaps, 0);
}

/// (e) A flow holding a parallel batch flow moves into `tokio::spawn` with its store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_with_a_parallel_batch_flow_can_be_spawned() {
    let step = ReadAwaitWrite;
    let all = Thousand.over(flow! { step });
    struct Done;
    #[node]
    impl Done {
        fn post(&self, shared: &mut Counter) -> &'static str {
            shared.count += 1;
            "done"
        }
    }
    let done = Done;
    let flow = flow! { all >> done };
    let shared = Counter {
        count: 0,
        posts_running: 0,
        overlaps: 0,
    };
    let (action, shared) = tokio::spawn(async move {
        let mut shared = shared;
        let action = flow.run(&mut shared).await;
        (action, shared)
    })
    .await
    .unwrap();
    assert_eq!(action.unwrap(), "done");
    assert_eq!(shared.count, 1001);
}

/// The params every node of a run sees.
struct Config {
    prefix: &'static str,
}

struct Tag(&'static str);

#[node]
impl Tag {
    fn prep(&self, _: &Vec<String>, config: &Config) -> String {
        format!("{}{}", config.prefix, self.0)
    }

    fn post(&self, out: &mut Vec<String>, tagged: String, _exec: (), _config: &Config) {
        out.push(tagged);
    }
}

#[tokio::test]
async fn params_reach_every_node_of_nested_flows() {
    let a = Tag("a");
    let b = Tag("b");
    let inner = flow! { a >> b };
    let c = Tag("c");
    let outer = flow! { inner >> c };
    let mut out = Vec::new();
    outer
        .run_with(&mut out, &Config { prefix: "x-" })
        .await
        .unwrap();
    assert_eq!(out, ["x-a", "x-b", "x-c"]);
}

/// Nested batch flows: the outer level lists directories, the inner one files of a directory.
struct Directories;

#[batch_flow]
impl Directories {
    fn prep(&self, _: &Vec<String>) -> Vec<&'static str> {
        vec!["src", "docs"]
    }
}

struct FilesOf;

#[batch_flow(parallel, limit = 2)]
impl FilesOf {
    fn prep(&self, _: &Vec<String>, directory: &&'static str) -> Vec<String> {
        ["one", "two"]
            .iter()
            .map(|file| format!("{directory}/{file}"))
            .collect()
    }

    fn post(&self, out: &mut Vec<String>, files: Vec<String>, directory: &&'static str) {
        out.push(format!("{directory}: {} files", files.len()));
    }
}

struct Visit;

#[node]
impl Visit {
    async fn post(&self, out: &mut Vec<String>, _prep: (), _exec: (), path: &String) {
        out.push(path.clone());
    }
}

#[tokio::test]
async fn nested_batch_flows_build_on_the_outer_params() {
    let visit = Visit;
    let files = FilesOf.over(flow! { visit });
    let all = Directories.over(flow! { files });
    let mut out = Vec::new();
    all.run(&mut out).await.unwrap();
    assert_eq!(
        out,
        [
            "src/one",
            "src/two",
            "src: 2 files",
            "docs/one",
            "docs/two",
            "docs: 2 files"
        ]
    );
}

/// Runs whose items finish in reverse order still reach `post` in item order.
#[tokio::test(start_paused = true)]
async fn parallel_results_are_in_item_order() {
    struct Reverse;
    #[batch_node(parallel)]
    impl Reverse {
        fn prep(&self, _: &Vec<u64>) -> Vec<u64> {
            vec![50, 40, 30, 20, 10]
        }
        async fn exec(&self, millis: &u64) -> u64 {
            sleep(Duration::from_millis(*millis)).await;
            *millis
        }
        fn post(&self, out: &mut Vec<u64>, _items: Vec<u64>, results: Vec<u64>) {
            *out = results;
        }
    }
    let mut out = Vec::new();
    let start = Instant::now();
    Reverse.run(&mut out).await.unwrap();
    assert_eq!(out, [50, 40, 30, 20, 10]);
    assert_eq!(start.elapsed(), Duration::from_millis(50));
}

/// Items taking 10, 20 and 30 ms.
struct Staggered;

#[batch_node(parallel)]
impl Staggered {
    fn prep(&self, _: &()) -> Vec<u64> {
        vec![10, 20, 30]
    }

    async fn exec(&self, millis: &u64) {
        sleep(Duration::from_millis(*millis)).await;
    }
}

/// Progress can be read while the batch runs, from another task.
#[tokio::test(start_paused = true)]
async fn progress_counts_items_as_they_finish() {
    let progress = pocketflow::Progress::new();
    let node = Staggered.with_progress(&progress);
    let observer = tokio::spawn({
        let progress = progress.clone();
        async move {
            let mut seen = Vec::new();
            for _ in 0..4 {
                sleep(Duration::from_millis(10)).await;
                tokio::task::yield_now().await;
                seen.push((progress.done(), progress.total()));
            }
            seen
        }
    });
    node.run(&mut ()).await.unwrap();
    assert_eq!(observer.await.unwrap(), [(1, 3), (2, 3), (3, 3), (3, 3)]);
    assert!(progress.is_finished());
}

/// A failed item is not counted as done.
#[tokio::test(start_paused = true)]
async fn progress_does_not_count_a_failed_item() {
    let progress = pocketflow::Progress::new();
    let node = FailFast {
        dropped: Arc::default(),
        completed: Arc::default(),
    }
    .with_progress(&progress);
    node.run(&mut ()).await.unwrap_err();
    assert_eq!((progress.done(), progress.total()), (0, 20));
    assert!(!progress.is_finished());
}
