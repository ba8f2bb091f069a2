//! The batch-processing chapter's translation, on a fleet: every (paragraph, language) pair is
//! one item whose `exec` (a pretend 10 ms API call) runs on whichever worker process takes it.
//!
//! Needs a queue server: Redis (`QUEUE_URL`, default `redis://127.0.0.1:6379/`) or Postgres
//! (`QUEUE_URL=postgres://..`). Two terminals:
//!
//! ```text
//! # terminal 1, and as many more as you like, on any machine that reaches the server:
//! cargo run -p pocketflow-examples --features distributed --example distributed_translate -- worker
//! # terminal 2:
//! cargo run -p pocketflow-examples --features distributed --example distributed_translate -- translate
//! ```
//!
//! With `PG_URL` set as well, workers also take whole runs, which `-- enqueue` queues (the
//! durable run's checkpoints on that Postgres). `-- bench` starts 1, 2 and 4 worker processes
//! itself and prints the items per second of each, and of the same batch in-process.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pocketflow::distributed::{Queue, Worker};
use pocketflow::durable::{Outcome, Postgres};
use pocketflow::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Book {
    paragraphs: Vec<String>,
    languages: Vec<String>,
    /// One per (paragraph, language) pair, paragraph-major.
    translations: Vec<String>,
}

struct Translate;

// `limit` is how many items of one batch are in flight at once across the whole fleet: here
// what two workers of `concurrency(256)` run together. Every item in flight waits for the
// queue as well as for its call, so the limit, not the workers, bounds a batch's speed when it
// is lower than that (items per second = limit / time an item is in flight).
#[batch_node(
    parallel,
    limit = 512,
    distributed = "translate",
    max_retries = 3,
    wait = "50ms"
)]
impl Translate {
    fn prep(&self, book: &Book) -> Vec<(String, String)> {
        let pairs = book.paragraphs.iter().flat_map(|paragraph| {
            let languages = book.languages.iter();
            languages.map(move |language| (paragraph.clone(), language.clone()))
        });
        pairs.collect()
    }

    async fn exec(&self, (paragraph, language): &(String, String)) -> String {
        // Pretend to call a translation API.
        tokio::time::sleep(Duration::from_millis(10)).await;
        format!("[{language}] {paragraph}")
    }

    fn post(&self, book: &mut Book, _pairs: Vec<(String, String)>, translations: Vec<String>) {
        book.translations = translations;
    }
}

fn book(paragraphs: usize) -> Book {
    Book {
        paragraphs: (1..=paragraphs).map(|i| format!("paragraph {i}")).collect(),
        languages: ["Chinese", "Spanish", "Japanese", "German"]
            .map(String::from)
            .into(),
        translations: Vec::new(),
    }
}

async fn queue() -> pocketflow::Result<Queue> {
    let url = std::env::var("QUEUE_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    Ok(Queue::connect(&url).await?.named("distributed_translate"))
}

async fn worker(name: String) -> pocketflow::Result<()> {
    // An idle worker asks for jobs every 5 ms (the default is 20 ms): the latency of an item
    // queued while all workers wait, against 200 small queries a second per idle worker.
    let queue = queue().await?.poll_interval(Duration::from_millis(5));
    let mut worker = Worker::new(name.as_str(), &queue)
        .concurrency(256)
        .node(Translate);
    if let Ok(pg) = std::env::var("PG_URL") {
        let translate = Translate;
        let db = Postgres::connect(&pg).await?;
        worker = worker
            .checkpoints(&db)
            .flow("translate", flow! { translate });
    }
    println!("worker {name} is taking jobs");
    worker.run().await
}

async fn translate(paragraphs: usize) -> pocketflow::Result<()> {
    let queue = queue().await?;
    let translate = Translate;
    let flow = flow! { translate };
    let mut book = book(paragraphs);
    let started = Instant::now();
    queue.with_workers(flow.run(&mut book)).await?;
    let elapsed = started.elapsed();
    for line in book.translations.iter().take(4) {
        println!("{line}");
    }
    println!(
        "{} translations in {:.0?} ({:.0} per second)",
        book.translations.len(),
        elapsed,
        book.translations.len() as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

async fn enqueue(paragraphs: usize) -> pocketflow::Result<()> {
    let pg = std::env::var("PG_URL").expect("`enqueue` needs PG_URL: the runs' checkpoints");
    let queue = queue().await?;
    let db = Postgres::connect(&pg).await?;
    let id = format!("book-{}", std::process::id());
    queue
        .enqueue_run("translate", &id, &book(paragraphs), &())
        .await?;
    println!("queued run {id}; waiting for a worker to finish it");
    let translate = Translate;
    let flow = flow! { translate };
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        use pocketflow::durable::{Checkpoints, Status};
        if db
            .load(&id)
            .await?
            .is_some_and(|saved| saved.status == Status::Finished)
        {
            // The finished run's store, read back through the run itself.
            let mut book = Book::default();
            let outcome = flow.durable(&db, id.as_str()).run(&mut book).await?;
            assert!(matches!(outcome, Outcome::Finished(_)));
            println!("run {id}: {} translations", book.translations.len());
            return Ok(());
        }
    }
}

/// A worker process: this example again, with `worker`.
struct WorkerProcess(Child);

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn bench() -> pocketflow::Result<()> {
    let items = 2000;
    let paragraphs = items / 4;
    // The same batch in-process, for the per-item overhead of the queue.
    let translate = Translate;
    let flow = flow! { translate };
    let mut book_here = book(paragraphs);
    let started = Instant::now();
    flow.run(&mut book_here).await?;
    let here = started.elapsed();
    println!(
        "in_process_batch items={items} limit=512 {:.0} items/s ({:.2} ms)",
        items as f64 / here.as_secs_f64(),
        here.as_secs_f64() * 1e3
    );
    for workers in [1, 2, 4] {
        let processes: Vec<WorkerProcess> = (0..workers)
            .map(|i| {
                let child = Command::new(std::env::current_exe().unwrap())
                    // Names of their own: Redis refuses a worker named as one seen alive
                    // in the last few heartbeats, as those of the run before may be.
                    .args([
                        "worker",
                        &format!("bench-{}-{workers}-{i}", std::process::id()),
                    ])
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("start a worker process");
                WorkerProcess(child)
            })
            .collect();
        // A warm-up batch: the workers connect and register.
        queue().await?.with_workers(flow.run(&mut book(8))).await?;
        let mut book = book(paragraphs);
        let started = Instant::now();
        queue().await?.with_workers(flow.run(&mut book)).await?;
        let elapsed = started.elapsed();
        assert_eq!(book.translations, book_here.translations);
        println!(
            "distributed_batch workers={workers} items={items} {:.0} items/s ({:.2} ms)",
            items as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e3
        );
        drop(processes);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> pocketflow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = |default| args.get(1).and_then(|n| n.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("worker") => {
            worker(
                args.get(1)
                    .cloned()
                    .unwrap_or_else(|| format!("worker-{}", std::process::id())),
            )
            .await
        }
        Some("enqueue") => enqueue(count(25)).await,
        Some("bench") => bench().await,
        Some("translate") | None => translate(count(25)).await,
        Some(other) => {
            eprintln!("unknown mode `{other}`; use worker, translate, enqueue or bench");
            std::process::exit(2);
        }
    }
}
