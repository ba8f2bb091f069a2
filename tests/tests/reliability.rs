//! Faults inside parallel batch flows: limits, nesting, panics, failures and dropped runs leave
//! a sound store. Timing runs on tokio's paused clock.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::FutureExt;
use pocketflow::prelude::*;
use tokio::time::sleep;

/// How many `exec`s run at once, and the most there ever were.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
    dropped: AtomicUsize,
}

/// One `exec` in flight: counted while it lives, its drop counted too.
struct Entered<'a>(&'a InFlight);

impl<'a> Entered<'a> {
    fn new(in_flight: &'a InFlight) -> Entered<'a> {
        let now = in_flight.now.fetch_add(1, Ordering::SeqCst) + 1;
        in_flight.max.fetch_max(now, Ordering::SeqCst);
        Entered(in_flight)
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Tally {
    count: u32,
    posts_running: u32,
    overlaps: u32,
}

/// Sleeps 10 ms in `exec`, then adds one to the tally across two awaits in `post`.
struct Work {
    in_flight: Arc<InFlight>,
}

#[node]
impl Work {
    async fn exec(&self) {
        let _entered = Entered::new(&self.in_flight);
        sleep(Duration::from_millis(10)).await;
    }

    async fn post(&self, tally: &mut Tally) {
        tally.posts_running += 1;
        if tally.posts_running > 1 {
            tally.overlaps += 1;
        }
        let seen = tally.count;
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        tally.count = seen + 1;
        tally.posts_running -= 1;
    }
}

struct Twenty;

#[batch_flow(parallel, limit = 3)]
impl Twenty {
    fn prep(&self, _: &Tally) -> std::ops::Range<u32> {
        0..20
    }
}

/// `limit` of `#[batch_flow(parallel)]` bounds the sub-flow runs in flight.
#[tokio::test(start_paused = true)]
async fn a_batch_flow_limit_bounds_the_runs_in_flight() {
    let in_flight = Arc::new(InFlight::default());
    let work = Work {
        in_flight: in_flight.clone(),
    };
    let mut tally = Tally::default();
    let start = tokio::time::Instant::now();
    Twenty.over(flow! { work }).run(&mut tally).await.unwrap();
    assert_eq!(in_flight.max.load(Ordering::SeqCst), 3);
    assert_eq!(tally.count, 20);
    // 20 runs of 10 ms, 3 at a time: 7 rounds of the sliding window.
    assert_eq!(start.elapsed(), Duration::from_millis(70));
}

struct Outer;

#[batch_flow(parallel, limit = 4)]
impl Outer {
    fn prep(&self, _: &Tally) -> std::ops::Range<u32> {
        0..5
    }
}

struct Inner;

#[batch_flow(parallel, limit = 3)]
impl Inner {
    fn prep(&self, _: &Tally, outer: &u32) -> Vec<u32> {
        (0..10).map(|i| outer * 10 + i).collect()
    }
}

/// A parallel batch flow inside a parallel batch flow: the inner runs share the outer store's
/// one lock (no lost update), and at most 4 x 3 execs are in flight together.
#[tokio::test(start_paused = true)]
async fn nested_parallel_batch_flows_share_one_lock_and_multiply_their_limits() {
    let in_flight = Arc::new(InFlight::default());
    let work = Work {
        in_flight: in_flight.clone(),
    };
    let inner = Inner.over(flow! { work });
    let outer = Outer.over(flow! { inner });
    let mut tally = Tally::default();
    outer.run(&mut tally).await.unwrap();
    assert_eq!(tally.count, 50);
    assert_eq!(tally.overlaps, 0);
    assert_eq!(in_flight.max.load(Ordering::SeqCst), 12);
}

/// Item 0 panics in `exec` after 5 ms; the others would sleep 5 s.
struct PanicsInExec {
    in_flight: Arc<InFlight>,
}

#[node]
impl PanicsInExec {
    fn prep(&self, _: &Tally, item: &u32) -> u32 {
        *item
    }

    async fn exec(&self, item: &u32) {
        let _entered = Entered::new(&self.in_flight);
        if *item == 0 {
            sleep(Duration::from_millis(5)).await;
            panic!("exec of item 0 panicked");
        }
        sleep(Duration::from_secs(5)).await;
    }

    fn post(&self, tally: &mut Tally) {
        tally.count += 1;
    }
}

struct Eight;

#[batch_flow(parallel)]
impl Eight {
    fn prep(&self, _: &Tally) -> std::ops::Range<u32> {
        0..8
    }
}

/// A panic in one run's `exec` reaches the caller, drops the other runs, and leaves the store
/// usable: no lock is left held, and a new run on it works.
#[tokio::test(start_paused = true)]
async fn a_panic_in_exec_propagates_and_leaves_the_store_usable() {
    let in_flight = Arc::new(InFlight::default());
    let node = PanicsInExec {
        in_flight: in_flight.clone(),
    };
    let all = Eight.over(flow! { node });
    let mut tally = Tally::default();
    let panic = AssertUnwindSafe(all.run(&mut tally))
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(
        panic.downcast_ref::<&str>(),
        Some(&"exec of item 0 panicked")
    );
    assert_eq!(in_flight.dropped.load(Ordering::SeqCst), 8);
    assert_eq!(in_flight.now.load(Ordering::SeqCst), 0);
    tally.count += 100;
    let work = Work {
        in_flight: Arc::default(),
    };
    Twenty.over(flow! { work }).run(&mut tally).await.unwrap();
    assert_eq!(tally.count, 120);
}

/// Item 0's async `post` panics between its two writes, while the other runs wait for the store.
struct PanicsInPost;

#[node]
impl PanicsInPost {
    fn prep(&self, _: &Tally, item: &u32) -> u32 {
        *item
    }

    async fn exec(&self, item: &u32) {
        sleep(Duration::from_millis(u64::from(*item))).await;
    }

    async fn post(&self, tally: &mut Tally, item: u32, _: ()) {
        tally.posts_running += 1;
        tokio::task::yield_now().await;
        if item == 0 {
            panic!("post of item 0 panicked");
        }
        tally.count += 1;
        tally.posts_running -= 1;
    }
}

/// A panic in an async `post` reaches the caller with the store's lock released.
#[tokio::test(start_paused = true)]
async fn a_panic_in_an_async_post_propagates_and_releases_the_store() {
    let node = PanicsInPost;
    let all = Eight.over(flow! { node });
    let mut tally = Tally::default();
    let panic = AssertUnwindSafe(all.run(&mut tally))
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(
        panic.downcast_ref::<&str>(),
        Some(&"post of item 0 panicked")
    );
    // Item 0 ran first (its exec takes 0 ms) and panicked inside its post: no other post ran.
    assert_eq!((tally.count, tally.posts_running), (0, 1));
    let work = Work {
        in_flight: Arc::default(),
    };
    Twenty.over(flow! { work }).run(&mut tally).await.unwrap();
    assert_eq!(tally.count, 20);
}

/// Writes `started`, awaits 10 ms holding the store, then writes `finished`.
struct SlowPost;

#[derive(Default)]
struct Halves {
    started: u32,
    finished: u32,
}

#[node]
impl SlowPost {
    fn prep(&self, _: &Halves, item: &u32) -> u32 {
        *item
    }

    async fn exec(&self, item: &u32) -> Result<(), String> {
        if *item == 0 {
            sleep(Duration::from_millis(5)).await;
            return Err("item 0 broke".into());
        }
        Ok(())
    }

    async fn post(&self, halves: &mut Halves) {
        halves.started += 1;
        sleep(Duration::from_millis(10)).await;
        halves.finished += 1;
    }
}

struct Two;

#[batch_flow(parallel)]
impl Two {
    fn prep(&self, _: &Halves) -> [u32; 2] {
        [0, 1]
    }
}

/// Fail-fast with a sibling inside its async `post`: the sibling finishes that phase before it
/// is dropped, so the caller gets the error and a store with no half-done `post`.
#[tokio::test(start_paused = true)]
async fn fail_fast_lets_a_sibling_finish_its_post_first() {
    let node = SlowPost;
    let both = Two.over(flow! { node });
    let mut halves = Halves::default();
    let start = tokio::time::Instant::now();
    let err = both.run(&mut halves).await.unwrap_err();
    assert!(err.to_string().contains("item 0 broke"), "{err}");
    // Item 1's post started at 0 ms and held the store until 10 ms; item 0 failed at 5 ms.
    assert_eq!((halves.started, halves.finished), (1, 1));
    assert_eq!(start.elapsed(), Duration::from_millis(10));
}

/// A run dropped from outside (here by a timeout) while an async `post` holds the store stops
/// at that `post`'s await: what it wrote before stays, what it would write after never happens.
#[tokio::test(start_paused = true)]
async fn a_run_dropped_mid_post_keeps_the_writes_before_the_await() {
    let node = SlowPost;
    let one = flow! { node };
    let mut halves = Halves::default();
    let outcome =
        tokio::time::timeout(Duration::from_millis(5), one.run_with(&mut halves, &1)).await;
    assert!(outcome.is_err());
    assert_eq!((halves.started, halves.finished), (1, 0));
}
