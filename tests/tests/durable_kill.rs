//! Durable runs killed with SIGKILL at random instants, resumed by a new process, end with the
//! store of an uninterrupted run: every `post` applied exactly once. Shapes: a chain, nested
//! flows, a parallel batch node, a sequential and a parallel batch flow, each between two steps,
//! and a parallel group of two flows. On SQLite always, on Postgres when `PG_URL` is set.
//!
//! The child process is this test binary itself, run with `POCKETFLOW_KILL_CHILD` set and only
//! the `child` test selected; without that variable `child` does nothing.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pocketflow::durable::{Checkpoints, Outcome, Postgres, Sqlite, Status};
use pocketflow::prelude::*;
use serde::{Deserialize, Serialize};

const CHILD: &str = "POCKETFLOW_KILL_CHILD";

/// What each step's `post` did, in order, and a person's answer.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Log {
    posts: Vec<String>,
    approved: bool,
}

/// Waits for a person: an interrupt until the saved store says `approved`.
struct Ask;

#[node]
impl Ask {
    fn prep(&self, log: &Log) -> Result<(), pocketflow::Interrupt> {
        if log.approved {
            Ok(())
        } else {
            Err(pocketflow::Interrupt::new("approve the log"))
        }
    }

    fn post(&self, log: &mut Log) {
        log.posts.push("ask".to_owned());
    }
}

/// Sleeps a few ms in `exec` (where most kills land), then logs its name in `post`.
struct Step {
    name: &'static str,
    millis: u64,
}

#[node]
impl Step {
    async fn exec(&self) {
        tokio::time::sleep(Duration::from_millis(self.millis)).await;
    }

    fn post(&self, log: &mut Log) {
        log.posts.push(self.name.to_owned());
    }
}

/// Eight items of 6 ms each, three at a time, journaled as they finish.
struct Items;

#[batch_node(parallel, limit = 3)]
impl Items {
    fn prep(&self, _: &Log) -> Vec<u64> {
        (1..=8).collect()
    }

    async fn exec(&self, item: &u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(6)).await;
        item * 10
    }

    fn post(&self, log: &mut Log, _items: Vec<u64>, out: Vec<u64>) {
        log.posts.push(format!("items{out:?}"));
    }
}

/// Four documents, one after another, each through its own `a >> b`.
struct Docs;

#[batch_flow]
impl Docs {
    fn prep(&self, _: &Log) -> Vec<u64> {
        (1..=4).collect()
    }

    fn post(&self, log: &mut Log) {
        log.posts.push("docs".to_owned());
    }
}

/// The four documents two at a time.
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

/// A step of a document's sub-flow: sleeps, then logs its name and the document.
struct DocStep(&'static str);

#[node]
impl DocStep {
    async fn exec(&self) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    fn post(&self, log: &mut Log, _: (), _: (), doc: &u64) {
        log.posts.push(format!("{}{doc}", self.0));
    }
}

fn step(name: &'static str, index: u64) -> Step {
    Step {
        name,
        millis: 4 + index % 3,
    }
}

/// The flows under test, by name: a chain of 10, and a chain around a nested flow.
async fn run_shape<C: Checkpoints>(shape: &str, db: &C, id: &str) -> pocketflow::Result<Outcome> {
    let mut log = Log::default();
    match shape {
        "chain" => {
            let (n0, n1, n2, n3, n4) = (
                step("n0", 0),
                step("n1", 1),
                step("n2", 2),
                step("n3", 3),
                step("n4", 4),
            );
            let (n5, n6, n7, n8, n9) = (
                step("n5", 5),
                step("n6", 6),
                step("n7", 7),
                step("n8", 8),
                step("n9", 9),
            );
            let flow = flow! { n0 >> n1 >> n2 >> n3 >> n4 >> n5 >> n6 >> n7 >> n8 >> n9 };
            flow.durable(db, id).run(&mut log).await
        }
        "nested" => {
            let (n1, n2, n3, n4) = (step("n1", 1), step("n2", 2), step("n3", 3), step("n4", 4));
            let inner = flow! { n1 >> n2 >> n3 >> n4 };
            let (n5, n6, n7) = (step("n5", 5), step("n6", 6), step("n7", 7));
            let deeper = flow! { n5 >> n6 >> n7 };
            let (n0, n8, n9) = (step("n0", 0), step("n8", 8), step("n9", 9));
            let flow = flow! { n0 >> inner >> deeper >> n8 >> n9 };
            flow.durable(db, id).run(&mut log).await
        }
        "batch" => {
            let (n0, items, n9) = (step("n0", 0), Items, step("n9", 9));
            let flow = flow! { n0 >> items >> n9 };
            flow.durable(db, id).run(&mut log).await
        }
        "batch_flow" => {
            let (a, b) = (DocStep("a"), DocStep("b"));
            let docs = Docs.over(flow! { a >> b });
            let (n0, n9) = (step("n0", 0), step("n9", 9));
            let flow = flow! { n0 >> docs >> n9 };
            flow.durable(db, id).run(&mut log).await
        }
        "parallel_flow" => {
            let (a, b) = (DocStep("a"), DocStep("b"));
            let docs = DocsAtOnce.over(flow! { a >> b });
            let (n0, n9) = (step("n0", 0), step("n9", 9));
            let flow = flow! { n0 >> docs >> n9 };
            flow.durable(db, id).run(&mut log).await
        }
        "group" => {
            let (n1, n2, n3, n4) = (step("n1", 1), step("n2", 2), step("n3", 3), step("n4", 4));
            let inner = flow! { n1 >> n2 >> n3 >> n4 };
            let (n5, n6, n7) = (step("n5", 5), step("n6", 6), step("n7", 7));
            let side = flow! { n5 >> n6 >> n7 };
            let (n0, n8, n9) = (step("n0", 0), step("n8", 8), step("n9", 9));
            let flow = flow! { n0 >> [inner, side] >> n8 >> n9 };
            flow.durable(db, id).run(&mut log).await
        }
        "review" => {
            let (n0, ask, n1) = (step("n0", 0), Ask, step("n1", 1));
            let flow = flow! { n0 >> ask >> n1 };
            flow.durable(db, id).run(&mut log).await
        }
        other => panic!("no shape {other}"),
    }
}

const EXPECTED: [&str; 10] = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9"];

/// The child: `backend|target|shape|id` in `POCKETFLOW_KILL_CHILD`; runs the flow to its end.
#[test]
fn child() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let [backend, target, shape, id] = parts[..] else {
        panic!("bad child spec {spec}");
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let outcome = match backend {
            "sqlite" => run_shape(shape, &Sqlite::open(target).await.unwrap(), id).await,
            _ => run_shape(shape, &Postgres::connect(target).await.unwrap(), id).await,
        };
        match outcome.unwrap() {
            Outcome::Finished(action) => assert_eq!(action, Action::DEFAULT),
            // Tells the parent, which cannot see this process's return value otherwise.
            Outcome::Interrupted(_) => std::process::exit(3),
        }
    });
}

/// A small deterministic generator: the kill instants of a seed are the same on every machine.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// Runs `shape` in child processes, killing each after a random 0-80 ms, until one finishes;
/// returns how many were killed.
fn run_until_finished(backend: &str, target: &str, shape: &str, id: &str, seed: u64) -> u32 {
    let mut random = Seeded(seed);
    let started = Instant::now();
    for killed in 0..40 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child", "--test-threads=1", "--nocapture"])
            .env(CHILD, format!("{backend}|{target}|{shape}|{id}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_millis(random.below(80));
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "child of {shape} seed {seed} failed: {status}"
                );
                return killed;
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        // `Child::kill` is SIGKILL on Unix: no destructor, no flush, no goodbye.
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{shape} seed {seed} takes too long"
        );
    }
    panic!("{shape} seed {seed}: 40 children killed and none finished");
}

async fn check_finished<C: Checkpoints>(db: &C, id: &str, shape: &str, seed: u64, killed: u32) {
    let saved = db.load(id).await.unwrap().unwrap();
    assert_eq!(saved.status, Status::Finished, "{shape} seed {seed}");
    let log: Log = serde_json::from_str(&saved.store).unwrap();
    let expected: Vec<String> = match shape {
        "batch" => vec![
            "n0".into(),
            "items[10, 20, 30, 40, 50, 60, 70, 80]".into(),
            "n9".into(),
        ],
        "batch_flow" | "parallel_flow" => [
            "n0", "a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4", "docs", "n9",
        ]
        .map(String::from)
        .to_vec(),
        _ => EXPECTED.iter().map(|name| name.to_string()).collect(),
    };
    let mut posts = log.posts.clone();
    if shape == "group" {
        // The members' posts interleave; each member's own stay in order.
        let of = |names: &[&str]| -> Vec<String> {
            let members = posts.iter().filter(|post| names.contains(&post.as_str()));
            members.cloned().collect()
        };
        assert_eq!(
            of(&["n1", "n2", "n3", "n4"]),
            ["n1", "n2", "n3", "n4"],
            "seed {seed}"
        );
        assert_eq!(of(&["n5", "n6", "n7"]), ["n5", "n6", "n7"], "seed {seed}");
        posts[1..8].sort();
    }
    if shape == "parallel_flow" {
        // The runs' posts interleave as their sleeps fall; each run's own stay in order.
        posts[1..9].sort_by_key(|post| (post[1..].to_owned(), post.to_owned()));
    }
    assert_eq!(
        posts, expected,
        "{shape} seed {seed} after {killed} kills: every post exactly once, in order"
    );
    // A step per post: a group's join is none.
    assert_eq!(saved.step, expected.len() as u64, "{shape} seed {seed}");
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("durable-kill");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

#[tokio::test]
async fn sqlite_runs_killed_at_random_steps_end_as_uninterrupted_runs() {
    let mut kills = 0;
    for shape in [
        "chain",
        "nested",
        "batch",
        "batch_flow",
        "parallel_flow",
        "group",
    ] {
        for seed in 0..6 {
            let path = scratch(&format!("{shape}-{seed}"));
            let target = path.to_str().unwrap();
            let id = format!("{shape}-{seed}");
            let killed = run_until_finished("sqlite", target, shape, &id, seed);
            kills += killed;
            let db = Sqlite::open(&path).await.unwrap();
            check_finished(&db, &id, shape, seed, killed).await;
        }
    }
    eprintln!("sqlite: {kills} children killed over 36 runs");
    // A run takes 50 ms and more of sleeps alone: most first children die before the end.
    assert!(kills >= 6, "only {kills} kills");
}

#[tokio::test]
async fn postgres_runs_killed_at_random_steps_end_as_uninterrupted_runs() {
    let Some(url) = pocketflow_tests::server_url("PG_URL") else {
        return;
    };
    let db = Postgres::connect(&url).await.unwrap();
    let mut kills = 0;
    for shape in [
        "chain",
        "nested",
        "batch",
        "batch_flow",
        "parallel_flow",
        "group",
    ] {
        for seed in 0..4 {
            let id = format!("kill-{shape}-{seed}-{}", std::process::id());
            let killed = run_until_finished("postgres", &url, shape, &id, seed);
            kills += killed;
            check_finished(&db, &id, shape, seed, killed).await;
        }
    }
    eprintln!("postgres: {kills} children killed over 24 runs");
    assert!(kills >= 4, "only {kills} kills");
}

/// An interrupt in one process, the person's answer from another, the end in a third.
#[tokio::test]
async fn an_interrupt_update_resume_round_trip_across_processes() {
    let path = scratch("review");
    let target = path.to_str().unwrap();
    let child = |id: &str| {
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child", "--test-threads=1", "--nocapture"])
            .env(CHILD, format!("sqlite|{target}|review|{id}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
    };
    assert_eq!(
        child("review").code(),
        Some(3),
        "the first process stops at ask"
    );
    let db = Sqlite::open(&path).await.unwrap();
    let saved = db.load("review").await.unwrap().unwrap();
    assert_eq!(
        (
            saved.status,
            saved.node.as_deref(),
            saved.message.as_deref()
        ),
        (Status::Interrupted, Some("ask"), Some("approve the log"))
    );
    assert_eq!(
        child("review").code(),
        Some(3),
        "still waiting: nobody answered"
    );

    let mut log = Log::default();
    let (n0, ask, n1) = (step("n0", 0), Ask, step("n1", 1));
    let flow = flow! { n0 >> ask >> n1 };
    flow.durable(&db, "review")
        .update(|log: &mut Log| log.approved = true)
        .await
        .unwrap();
    assert!(child("review").success(), "the third process ends the run");
    let saved = db.load("review").await.unwrap().unwrap();
    let done: Log = serde_json::from_str(&saved.store).unwrap();
    assert_eq!(done.posts, ["n0", "ask", "n1"]);
    assert_eq!(saved.status, Status::Finished);
    // Finished: one more run runs nothing and hands back the final store.
    let outcome = flow.durable(&db, "review").run(&mut log).await.unwrap();
    assert_eq!(outcome, Outcome::Finished(Action::DEFAULT));
    assert_eq!(log, done);
}
