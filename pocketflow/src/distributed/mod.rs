//! Beyond one machine: runs and batch items as jobs on a queue, executed by workers.
//!
//! Opt-in with the cargo feature `distributed` (which brings `postgres`; rustc 1.94 or newer).
//! The queue is [apalis](https://docs.rs/apalis) 1.0 on Postgres or Redis: its leases,
//! heartbeats and orphan recovery decide which worker runs what, and a worker that dies loses
//! its jobs to the others. Nothing here schedules or speaks a protocol of its own.
//!
//! - [`Queue`]: where jobs wait, on Postgres or Redis, chosen by its URL.
//!   [`Queue::enqueue_run`] puts a durable run on it; [`Queue::with_workers`] runs a future in
//!   which every distributed batch node sends its items to it.
//! - [`Worker`]: registers flows by name and distributed batch nodes, then takes jobs: runs
//!   execute as durable runs on the shared [`Postgres`](crate::durable::Postgres) checkpoints
//!   (never two workers on one run: a Postgres advisory lock per run id), items run `exec` with
//!   the node's retries and fallback.
//! - `#[batch_node(parallel, limit = N, distributed = "name")]`: outside
//!   [`Queue::with_workers`] the batch runs in-process as any parallel batch; inside, `prep` and
//!   `post` stay with the caller and each item's `exec` goes to the queue, at most `N` items
//!   queued and unfinished, results back in item order.
//!
//! ```no_run
//! use pocketflow::prelude::*;
//! use pocketflow::distributed::{Queue, Worker};
//! use pocketflow::durable::Postgres;
//!
//! #[derive(Default, serde::Serialize, serde::Deserialize)]
//! struct Book { pages: Vec<String>, translated: Vec<String> }
//!
//! struct Translate;
//! #[batch_node(parallel, limit = 64, distributed = "translate")]
//! impl Translate {
//!     fn prep(&self, book: &Book) -> Vec<String> { book.pages.clone() }
//!     async fn exec(&self, page: &String) -> String { page.to_uppercase() }
//!     fn post(&self, book: &mut Book, _: Vec<String>, pages: Vec<String>) { book.translated = pages; }
//! }
//!
//! # async fn demo() -> pocketflow::Result<()> {
//! let queue = Queue::connect("redis://127.0.0.1:6379").await?; // or postgres://..
//! let db = Postgres::connect("postgres://localhost/app").await?;
//!
//! // Any number of processes, on any machines:
//! let worker = Worker::new("worker-1", &queue)
//!     .checkpoints(&db)
//!     .node(Translate)
//!     .flow("translate", { let translate = Translate; flow! { translate } });
//! tokio::spawn(worker.run());
//!
//! // The caller: a whole run as a job ..
//! queue.enqueue_run("translate", "book-7", &Book::default(), &()).await?;
//! // .. or a flow run here whose distributed nodes send their items to the workers.
//! let translate = Translate;
//! let flow = flow! { translate };
//! let mut book = Book { pages: vec!["une page".into()], ..Book::default() };
//! queue.with_workers(flow.run(&mut book)).await?;
//! # Ok(()) }
//! ```

mod items;
mod jobs;
mod polling;
mod queue;
mod worker;

pub use self::items::{Distributed, Portable};
pub use self::queue::Queue;
pub use self::worker::Worker;
pub use crate::error::DistributedErrorKind;

#[doc(hidden)]
pub use self::items::{CheckPortable, drive_distributed_batch};
