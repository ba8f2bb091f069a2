//! The reference workloads of `shared/bench/pocketflow_baseline.py`, by the same names and
//! sizes, one per invocation:
//!
//! ```text
//! cargo run --release -p pocketflow-examples --example workloads -- chain [N]
//! ```
//!
//! prints one line: `name n seconds ns_per_item`. Each workload checks its result as the Python
//! one does. It runs on a current-thread tokio runtime, or a multi-thread one with
//! `POCKETFLOW_RUNTIME=multi-thread`, with tokio's timer and no I/O driver: the workloads do no
//! I/O, and a runtime that also polls for I/O parks in `epoll_wait`, whose millisecond timeouts
//! add about 4 ms to `fanout` (BENCHMARKS.md).
//!
//! Two more, with no Python copy, measure memory: `wide_batch`, an unbounded parallel batch node
//! over 1,000,000 items, and `wide_batch_flow`, an unbounded parallel batch flow of 1,000,000
//! runs of a one-node sub-flow. Each item yields once, so that all of them are in flight
//! together. Their line adds two fields: the peak resident set in MiB (`VmHWM`), and its growth
//! over the run in bytes per item.
//!
//! Two more measure parallel branches (SPEC section 5.1): `branches`, 10,000 concurrent runs of
//! a group of three 1 ms members (`[a, b, c]`), and `branches_as_batch`, the same work written
//! as a parallel batch flow over three items in each run.
//!
//! Two more measure streamed runs (`Run::stream`): `streamed_chain`, the chain streamed and
//! every event read (two per step: `Started` and `Finished`; its cost per event is the
//! difference to `chain` per step, halved), and `streamed_fanout`, a parallel batch node of
//! 10,000 items, each emitting one token, read by a slow consumer that yields to the scheduler
//! after every event; its line adds the peak resident set, as the wide ones do.
//!
//! `benches/scripts/compare.sh` runs these beside their Python copy,
//! `benches/scripts/pocketflow_workloads.py`; benches/README.md lists the other benchmarks.

use std::time::{Duration, Instant};

use pocketflow::prelude::*;

struct Counter {
    count: u64,
    n: u64,
}

/// One node looping on itself: the cost of a flow transition.
struct Inc;

#[node]
impl Inc {
    fn prep(&self, shared: &Counter) -> u64 {
        shared.count
    }

    fn exec(&self, count: &u64) -> u64 {
        count + 1
    }

    fn post(&self, shared: &mut Counter, _count: u64, next: u64) -> &'static str {
        shared.count = next;
        if next < shared.n { "again" } else { "done" }
    }
}

async fn chain(n: u64) {
    let inc = Inc;
    let flow = flow! { inc - "again" >> inc };
    let mut shared = Counter { count: 0, n };
    flow.run(&mut shared).await.expect("chain runs");
    assert_eq!(shared.count, n);
}

struct Sum {
    n: u64,
    sum: u64,
}

/// A sequential batch node over n integers: the cost of one batch item.
struct Double;

#[batch_node]
impl Double {
    fn prep(&self, shared: &Sum) -> std::ops::Range<u64> {
        0..shared.n
    }

    fn exec(&self, x: &u64) -> u64 {
        x * 2
    }

    fn post(&self, shared: &mut Sum, _items: Vec<u64>, doubled: Vec<u64>) {
        shared.sum = doubled.iter().sum();
    }
}

async fn batch(n: u64) {
    let mut shared = Sum { n, sum: 0 };
    Double.run(&mut shared).await.expect("batch runs");
    assert_eq!(shared.sum, n * (n - 1));
}

struct Fanout {
    n: u64,
    sum: u64,
}

/// A parallel batch node over n items, each waiting 10 ms (a remote call).
struct Call;

#[batch_node(parallel)]
impl Call {
    fn prep(&self, shared: &Fanout) -> std::ops::Range<u64> {
        0..shared.n
    }

    async fn exec(&self, x: &u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        *x
    }

    fn post(&self, shared: &mut Fanout, _items: Vec<u64>, xs: Vec<u64>) {
        shared.sum = xs.iter().sum();
    }
}

async fn fanout(n: u64) {
    let mut shared = Fanout { n, sum: 0 };
    Call.run(&mut shared).await.expect("fanout runs");
    assert_eq!(shared.sum, n * (n - 1) / 2);
}

struct Totals {
    n: u64,
    total: u64,
}

/// One step of the batch_flow sub-flow: adds its run's `i + 1` to the total.
struct Step;

#[node]
impl Step {
    fn prep(&self, _shared: &Totals, i: &u64) -> u64 {
        *i
    }

    fn exec(&self, i: &u64) -> u64 {
        i + 1
    }

    fn post(&self, shared: &mut Totals, _i: u64, next: u64) {
        shared.total += next;
    }
}

struct EachRun;

#[batch_flow]
impl EachRun {
    fn prep(&self, shared: &Totals) -> std::ops::Range<u64> {
        0..shared.n
    }
}

/// A sequential batch flow: n runs of a 3-node sub-flow, per-run params.
async fn batch_flow(n: u64) {
    let (a, b, c) = (Step, Step, Step);
    let each = EachRun.over(flow! { a >> b >> c });
    let mut shared = Totals { n, total: 0 };
    each.run(&mut shared).await.expect("batch_flow runs");
    assert_eq!(shared.total, 3 * (n * (n - 1) / 2 + n));
}

struct Seen {
    n: u64,
    seen: Vec<u8>,
}

/// One step of the parallel_flow sub-flow: waits 1 ms, then counts its run in the store.
struct Tick;

#[node]
impl Tick {
    fn prep(&self, _shared: &Seen, i: &u64) -> u64 {
        *i
    }

    async fn exec(&self, i: &u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        *i
    }

    fn post(&self, shared: &mut Seen, _i: u64, i: u64) {
        shared.seen[i as usize] += 1;
    }
}

struct EachTick;

#[batch_flow(parallel)]
impl EachTick {
    fn prep(&self, shared: &Seen) -> std::ops::Range<u64> {
        0..shared.n
    }
}

/// A parallel batch flow: n concurrent runs of a 3-node sub-flow, each node waiting 1 ms, each
/// run counting its own slot in the shared store.
async fn parallel_flow(n: u64) {
    let (a, b, c) = (Tick, Tick, Tick);
    let each = EachTick.over(flow! { a >> b >> c });
    let mut shared = Seen {
        n,
        seen: vec![0; n as usize],
    };
    each.run(&mut shared).await.expect("parallel_flow runs");
    assert!(shared.seen.iter().all(|&count| count == 3));
}

/// Parallel branches: n concurrent runs of a group of three 1 ms members (`[a, b, c]`), each
/// counting its run's slot in the shared store.
async fn branches(n: u64) {
    let (a, b, c) = (Tick, Tick, Tick);
    let each = EachTick.over(flow! { [a, b, c] });
    let mut shared = Seen {
        n,
        seen: vec![0; n as usize],
    };
    each.run(&mut shared).await.expect("branches runs");
    assert!(shared.seen.iter().all(|&count| count == 3));
}

/// Three runs of one sub-flow at once, each with the run's index.
struct ThreeAtOnce;

#[batch_flow(parallel)]
impl ThreeAtOnce {
    fn prep(&self, _shared: &Seen, i: &u64) -> Vec<u64> {
        vec![*i; 3]
    }
}

/// The work of `branches` written as a parallel batch flow: n concurrent runs of a parallel
/// batch flow over three items of one 1 ms step.
async fn branches_as_batch(n: u64) {
    let tick = Tick;
    let each = EachTick.over(ThreeAtOnce.over(flow! { tick }));
    let mut shared = Seen {
        n,
        seen: vec![0; n as usize],
    };
    each.run(&mut shared).await.expect("branches_as_batch runs");
    assert!(shared.seen.iter().all(|&count| count == 3));
}

struct Wide {
    n: u64,
    sum: u64,
}

/// An unbounded parallel batch node whose items each yield once, so all n are in flight
/// together: the memory of a wide window.
struct Echo;

#[batch_node(parallel)]
impl Echo {
    fn prep(&self, shared: &Wide) -> std::ops::Range<u64> {
        0..shared.n
    }

    async fn exec(&self, x: &u64) -> u64 {
        tokio::task::yield_now().await;
        *x
    }

    fn post(&self, shared: &mut Wide, _items: Vec<u64>, xs: Vec<u64>) {
        shared.sum = xs.iter().sum();
    }
}

async fn wide_batch(n: u64) {
    let mut shared = Wide { n, sum: 0 };
    Echo.run(&mut shared).await.expect("wide_batch runs");
    assert_eq!(shared.sum, n * (n - 1) / 2);
}

/// The wide_batch_flow sub-flow's one node: yields once, then adds its run's item to the sum.
struct Visit;

#[node]
impl Visit {
    fn prep(&self, _shared: &Wide, i: &u64) -> u64 {
        *i
    }

    async fn exec(&self, i: &u64) -> u64 {
        tokio::task::yield_now().await;
        *i
    }

    fn post(&self, shared: &mut Wide, _i: u64, i: u64) {
        shared.sum += i;
    }
}

struct EachVisit;

#[batch_flow(parallel)]
impl EachVisit {
    fn prep(&self, shared: &Wide) -> std::ops::Range<u64> {
        0..shared.n
    }
}

/// An unbounded parallel batch flow: n runs of a one-node sub-flow, all in flight together.
async fn wide_batch_flow(n: u64) {
    let visit = Visit;
    let each = EachVisit.over(flow! { visit });
    let mut shared = Wide { n, sum: 0 };
    each.run(&mut shared).await.expect("wide_batch_flow runs");
    assert_eq!(shared.sum, n * (n - 1) / 2);
}

/// The chain, streamed, every event read.
async fn streamed_chain(n: u64) {
    use futures::StreamExt;
    let inc = Inc;
    let flow = flow! { inc - "again" >> inc };
    let mut shared = Counter { count: 0, n };
    let mut events = flow.stream::<()>(&mut shared);
    let mut seen = 0u64;
    while events.next().await.is_some() {
        seen += 1;
    }
    events.finish().await.expect("streamed_chain runs");
    assert_eq!((shared.count, seen), (n, 2 * n));
}

/// A parallel batch node over n items, each waiting 10 ms and emitting one token.
struct Token;

#[batch_node(parallel)]
impl Token {
    fn prep(&self, shared: &Fanout) -> std::ops::Range<u64> {
        0..shared.n
    }

    async fn exec(&self, x: &u64, tokens: &pocketflow::stream::Emitter<u64>) -> u64 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        tokens.emit(*x);
        *x
    }

    fn post(&self, shared: &mut Fanout, _items: Vec<u64>, xs: Vec<u64>) {
        shared.sum = xs.iter().sum();
    }
}

/// `Token`'s batch streamed to a consumer that yields after every event.
async fn streamed_fanout(n: u64) {
    use futures::StreamExt;
    let mut shared = Fanout { n, sum: 0 };
    let mut events = Token.stream::<u64>(&mut shared);
    let mut tokens = 0u64;
    while let Some(event) = events.next().await {
        if let pocketflow::stream::EventKind::Emitted(_) = event.kind() {
            tokens += 1;
        }
        tokio::task::yield_now().await;
    }
    events.finish().await.expect("streamed_fanout runs");
    assert_eq!((tokens, shared.sum), (n, n * (n - 1) / 2));
}

/// The process's resident set in bytes: its peak so far (`VmHWM`) or now (`VmRSS`), from
/// /proc/self/status (0 where there is none).
fn resident(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status.lines().find_map(|line| {
        let value = line.strip_prefix(field)?.strip_prefix(':')?;
        value
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()
    });
    kib.unwrap_or(0) * 1024
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| usage());
    let default_n = match name.as_str() {
        "chain" | "batch" => 1_000_000,
        "fanout" | "parallel_flow" | "branches" | "branches_as_batch" => 10_000,
        "batch_flow" => 100_000,
        "wide_batch" | "wide_batch_flow" => 1_000_000,
        "streamed_chain" => 1_000_000,
        "streamed_fanout" => 10_000,
        _ => usage(),
    };
    let n = args
        .next()
        .map_or(default_n, |n| n.parse().unwrap_or_else(|_| usage()));
    let runtime = match std::env::var("POCKETFLOW_RUNTIME").as_deref() {
        Ok("multi-thread") => tokio::runtime::Builder::new_multi_thread()
            .enable_time()
            .build(),
        Ok("current-thread") | Err(_) => tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build(),
        Ok(other) => {
            eprintln!("POCKETFLOW_RUNTIME is `{other}`; use `current-thread` or `multi-thread`");
            std::process::exit(2)
        }
    }
    .expect("runtime");
    let resident_before = resident("VmRSS");
    let start = Instant::now();
    runtime.block_on(async {
        match name.as_str() {
            "chain" => chain(n).await,
            "batch" => batch(n).await,
            "fanout" => fanout(n).await,
            "batch_flow" => batch_flow(n).await,
            "parallel_flow" => parallel_flow(n).await,
            "branches" => branches(n).await,
            "branches_as_batch" => branches_as_batch(n).await,
            "wide_batch" => wide_batch(n).await,
            "wide_batch_flow" => wide_batch_flow(n).await,
            "streamed_chain" => streamed_chain(n).await,
            "streamed_fanout" => streamed_fanout(n).await,
            _ => unreachable!("checked above"),
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    let line = format!("{name} {n} {seconds:.4} {:.1}", seconds / n as f64 * 1e9);
    if name.starts_with("wide") || name == "streamed_fanout" {
        // The peak over the run, and per item above what the process held before it.
        let peak = resident("VmHWM");
        let per_item = peak.saturating_sub(resident_before) as f64 / n as f64;
        println!("{line} {:.1} {per_item:.0}", peak as f64 / (1 << 20) as f64);
    } else {
        println!("{line}");
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: workloads (chain|batch|fanout|batch_flow|parallel_flow|branches|branches_as_batch|wide_batch|wide_batch_flow|streamed_chain|streamed_fanout) [N]"
    );
    eprintln!(
        "POCKETFLOW_RUNTIME=multi-thread runs on a multi-thread runtime (default: current-thread)"
    );
    std::process::exit(2)
}
