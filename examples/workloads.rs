//! The reference workloads of `shared/bench/pocketflow_baseline.py`, by the same names and
//! sizes, one per invocation:
//!
//! ```text
//! cargo run --release --example workloads -- chain [N]
//! ```
//!
//! prints one line: `name n seconds ns_per_item`. Each workload checks its result as the Python
//! one does.

use std::time::Instant;

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

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| usage());
    let default_n = match name.as_str() {
        "chain" | "batch" => 1_000_000,
        _ => usage(),
    };
    let n = args
        .next()
        .map_or(default_n, |n| n.parse().unwrap_or_else(|_| usage()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let start = Instant::now();
    runtime.block_on(async {
        match name.as_str() {
            "chain" => chain(n).await,
            "batch" => batch(n).await,
            _ => unreachable!("checked above"),
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    println!("{name} {n} {seconds:.4} {:.1}", seconds / n as f64 * 1e9);
}

fn usage() -> ! {
    eprintln!("usage: workloads (chain|batch) [N]");
    std::process::exit(2)
}
