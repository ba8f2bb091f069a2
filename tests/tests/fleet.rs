//! A fleet that stays up whatever a job does (SPEC section 11): workers in this process on the
//! real Postgres (`PG_URL`) and Redis (`REDIS_URL`) that `.ci/run` starts, each test on a queue
//! of its own.

use std::time::{Duration, Instant};

use pocketflow::distributed::{Queue, Worker};
use pocketflow::durable::{Checkpoints, Postgres, Status};
use pocketflow::prelude::*;
use pocketflow::{DistributedErrorKind, ErrorKind};
use pocketflow_tests::server_url;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Book {
    pages: Vec<u64>,
    posts: Vec<String>,
}

/// A step that takes a second in `exec`.
struct Slow;

#[node]
impl Slow {
    async fn exec(&self) {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }

    fn post(&self, book: &mut Book) {
        book.posts.push("slow".into());
    }
}

/// A step whose `post` panics on a book with page 13.
struct Poison;

#[node]
impl Poison {
    fn post(&self, book: &mut Book) {
        assert!(!book.pages.contains(&13), "page 13 poisons the run");
        book.posts.push("poison-free".into());
    }
}

fn unique(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}-{}-{nanos}", std::process::id())
}

async fn queue(variable: &str, test: &str) -> Option<Queue> {
    let url = server_url(variable)?;
    Some(Queue::connect(&url).await.unwrap().named(unique(test)))
}

async fn checkpoints() -> Option<Postgres> {
    let url = server_url("PG_URL")?;
    Some(Postgres::connect(&url).await.unwrap())
}

/// Waits up to `within` for run `id` to reach `status`.
async fn wait_for(db: &Postgres, id: &str, status: Status, within: Duration) -> Book {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(saved) = db.load(id).await.unwrap()
            && saved.status == status
        {
            return serde_json::from_str(&saved.store).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let saved = db.load(id).await.unwrap();
    panic!("run {id} is not {status} after {within:?}: {saved:?}");
}

/// Queues a run of `flow` from an empty book under each of `ids`, and waits up to 20 s for each
/// to finish with the one post `post`.
async fn runs_finish(queue: &Queue, db: &Postgres, flow: &str, ids: &[String], post: &str) {
    for id in ids {
        queue
            .enqueue_run(flow, id, &Book::default(), &())
            .await
            .unwrap();
    }
    for id in ids {
        let book = wait_for(db, id, Status::Finished, Duration::from_secs(20)).await;
        assert_eq!(book.posts, [post]);
    }
}

/// One worker with the documented settings (32 runs at once) on a default pool of checkpoints
/// (10 connections): twelve runs of a second each all finish. Each run's lock used to pin a
/// pooled connection for the whole run, and the runs' own checkpoints then waited for one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_one_second_runs_finish_on_one_default_worker() {
    let (Some(queue), Some(db)) = (queue("PG_URL", "twelve").await, checkpoints().await) else {
        return;
    };
    let slow = Slow;
    let worker = Worker::new(unique("twelve-worker"), &queue)
        .concurrency(32)
        .checkpoints(&db)
        .flow("slow", flow! { slow });
    let worker = tokio::spawn(worker.run());
    let ids: Vec<String> = (0..12).map(|i| unique(&format!("twelve-{i}"))).collect();
    runs_finish(&queue, &db, "slow", &ids, "slow").await;
    assert!(!worker.is_finished());
    worker.abort();
}

/// A run whose `post` panics fails its job as an attempt, again and again on both workers,
/// until its starts are used up and the run is marked failed; the workers stay up and the runs
/// beside it finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_run_ends_failed_and_the_workers_stay_up() {
    let (Some(queue), Some(db)) = (queue("PG_URL", "poison").await, checkpoints().await) else {
        return;
    };
    let workers: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|name| {
            let poison = Poison;
            let worker = Worker::new(unique(name), &queue)
                .checkpoints(&db)
                .flow("poison", flow! { poison });
            tokio::spawn(worker.run())
        })
        .collect();
    let poisoned = unique("poisoned");
    let poison = Book {
        pages: vec![13],
        ..Book::default()
    };
    queue
        .enqueue_run("poison", &poisoned, &poison, &())
        .await
        .unwrap();
    let healthy: Vec<String> = (0..4).map(|i| unique(&format!("healthy-{i}"))).collect();
    runs_finish(&queue, &db, "poison", &healthy, "poison-free").await;
    wait_for(&db, &poisoned, Status::Failed, Duration::from_secs(60)).await;
    let saved = db.load(&poisoned).await.unwrap().unwrap();
    let message = saved.message.unwrap_or_default();
    assert!(message.contains("page 13 poisons the run"), "{message}");
    for worker in &workers {
        assert!(!worker.is_finished(), "a worker stopped");
    }
    for worker in workers {
        worker.abort();
    }
}

/// A run whose lock another session holds (a worker that lost its network, still holding it
/// until the server notices) is queued again, not dropped: it runs once the lock is let go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_lock_is_held_runs_once_it_is_released() {
    let (Some(queue), Some(db)) = (queue("PG_URL", "busy").await, checkpoints().await) else {
        return;
    };
    let id = unique("busy-run");
    let url = server_url("PG_URL").unwrap();
    let holder = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let mut held = holder.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
        .bind(format!("pocketflow.run:{id}"))
        .execute(&mut *held)
        .await
        .unwrap();

    let slow = Slow;
    let worker = Worker::new(unique("busy-worker"), &queue)
        .checkpoints(&db)
        .flow("slow", flow! { slow });
    let worker = tokio::spawn(worker.run());
    queue
        .enqueue_run("slow", &id, &Book::default(), &())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        db.load(&id).await.unwrap().is_none(),
        "ran under a held lock"
    );
    sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
        .bind(format!("pocketflow.run:{id}"))
        .execute(&mut *held)
        .await
        .unwrap();
    let book = wait_for(&db, &id, Status::Finished, Duration::from_secs(15)).await;
    assert_eq!(book.posts, ["slow"]);
    worker.abort();
}

/// Items of a node no worker registers.
struct Orphaned;

#[batch_node(parallel, distributed = "nobody-runs-this")]
impl Orphaned {
    fn prep(&self, book: &Book) -> Vec<u64> {
        book.pages.clone()
    }

    async fn exec(&self, page: &u64) -> u64 {
        *page
    }
}

async fn items_with_no_worker_time_out(queue: Queue) {
    let queue = queue.item_timeout(Duration::from_secs(2));
    let orphaned = Orphaned;
    let flow = flow! { orphaned };
    let mut book = Book {
        pages: vec![1, 2, 3],
        ..Book::default()
    };
    let start = Instant::now();
    let error = queue.with_workers(flow.run(&mut book)).await.unwrap_err();
    assert!(start.elapsed() >= Duration::from_secs(2));
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(error.kind(), ErrorKind::Distributed);
    assert_eq!(
        error.distributed_kind(),
        Some(DistributedErrorKind::Timeout)
    );
    let message = error.to_string();
    assert!(
        message.contains("no item of `nobody-runs-this` finished for 2s"),
        "{message}"
    );
    assert!(
        message.contains(".items` (3 still queued or running)"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_no_worker_takes_time_out_on_redis() {
    if let Some(queue) = queue("REDIS_URL", "timeout").await {
        items_with_no_worker_time_out(queue).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_no_worker_takes_time_out_on_postgres() {
    if let Some(queue) = queue("PG_URL", "timeout").await {
        items_with_no_worker_time_out(queue).await;
    }
}

/// Pages doubled on the workers.
struct Double;

#[batch_node(parallel, distributed = "double-pages")]
impl Double {
    fn prep(&self, book: &Book) -> Vec<u64> {
        book.pages.clone()
    }

    async fn exec(&self, page: &u64) -> u64 {
        page * 2
    }

    fn post(&self, book: &mut Book, _: Vec<u64>, doubled: Vec<u64>) {
        book.pages = doubled;
    }
}

/// Two task ids as apalis reads them back (ULIDs, here made of digits), for jobs written by
/// hand: one that is not JSON, one of another shape.
fn bad_jobs() -> [(String, &'static str); 2] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let id = |i| format!("01KB{:022}", (nanos + i) % 10u128.pow(22));
    [(id(0), "not json at all"), (id(1), r#"{"node":7}"#)]
}

/// Doubles pages 1, 2 and 3 through `queue`, whose workers must answer within 20 s.
async fn three_pages_doubled(queue: &Queue) {
    let double = Double;
    let flow = flow! { double };
    let mut book = Book {
        pages: vec![1, 2, 3],
        ..Book::default()
    };
    tokio::time::timeout(
        Duration::from_secs(20),
        queue.with_workers(flow.run(&mut book)),
    )
    .await
    .expect("the items were answered")
    .unwrap();
    assert_eq!(book.pages, [2, 4, 6]);
}

/// Runs three items through `queue` beside the bad jobs already on it: the items are answered
/// and the worker is still up.
async fn answered_beside_bad_jobs(queue: &Queue) {
    let worker = tokio::spawn(Worker::new(unique("decoder"), queue).node(Double).run());
    three_pages_doubled(queue).await;
    assert!(
        !worker.is_finished(),
        "the worker stopped: {:?}",
        worker.await
    );
    worker.abort();
}

/// A job that does not decode (written by another program, or another version) is failed with
/// its error; the worker goes on with the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_job_is_failed_and_the_worker_goes_on_on_postgres() {
    let Some(url) = server_url("PG_URL") else {
        return;
    };
    let name = unique("undecodable");
    let queue = Queue::connect(&url).await.unwrap().named(&name);
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let bad = bad_jobs();
    for (id, job) in &bad {
        sqlx::query(
            "INSERT INTO apalis.jobs (job, id, job_type, status, attempts, max_attempts, run_at) \
             VALUES ($1, $2, $3, 'Pending', 0, 25, now())",
        )
        .bind(job.as_bytes())
        .bind(id)
        .bind(format!("{name}.items"))
        .execute(&pool)
        .await
        .unwrap();
    }
    answered_beside_bad_jobs(&queue).await;
    for (id, _) in &bad {
        let (status, result): (String, serde_json::Value) =
            sqlx::query_as("SELECT status, last_result FROM apalis.jobs WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(status, "Failed");
        assert!(
            result.to_string().contains("the job does not decode"),
            "{result}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_job_is_failed_and_the_worker_goes_on_on_redis() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let name = unique("undecodable");
    let queue = Queue::connect(&url).await.unwrap().named(&name);
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let bad = bad_jobs();
    for (id, job) in &bad {
        redis::pipe()
            .cmd("HSET")
            .arg(format!("{name}.items:data"))
            .arg(id)
            .arg(job.as_bytes())
            .cmd("HSET")
            .arg(format!("{name}.items:meta:{id}"))
            .arg("attempts")
            .arg(0)
            .arg("max_attempts")
            .arg(25)
            .arg("status")
            .arg("Pending")
            .cmd("RPUSH")
            .arg(format!("{name}.items:active"))
            .arg(id)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    }
    answered_beside_bad_jobs(&queue).await;
    for (id, _) in &bad {
        let (status, result): (String, String) = redis::cmd("HMGET")
            .arg(format!("{name}.items:meta:{id}"))
            .arg("status")
            .arg("result")
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(status, "Failed");
        assert!(result.contains("the job does not decode"), "{result}");
    }
}

/// Pages looked at slowly on the workers: 200 ms each.
struct Slowly;

#[batch_node(parallel, distributed = "slowly")]
impl Slowly {
    fn prep(&self, book: &Book) -> Vec<u64> {
        book.pages.clone()
    }

    async fn exec(&self, page: &u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        *page
    }
}

/// A Redis server of this test's own on `port`, with no persistence: a restart loses the queue.
fn start_forgetful_redis(port: u16) -> Option<std::process::Child> {
    let settings = ["--save", "", "--appendonly", "no"];
    let settings: Vec<&std::ffi::OsStr> = settings.iter().map(|s| s.as_ref()).collect();
    pocketflow_tests::spawn_redis(port, &settings)
}

/// A Redis of this test's own that keeps nothing on disk, on a port from `base` up (one per
/// process), its URL and a queue on it; `None` where redis-server is missing outside CI.
async fn forgetful_redis_from(base: u16) -> Option<(std::process::Child, u16, String, Queue)> {
    let port = base + (std::process::id() % 400) as u16;
    let url = format!("redis://127.0.0.1:{port}/");
    let redis = start_forgetful_redis(port)?;
    let queue = redis_queue_at(&url).await;
    Some((redis, port, url, queue))
}

async fn redis_queue_at(url: &str) -> Queue {
    for _ in 0..200 {
        if let Ok(queue) = Queue::connect(url).await {
            return queue
                .named("forgetful")
                .item_timeout(Duration::from_secs(2));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("redis at {url} did not start");
}

/// Forty slow items through `queue` on one worker, with `mishap` run beside them: the error
/// the caller gets (within 30 s), how long it took, and what `mishap` returned.
async fn slow_batch_beside<F: std::future::Future>(
    queue: &Queue,
    mishap: F,
) -> (pocketflow::Error, Duration, F::Output) {
    let worker = tokio::spawn(Worker::new("slow", queue).concurrency(2).node(Slowly).run());
    let slowly = Slowly;
    let flow = flow! { slowly };
    let mut book = Book {
        pages: (0..40).collect(),
        ..Book::default()
    };
    let start = Instant::now();
    let running = queue.with_workers(flow.run(&mut book));
    let (outcome, mishap) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(30), running),
        mishap
    );
    let error = outcome.expect("the caller returned").unwrap_err();
    worker.abort();
    (error, start.elapsed(), mishap)
}

/// The queue's Redis restarts without persistence in the middle of a batch: its items are
/// gone. The caller gets an error (the server gone, or no progress for the item timeout),
/// never a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restarted_without_its_data_mid_batch_is_an_error_not_a_hang() {
    let Some((mut redis, port, _, queue)) = forgetful_redis_from(57_000).await else {
        return;
    };
    let restart = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        redis.kill().unwrap();
        redis.wait().unwrap();
        start_forgetful_redis(port).unwrap()
    };
    let (error, elapsed, mut restarted) = slow_batch_beside(&queue, restart).await;
    assert_eq!(error.kind(), ErrorKind::Distributed, "{error}");
    assert!(
        matches!(
            error.distributed_kind(),
            Some(DistributedErrorKind::Server | DistributedErrorKind::Timeout)
        ),
        "{error}"
    );
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    restarted.kill().unwrap();
    restarted.wait().unwrap();
}

/// The queue's Redis loses its data mid-batch without dropping the connection (as a restart
/// the client reconnects across does): no answer will come, and the item timeout ends the
/// wait with an error naming the node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_lost_its_data_mid_batch_ends_in_the_item_timeout() {
    let Some((mut redis, _, url, queue)) = forgetful_redis_from(57_400).await else {
        return;
    };
    let forget = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("FLUSHALL")
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    };
    let (error, elapsed, ()) = slow_batch_beside(&queue, forget).await;
    assert_eq!(error.kind(), ErrorKind::Distributed, "{error}");
    assert_eq!(
        error.distributed_kind(),
        Some(DistributedErrorKind::Timeout)
    );
    let message = error.to_string();
    assert!(
        message.contains("no item of `slowly` finished for 2s"),
        "{message}"
    );
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    redis.kill().unwrap();
    redis.wait().unwrap();
}

/// On Redis a job put back after its worker died keeps apalis's attempt count, so a job that
/// kills every worker taking it would go round the fleet for ever: pocketflow counts the starts
/// itself, and the 26th start gives up. Here the job has been started 25 times already.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_started_too_often_on_redis_is_given_up() {
    let Some(url) = server_url("REDIS_URL") else {
        return;
    };
    let name = unique("starts");
    let queue = Queue::connect(&url).await.unwrap().named(&name);
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let (id, _) = bad_jobs().into_iter().next().unwrap();
    redis::pipe()
        .cmd("HSET")
        .arg(format!("{name}.items:data"))
        .arg(&id)
        .arg(br#"{"node":"double-pages","items":[21]}"#)
        .cmd("HSET")
        .arg(format!("{name}.items:meta:{id}"))
        .arg("attempts")
        .arg(0)
        .arg("max_attempts")
        .arg(25)
        .arg("status")
        .arg("Pending")
        .arg("pocketflow_starts")
        .arg(25)
        .cmd("RPUSH")
        .arg(format!("{name}.items:active"))
        .arg(&id)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    let worker = tokio::spawn(Worker::new(unique("counter"), &queue).node(Double).run());
    let start = Instant::now();
    let result = loop {
        let (status, result): (Option<String>, Option<String>) = redis::cmd("HMGET")
            .arg(format!("{name}.items:meta:{id}"))
            .arg("status")
            .arg("result")
            .query_async(&mut conn)
            .await
            .unwrap();
        if status.as_deref() == Some("Done") {
            break result.unwrap_or_default();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not answered: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        result.contains("started 25 times without an answer"),
        "{result}"
    );
    assert!(!result.contains("42"), "the item ran: {result}");
    worker.abort();
}

static NAN_EXECS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Scores {
    score: f64,
}

/// Scores with NaN, which no checkpoint can hold: the run fails the same way every time.
struct NotANumber;

#[node]
impl NotANumber {
    async fn exec(&self) {
        NAN_EXECS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    fn post(&self, scores: &mut Scores) {
        scores.score = f64::NAN;
    }
}

/// A run that fails in a way no retry can mend (here a store JSON cannot hold) is an answer,
/// not a failed job: it is not started again, so its node's work is not repeated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_cannot_pass_on_retry_is_not_started_again() {
    let (Some(queue), Some(db)) = (queue("PG_URL", "nan").await, checkpoints().await) else {
        return;
    };
    let nan = NotANumber;
    let worker = Worker::new(unique("nan-worker"), &queue)
        .checkpoints(&db)
        .flow("nan", flow! { nan });
    let worker = tokio::spawn(worker.run());
    let id = unique("nan-run");
    queue
        .enqueue_run("nan", &id, &Scores::default(), &())
        .await
        .unwrap();
    let start = Instant::now();
    loop {
        let saved = db.load(&id).await.unwrap();
        if saved
            .as_ref()
            .is_some_and(|saved| saved.status == Status::Failed)
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{saved:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Time for any retry to have started.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(NAN_EXECS.load(std::sync::atomic::Ordering::SeqCst), 1);
    worker.abort();
}

/// On Postgres a pushed job wakes an idle worker at once: with a poll interval of an hour and a
/// heartbeat of a minute (the two other things that make a worker fetch), three items still
/// come back within seconds. Before, the worker slept until one of the two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_pushed_to_postgres_wakes_an_idle_worker() {
    let Some(queue) = queue("PG_URL", "woken").await else {
        return;
    };
    let queue = queue
        .poll_interval(Duration::from_secs(3600))
        .heartbeat(Duration::from_secs(60));
    let worker = tokio::spawn(Worker::new(unique("woken"), &queue).node(Double).run());
    // Let it register, fetch nothing and go idle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    three_pages_doubled(&queue).await;
    worker.abort();
}
