//! Worker processes killed with SIGKILL, and a queue server that goes away: nothing is lost.
//!
//! Workers are this test binary itself, run with `POCKETFLOW_WORKER_CHILD` set and only the
//! `worker_child` test selected. Queues beat every 300 ms, so a dead worker's jobs go back to
//! the queue within about a second. Postgres from `PG_URL`, Redis from `REDIS_URL`, and for the
//! server that goes away a Redis of the test's own (`redis-server` on the PATH); each test skips
//! with a printed reason when what it needs is missing outside CI.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pocketflow::distributed::{Queue, Worker};
use pocketflow::durable::{Checkpoints, Outcome, Postgres, Sqlite, Status};
use pocketflow::prelude::*;
use pocketflow::{ErrorKind, Progress};
use pocketflow_tests::server_url;
use serde::{Deserialize, Serialize};

const CHILD: &str = "POCKETFLOW_WORKER_CHILD";
const BEAT: Duration = Duration::from_millis(300);

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Job {
    items: Vec<u64>,
    results: Vec<u64>,
    posts: Vec<String>,
}

/// 10 ms of waiting per item (an API call), on the workers.
struct Call;

#[batch_node(parallel, limit = 64, distributed = "call")]
impl Call {
    fn prep(&self, job: &Job) -> Vec<u64> {
        job.items.clone()
    }

    async fn exec(&self, item: &u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        item * 3 + 1
    }

    fn post(&self, job: &mut Job, _items: Vec<u64>, results: Vec<u64>) {
        job.results = results;
        job.posts.push("call".into());
    }
}

/// A step that takes `millis` in `exec` and logs itself in `post`.
struct Step {
    name: &'static str,
    millis: u64,
}

#[node]
impl Step {
    async fn exec(&self) {
        tokio::time::sleep(Duration::from_millis(self.millis)).await;
    }

    fn post(&self, job: &mut Job) {
        job.posts.push(self.name.into());
    }
}

fn steps() -> impl Node<Job, ()> + Send + Sync + 'static {
    let (s0, s1, s2, s3, s4, s5) = (
        Step {
            name: "s0",
            millis: 150,
        },
        Step {
            name: "s1",
            millis: 150,
        },
        Step {
            name: "s2",
            millis: 150,
        },
        Step {
            name: "s3",
            millis: 150,
        },
        Step {
            name: "s4",
            millis: 150,
        },
        Step {
            name: "s5",
            millis: 150,
        },
    );
    flow! { s0 >> s1 >> s2 >> s3 >> s4 >> s5 }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

async fn open_queue(url: &str, name: &str) -> Queue {
    Queue::connect(url)
        .await
        .unwrap()
        .named(name)
        .heartbeat(BEAT)
}

/// The child: `queue url|queue name|worker name|postgres url` in `POCKETFLOW_WORKER_CHILD`;
/// works until killed.
#[test]
fn worker_child() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let [queue_url, queue_name, name, pg] = parts[..] else {
        panic!("bad child spec {spec}");
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let queue = open_queue(queue_url, queue_name).await;
        let db = Postgres::connect(pg).await.unwrap();
        let worker = Worker::new(name, &queue)
            .concurrency(8)
            .checkpoints(&db)
            .node(Call)
            .flow("steps", steps());
        worker.run().await.unwrap();
    });
}

/// A worker process, killed when dropped.
struct WorkerProcess(Child);

impl WorkerProcess {
    fn start(queue_url: &str, queue_name: &str, name: &str, pg: &str) -> WorkerProcess {
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "worker_child", "--test-threads=1", "--nocapture"])
            .env(CHILD, format!("{queue_url}|{queue_name}|{name}|{pg}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        WorkerProcess(child)
    }

    /// SIGKILL: no destructor, no goodbye to the queue.
    fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// 1,000 items over 3 worker processes; one is killed once a fifth of the results are in.
async fn a_killed_worker_loses_no_item(queue_url: &str, pg: &str) {
    let name = format!("kill-items-{}", unique());
    let queue = open_queue(queue_url, &name).await;
    let mut workers: Vec<WorkerProcess> = (0..3)
        .map(|i| WorkerProcess::start(queue_url, &name, &format!("w{i}"), pg))
        .collect();
    let progress = Progress::new();
    let call = Call.with_progress(&progress);
    let flow = flow! { call };
    let mut job = Job {
        items: (0..1000).collect(),
        ..Job::default()
    };
    let run = queue.with_workers(flow.run(&mut job));
    let kill = async {
        while progress.done() < 200 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        workers[0].kill();
        progress.done()
    };
    let started = Instant::now();
    let (ran, done_at_kill) = tokio::join!(run, kill);
    ran.unwrap();
    assert!(done_at_kill < 1000, "the batch ended before the kill");
    assert_eq!(job.posts, ["call"], "post ran once");
    assert_eq!(
        job.results,
        (0..1000).map(|i| i * 3 + 1).collect::<Vec<_>>()
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_batch_loses_no_item_on_postgres() {
    let Some(pg) = server_url("PG_URL") else {
        return;
    };
    a_killed_worker_loses_no_item(&pg, &pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_batch_loses_no_item_on_redis() {
    let (Some(redis), Some(pg)) = (server_url("REDIS_URL"), server_url("PG_URL")) else {
        return;
    };
    a_killed_worker_loses_no_item(&redis, &pg).await;
}

/// A queued run of six 150 ms steps: its worker is killed after two steps; another worker,
/// started then, resumes it from its checkpoint and every step's `post` is applied once.
async fn a_run_resumes_on_another_worker(queue_url: &str, pg: &str) {
    let name = format!("kill-run-{}", unique());
    let queue = open_queue(queue_url, &name).await;
    let db = Postgres::connect(pg).await.unwrap();
    let id = format!("run-{name}");
    queue
        .enqueue_run("steps", &id, &Job::default(), &())
        .await
        .unwrap();
    let mut first = WorkerProcess::start(queue_url, &name, "first", pg);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let saved = db.load(&id).await.unwrap();
        if saved.is_some_and(|saved| saved.step >= 2) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first worker made no progress"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    let killed_at = db.load(&id).await.unwrap().unwrap();
    assert_eq!(killed_at.status, Status::Running);
    assert!(killed_at.step < 6);
    let _second = WorkerProcess::start(queue_url, &name, "second", pg);
    loop {
        let saved = db.load(&id).await.unwrap().unwrap();
        if saved.status == Status::Finished {
            let job: Job = serde_json::from_str(&saved.store).unwrap();
            assert_eq!(job.posts, ["s0", "s1", "s2", "s3", "s4", "s5"]);
            break;
        }
        assert!(Instant::now() < deadline, "the run was not resumed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let steps: Vec<u64> = db
        .history(&id)
        .await
        .unwrap()
        .iter()
        .map(|h| h.step)
        .collect();
    let mut unique_steps = steps.clone();
    unique_steps.dedup();
    assert_eq!(steps, unique_steps, "a step was saved twice: {steps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_worker_dies_resumes_on_another_on_postgres() {
    let Some(pg) = server_url("PG_URL") else {
        return;
    };
    a_run_resumes_on_another_worker(&pg, &pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_worker_dies_resumes_on_another_on_redis() {
    let (Some(redis), Some(pg)) = (server_url("REDIS_URL"), server_url("PG_URL")) else {
        return;
    };
    a_run_resumes_on_another_worker(&redis, &pg).await;
}

/// A Redis server of this test's own, on `port`, keeping its data in `dir` (append-only file,
/// written at every command) so that a restart finds the queue as it was.
fn start_redis(port: u16, dir: &std::path::Path) -> Option<Child> {
    let settings = [
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
    ];
    let mut settings: Vec<&std::ffi::OsStr> = settings.iter().map(|s| s.as_ref()).collect();
    settings.push(dir.as_os_str());
    pocketflow_tests::spawn_redis(port, &settings)
}

async fn wait_for_redis(url: &str) -> Queue {
    for _ in 0..200 {
        if let Ok(queue) = Queue::connect(url).await {
            return queue.named("away").heartbeat(BEAT);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("redis at {url} did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_server_that_goes_away_is_an_error_and_the_run_resumes_after() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("redis-away-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = 56_500 + (std::process::id() % 400) as u16;
    let url = format!("redis://127.0.0.1:{port}/");
    let Some(mut redis) = start_redis(port, &dir) else {
        return;
    };
    let queue = wait_for_redis(&url).await;
    let worker = tokio::spawn(Worker::new("w", &queue).concurrency(4).node(Call).run());
    let db = Sqlite::open(dir.join("runs.db")).await.unwrap();
    let (before, call, after) = (
        Step {
            name: "before",
            millis: 0,
        },
        Call,
        Step {
            name: "after",
            millis: 0,
        },
    );
    let flow = flow! { before >> call >> after };
    let job = Job {
        items: (0..300).collect(),
        ..Job::default()
    };
    let run = flow.durable(&db, "away");

    // 300 items at 4 at a time take about 0.75 s: the server goes 200 ms in.
    let mut first = job.clone();
    let running = queue.with_workers(run.run(&mut first));
    let away = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        redis.kill().unwrap();
        redis.wait().unwrap();
    };
    let (outcome, ()) = tokio::join!(running, away);
    let error = outcome.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Distributed, "{error}");
    assert_eq!(
        error.distributed_kind(),
        Some(pocketflow::DistributedErrorKind::Server),
        "{error}"
    );
    worker.abort();

    let mut redis = start_redis(port, &dir).unwrap();
    let queue = wait_for_redis(&url).await;
    let worker = tokio::spawn(Worker::new("w2", &queue).concurrency(16).node(Call).run());
    let mut resumed = Job::default();
    let outcome = queue.with_workers(run.run(&mut resumed)).await.unwrap();
    assert_eq!(outcome, Outcome::Finished(Action::DEFAULT));
    assert_eq!(resumed.posts, ["before", "call", "after"]);
    assert_eq!(
        resumed.results,
        (0..300).map(|i| i * 3 + 1).collect::<Vec<_>>()
    );
    worker.abort();
    redis.kill().unwrap();
    redis.wait().unwrap();
}
