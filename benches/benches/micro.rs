//! Micro-benchmarks: the cost of the framework's own moving parts, each measured per unit of
//! work (`cargo bench -p pocketflow-benches`). The workloads of `examples/workloads.rs` measure
//! the same things end to end.

use std::time::Duration;

use divan::Bencher;
use pocketflow::prelude::*;

fn main() {
    divan::main();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

struct Counter {
    count: u32,
    n: u32,
}

/// A node looping on itself until `n`.
struct Inc;

#[node]
impl Inc {
    fn prep(&self, shared: &Counter) -> u32 {
        shared.count
    }
    fn exec(&self, count: &u32) -> u32 {
        count + 1
    }
    fn post(&self, shared: &mut Counter, _count: u32, next: u32) -> &'static str {
        shared.count = next;
        if next < shared.n { "again" } else { "done" }
    }
}

/// The same node with retries configured but never needed.
struct IncWithRetries;

#[node(max_retries = 3, wait = "1s")]
impl IncWithRetries {
    fn prep(&self, shared: &Counter) -> u32 {
        shared.count
    }
    fn exec(&self, count: &u32) -> Result<u32, String> {
        Ok(count + 1)
    }
    fn post(&self, shared: &mut Counter, _count: u32, next: u32) -> &'static str {
        shared.count = next;
        if next < shared.n { "again" } else { "done" }
    }
}

/// The same node with async phases (the general, non-sync path).
struct AsyncInc;

#[node]
impl AsyncInc {
    async fn prep(&self, shared: &mut Counter) -> u32 {
        shared.count
    }
    async fn exec(&self, count: &u32) -> u32 {
        count + 1
    }
    async fn post(&self, shared: &mut Counter, _count: u32, next: u32) -> &'static str {
        shared.count = next;
        if next < shared.n { "again" } else { "done" }
    }
}

const TRANSITIONS: u32 = 10_000;

/// Runs `flow` (a node looping on itself until `TRANSITIONS`) once per sample.
fn bench_transitions(bencher: Bencher, flow: impl Node<Counter>) {
    let runtime = runtime();
    bencher
        .counter(divan::counter::ItemsCount::new(TRANSITIONS))
        .bench_local(|| {
            let mut shared = Counter {
                count: 0,
                n: TRANSITIONS,
            };
            runtime.block_on(flow.run(&mut shared)).expect("runs");
            shared.count
        });
}

/// One flow transition: a sync node looping on itself.
#[divan::bench]
fn transition(bencher: Bencher) {
    let inc = Inc;
    bench_transitions(bencher, flow! { inc - "again" >> inc });
}

/// One transition of a node with `max_retries = 3, wait = "1s"` whose first attempt succeeds.
#[divan::bench]
fn transition_with_unused_retries(bencher: Bencher) {
    let inc = IncWithRetries;
    bench_transitions(bencher, flow! { inc - "again" >> inc });
}

/// One transition of a node whose phases are all `async fn`.
#[divan::bench]
fn transition_async_phases(bencher: Bencher) {
    let inc = AsyncInc;
    bench_transitions(bencher, flow! { inc - "again" >> inc });
}

const ITEMS: u32 = 1_000;

/// A parallel batch node whose items complete at once: the framework's cost per item.
struct Echo;

#[batch_node(parallel)]
impl Echo {
    fn prep(&self, n: &u32) -> std::ops::Range<u32> {
        0..*n
    }
    async fn exec(&self, x: &u32) -> u32 {
        *x
    }
    fn post(&self, n: &mut u32, _items: Vec<u32>, xs: Vec<u32>) {
        *n = xs.len() as u32;
    }
}

/// One item of a parallel batch node.
#[divan::bench]
fn parallel_batch_item(bencher: Bencher) {
    let runtime = runtime();
    bencher
        .counter(divan::counter::ItemsCount::new(ITEMS))
        .bench_local(|| {
            let mut n = ITEMS;
            runtime.block_on(Echo.run(&mut n)).expect("runs");
            n
        });
}

/// Adds its run to the total in an async `post`: every run takes the shared store's lock twice.
struct AddRun;

#[node]
impl AddRun {
    async fn post(&self, total: &mut u64, _prep: (), _exec: (), run: &u32) {
        *total += u64::from(*run);
    }
}

struct Runs;

#[batch_flow(parallel)]
impl Runs {
    fn prep(&self, _: &u64) -> std::ops::Range<u32> {
        0..ITEMS
    }
}

/// One sub-flow run of a parallel batch flow: the shared store's lock for its prep and post.
#[divan::bench]
fn parallel_flow_run_with_store_lock(bencher: Bencher) {
    let runtime = runtime();
    let add = AddRun;
    let runs = Runs.over(flow! { add });
    bencher
        .counter(divan::counter::ItemsCount::new(ITEMS))
        .bench_local(|| {
            let mut total = 0;
            runtime.block_on(runs.run(&mut total)).expect("runs");
            total
        });
}

/// `run_blocking` of a one-node flow: a fresh current-thread runtime per call.
#[divan::bench]
fn run_blocking(bencher: Bencher) {
    let inc = Inc;
    let flow = flow! { inc };
    bencher.bench_local(|| {
        let mut shared = Counter { count: 0, n: 0 };
        flow.run_blocking(&mut shared).expect("runs");
        shared.count
    });
}

/// A retry that waits: measured on tokio's clock, so this is the wait's cost, not its length.
#[divan::bench]
fn failed_attempt_then_success(bencher: Bencher) {
    struct Flaky {
        fail: std::sync::atomic::AtomicBool,
    }
    #[node(max_retries = 2)]
    impl Flaky {
        fn exec(&self) -> Result<(), &'static str> {
            if self.fail.swap(false, std::sync::atomic::Ordering::Relaxed) {
                Err("once")
            } else {
                Ok(())
            }
        }
    }
    let runtime = runtime();
    bencher.bench_local(|| {
        let node = Flaky { fail: true.into() }.with_wait(Duration::ZERO);
        runtime
            .block_on(node.run(&mut ()))
            .expect("second attempt succeeds");
    });
}
