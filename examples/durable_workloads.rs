//! The chain and parallel_flow workloads plain and as durable runs on each backend, side by
//! side in one run: what a checkpoint per step costs.
//!
//! ```text
//! cargo run --release -p pocketflow-examples --features durable --example durable_workloads -- [STEPS] [RUNS]
//! ```
//!
//! prints one line per workload and backend: `name backend n seconds us_per_item`. `chain` is
//! a node looping on itself for STEPS steps (default 2,000): one checkpoint per step. Its
//! SQLite file lives under the system's temp directory, in WAL mode with `synchronous=NORMAL`
//! (the default), and again with `synchronous=FULL`. `parallel_flow` is RUNS (default 10,000)
//! sub-flow runs of three 1 ms nodes in an unbounded parallel batch flow: durable, each run at
//! its own step in the checkpoints, which cover the posts that fall due together. `fanout` is RUNS items of a parallel batch node sleeping 10 ms
//! each, all in flight at once: durable, each item's result is journaled as it finishes.
//! Postgres runs when `PG_URL` is set.

use std::time::{Duration, Instant};

use pocketflow::durable::{Checkpoints, Durability, Memory, Postgres, Sqlite};
use pocketflow::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Counter {
    count: u64,
    n: u64,
}

/// One node looping on itself, as in `workloads chain`.
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

#[derive(Serialize, Deserialize)]
struct Seen {
    n: u64,
    seen: Vec<u8>,
}

/// Sleeps 1 ms, then counts its run of the item.
struct Tick;

#[node]
impl Tick {
    async fn exec(&self) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    fn post(&self, shared: &mut Seen, _prep: (), _exec: (), item: &u64) {
        shared.seen[*item as usize] += 1;
    }
}

struct EachTick;

#[batch_flow(parallel)]
impl EachTick {
    fn prep(&self, shared: &Seen) -> std::ops::Range<u64> {
        0..shared.n
    }
}

#[derive(Serialize, Deserialize)]
struct Fanned {
    n: u64,
    sum: u64,
}

/// `fanout` of the workloads: n items sleeping 10 ms each, all at once; journaled when durable.
struct Fan;

#[batch_node(parallel)]
impl Fan {
    fn prep(&self, shared: &Fanned) -> std::ops::Range<u64> {
        0..shared.n
    }

    async fn exec(&self, item: &u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        *item
    }

    fn post(&self, shared: &mut Fanned, _items: Vec<u64>, out: Vec<u64>) {
        shared.sum = out.iter().sum();
    }
}

async fn fanout<C: Checkpoints>(backend: &str, db: Option<&C>, n: u64, id: &str) {
    let mut shared = Fanned { n, sum: 0 };
    let started = Instant::now();
    match db {
        None => drop(Fan.run(&mut shared).await.expect("fanout runs")),
        Some(db) => drop(
            Fan.durable(db, id)
                .run(&mut shared)
                .await
                .expect("fanout runs"),
        ),
    }
    report("fanout", backend, n, started);
    assert_eq!(shared.sum, n * (n - 1) / 2);
}

fn report(name: &str, backend: &str, n: u64, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{name} {backend} {n} {seconds:.4} {:.2}",
        seconds * 1e6 / n as f64
    );
}

async fn chain<C: Checkpoints>(backend: &str, db: Option<&C>, n: u64, id: &str) {
    let inc = Inc;
    let flow = flow! { inc - "again" >> inc };
    let mut shared = Counter { count: 0, n };
    let started = Instant::now();
    match db {
        None => drop(flow.run(&mut shared).await.expect("chain runs")),
        Some(db) => drop(
            flow.durable(db, id)
                .run(&mut shared)
                .await
                .expect("chain runs"),
        ),
    }
    report("chain", backend, n, started);
    assert_eq!(shared.count, n);
}

async fn parallel_flow<C: Checkpoints>(backend: &str, db: Option<&C>, n: u64, id: &str) {
    let (a, b, c) = (Tick, Tick, Tick);
    let each = EachTick.over(flow! { a >> b >> c });
    let mut shared = Seen {
        n,
        seen: vec![0; n as usize],
    };
    let started = Instant::now();
    match db {
        None => drop(each.run(&mut shared).await.expect("parallel_flow runs")),
        Some(db) => drop(
            each.durable(db, id)
                .run(&mut shared)
                .await
                .expect("parallel_flow runs"),
        ),
    }
    report("parallel_flow", backend, n, started);
    assert!(shared.seen.iter().all(|&count| count == 3));
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("pocketflow-{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> pocketflow::Result<()> {
    let mut args = std::env::args().skip(1);
    let steps: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let runs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let run_id = format!("bench-{}", std::process::id());

    let memory = Memory::new();
    let normal_path = temp_db("normal");
    let normal = Sqlite::open(&normal_path).await?;
    let full_path = temp_db("full");
    let full = Sqlite::open_with(&full_path, Durability::Full).await?;
    let postgres = match std::env::var("PG_URL") {
        Ok(url) => Some(Postgres::connect(&url).await?),
        Err(_) => None,
    };

    chain::<Memory>("plain", None, steps, &run_id).await;
    chain("memory", Some(&memory), steps, &run_id).await;
    chain("sqlite", Some(&normal), steps, &run_id).await;
    chain("sqlite-full", Some(&full), steps, &run_id).await;
    if let Some(postgres) = &postgres {
        chain("postgres", Some(postgres), steps, &run_id).await;
    }

    let flow_id = format!("{run_id}-flow");
    parallel_flow::<Memory>("plain", None, runs, &flow_id).await;
    parallel_flow("memory", Some(&memory), runs, &flow_id).await;
    parallel_flow("sqlite", Some(&normal), runs, &flow_id).await;
    if let Some(postgres) = &postgres {
        parallel_flow("postgres", Some(postgres), runs, &flow_id).await;
    }
    let fan_id = format!("{run_id}-fan");
    fanout::<Memory>("plain", None, runs, &fan_id).await;
    fanout("memory", Some(&memory), runs, &fan_id).await;
    fanout("sqlite", Some(&normal), runs, &fan_id).await;
    if let Some(postgres) = &postgres {
        fanout("postgres", Some(postgres), runs, &fan_id).await;
    }
    for path in [normal_path, full_path] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    Ok(())
}
