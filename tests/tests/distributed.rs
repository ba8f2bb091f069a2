//! Workers in this process, on real queues: Postgres (`PG_URL`) and Redis (`REDIS_URL`), each
//! test skipped with a printed reason when its server is unset outside CI. Each test takes a
//! queue name of its own, so tests running at once do not take each other's jobs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pocketflow::ErrorKind;
use pocketflow::distributed::{Queue, Worker};
use pocketflow::durable::{Checkpoints, Postgres, Status};
use pocketflow::prelude::*;
use pocketflow_tests::server_url;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Book {
    pages: Vec<u64>,
    translated: Vec<u64>,
    posts: Vec<String>,
}

/// Pages "translated" on workers: doubled, after 2 ms; page 13 fails for good (2 attempts).
struct Translate;

#[batch_node(parallel, limit = 16, distributed = "translate", max_retries = 2)]
impl Translate {
    fn prep(&self, book: &Book) -> Vec<u64> {
        book.pages.clone()
    }

    async fn exec(&self, page: &u64) -> Result<u64, String> {
        tokio::time::sleep(Duration::from_millis(2)).await;
        if *page == 13 {
            return Err(format!("page {page} is unlucky"));
        }
        Ok(page * 2)
    }

    fn post(&self, book: &mut Book, _pages: Vec<u64>, translated: Vec<u64>) {
        book.translated = translated;
        book.posts.push("translate".into());
    }
}

/// The same items under a name no worker registers.
struct Summarize;

#[batch_node(parallel, distributed = "summarize")]
impl Summarize {
    fn prep(&self, book: &Book) -> Vec<u64> {
        book.pages.clone()
    }

    async fn exec(&self, page: &u64) -> u64 {
        *page
    }
}

/// A queue on `variable`'s server with a name no other test uses.
async fn queue(variable: &str, test: &str) -> Option<Queue> {
    let url = server_url(variable)?;
    let name = format!("{test}-{}-{}", std::process::id(), unique());
    Some(Queue::connect(&url).await.unwrap().named(name))
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

async fn items_in_order_and_failures(queue: Queue) {
    let worker = tokio::spawn(Worker::new("w", &queue).node(Translate).run());
    let translate = Translate;
    let flow = flow! { translate };

    let mut book = Book {
        pages: (100..400).collect(),
        ..Book::default()
    };
    queue.with_workers(flow.run(&mut book)).await.unwrap();
    assert_eq!(
        book.translated,
        (100..400).map(|p| p * 2).collect::<Vec<_>>()
    );
    assert_eq!(book.posts, ["translate"]);

    let mut unlucky = Book {
        pages: vec![1, 13, 2],
        ..Book::default()
    };
    let error = queue
        .with_workers(flow.run(&mut unlucky))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Phase);
    assert_eq!((error.item(), error.attempts()), (Some(1), 2));
    assert!(error.to_string().contains("page 13 is unlucky"), "{error}");
    assert!(unlucky.posts.is_empty());
    worker.abort();
}

/// The jobs of a finished batch are kept until `prune` removes them, and only those that
/// ended before its time.
async fn finished_jobs_are_pruned(queue: Queue) {
    let worker = tokio::spawn(Worker::new("w", &queue).node(Translate).run());
    let translate = Translate;
    let flow = flow! { translate };
    let mut book = Book {
        pages: (100..140).collect(),
        ..Book::default()
    };
    let started = std::time::SystemTime::now() - Duration::from_secs(5);
    queue.with_workers(flow.run(&mut book)).await.unwrap();
    worker.abort();
    assert_eq!(queue.prune(started).await.unwrap(), 0, "none ended before");
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    // Jobs that ended within the item timeout are kept: a caller may still read them.
    assert_eq!(queue.prune(later).await.unwrap(), 0);
    // Redis keeps whole seconds: two of them make sure the jobs ended before the second before.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let impatient = queue.clone().item_timeout(Duration::from_secs(1));
    // 40 pages, 8 to a job.
    assert_eq!(impatient.prune(later).await.unwrap(), 5);
    assert_eq!(impatient.prune(later).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_jobs_are_pruned_on_postgres() {
    let Some(queue) = queue("PG_URL", "prune").await else {
        return;
    };
    finished_jobs_are_pruned(queue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_jobs_are_pruned_on_redis() {
    let Some(queue) = queue("REDIS_URL", "prune").await else {
        return;
    };
    finished_jobs_are_pruned(queue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_come_back_in_order_on_postgres() {
    let Some(queue) = queue("PG_URL", "order").await else {
        return;
    };
    items_in_order_and_failures(queue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_come_back_in_order_on_redis() {
    let Some(queue) = queue("REDIS_URL", "order").await else {
        return;
    };
    items_in_order_and_failures(queue).await;
}

#[tokio::test]
async fn outside_with_workers_the_items_run_here() {
    let translate = Translate;
    let mut book = Book {
        pages: vec![1, 2, 3],
        ..Book::default()
    };
    flow! { translate }.run(&mut book).await.unwrap();
    assert_eq!(book.translated, [2, 4, 6]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_for_a_node_the_worker_lacks_is_a_clear_error() {
    let Some(queue) = queue("REDIS_URL", "unknown").await else {
        return;
    };
    let worker = tokio::spawn(Worker::new("translator", &queue).node(Translate).run());
    let summarize = Summarize;
    let mut book = Book {
        pages: vec![1, 2],
        ..Book::default()
    };
    let error = queue
        .with_workers(flow! { summarize }.run(&mut book))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Distributed);
    assert_eq!(
        error.distributed_kind(),
        Some(pocketflow::DistributedErrorKind::UnknownNode)
    );
    assert_eq!(
        error.to_string(),
        "distributed run: worker `translator` has no node registered as `summarize` (it has: translate); register it with `Worker::node` on every worker of this queue"
    );
    worker.abort();
}

#[tokio::test]
async fn a_worker_with_nothing_to_run_or_no_checkpoints_says_so() {
    let Some(queue) = queue("REDIS_URL", "empty").await else {
        return;
    };
    let error = Worker::new("idle", &queue).run().await.unwrap_err();
    assert!(error.to_string().contains("has nothing to run"), "{error}");
    let translate = Translate;
    let error = Worker::new("no-db", &queue)
        .flow("t", flow! { translate })
        .run()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no checkpoints"), "{error}");
}

/// Steps of a run: each holds its run for 150 ms in `exec`, counting how many runs are inside
/// an `exec` at once.
struct Hold {
    name: &'static str,
}

static HOLDING: AtomicUsize = AtomicUsize::new(0);
static MOST_HOLDING: AtomicUsize = AtomicUsize::new(0);

#[node]
impl Hold {
    async fn exec(&self) {
        let now = HOLDING.fetch_add(1, Ordering::SeqCst) + 1;
        MOST_HOLDING.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(150)).await;
        HOLDING.fetch_sub(1, Ordering::SeqCst);
    }

    fn post(&self, book: &mut Book) {
        book.posts.push(self.name.into());
    }
}

fn hold_flow() -> impl Node<Book, ()> + Send + Sync + 'static {
    let (a, b) = (Hold { name: "a" }, Hold { name: "b" });
    flow! { a >> b }
}

async fn wait_finished(db: &Postgres, id: &str) -> Book {
    for _ in 0..300 {
        if let Some(saved) = db.load(id).await.unwrap()
            && saved.status == Status::Finished
        {
            return serde_json::from_str(&saved.store).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("run {id} did not finish within 15 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_racing_for_one_run_never_run_it_together() {
    let Some(queue) = queue("PG_URL", "race").await else {
        return;
    };
    let db = Postgres::connect(&server_url("PG_URL").unwrap())
        .await
        .unwrap();
    let workers: Vec<_> = ["left", "right"]
        .into_iter()
        .map(|name| {
            let worker = Worker::new(name, &queue)
                .checkpoints(&db)
                .flow("hold", hold_flow());
            tokio::spawn(worker.run())
        })
        .collect();
    let id = format!("race-{}", unique());
    // The same run queued three times: each worker takes one at once, then the third.
    for _ in 0..3 {
        queue
            .enqueue_run("hold", &id, &Book::default(), &())
            .await
            .unwrap();
    }
    let book = wait_finished(&db, &id).await;
    // Let the jobs still in hand end too before counting.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(book.posts, ["a", "b"]);
    assert_eq!(MOST_HOLDING.load(Ordering::SeqCst), 1);
    let history = db.history(&id).await.unwrap();
    assert_eq!(
        history.iter().filter(|h| h.node.is_some()).count(),
        2,
        "{history:?}"
    );
    for worker in workers {
        worker.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_run_executes_on_a_worker_with_its_items_on_the_queue() {
    let Some(queue) = queue("REDIS_URL", "run").await else {
        return;
    };
    let Some(pg) = server_url("PG_URL") else {
        return;
    };
    let db = Postgres::connect(&pg).await.unwrap();
    let translate = Translate;
    let worker = Worker::new("runner", &queue)
        .checkpoints(&db)
        .node(Translate)
        .flow("translate", flow! { translate })
        .run();
    let worker = tokio::spawn(worker);
    let id = format!("run-{}", unique());
    let book = Book {
        pages: vec![5, 6, 7],
        ..Book::default()
    };
    queue
        .enqueue_run("translate", &id, &book, &())
        .await
        .unwrap();
    let book = wait_finished(&db, &id).await;
    assert_eq!(book.translated, [10, 12, 14]);
    assert_eq!(book.posts, ["translate"]);
    worker.abort();
}

/// A streamed run whose batch items run on workers streams their progress (SPEC section 12),
/// not what their `exec` emits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_on_workers_stream_their_progress() {
    use futures::StreamExt;
    use pocketflow::stream::EventKind;
    let Some(queue) = queue("REDIS_URL", "streamed").await else {
        return;
    };
    let worker = tokio::spawn(Worker::new("w", &queue).node(Translate).run());
    let translate = Translate;
    let flow = flow! { translate };
    let mut book = Book {
        pages: (1..=5).collect(),
        ..Book::default()
    };
    let progress: Vec<(usize, usize)> = queue
        .with_workers(async {
            let mut events = flow.stream::<()>(&mut book);
            let mut progress = Vec::new();
            while let Some(event) = events.next().await {
                if let EventKind::Progress { done, total } = event.kind() {
                    progress.push((*done, *total));
                }
            }
            events.finish().await.unwrap();
            progress
        })
        .await;
    assert_eq!(progress, (1..=5).map(|done| (done, 5)).collect::<Vec<_>>());
    assert_eq!(book.translated, [2, 4, 6, 8, 10]);
    worker.abort();
}
