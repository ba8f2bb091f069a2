//! What a durable run writes per step, now that history keeps every checkpoint: the bytes of
//! each checkpoint's position and store, summed over a run, per committed step.
//!
//! ```text
//! cargo run --release -p pocketflow-examples --features durable --example history_bytes
//! ```
//!
//! prints one line per workload: `name steps checkpoints bytes bytes_per_step`. `chain`: a node
//! looping 1,000 times; `batch_flow`: a sequential batch flow over 1,000 documents (a one-node
//! sub-flow, a checkpoint per document); `parallel_flow`: the same 1,000 documents, 8 at a time,
//! each taking 1 ms. Each checkpoint inside a batch flow needs the items to resume; written in
//! every one, they made the bytes grow with the square of the item count (BENCHMARKS.md).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pocketflow::durable::{Checkpoint, Checkpoints, HistoryEntry, Memory, RunInfo};
use pocketflow::prelude::*;
use serde::{Deserialize, Serialize};

/// A backend that counts what its checkpoints write.
#[derive(Default)]
struct Counting {
    inner: Memory,
    checkpoints: AtomicU64,
    bytes: AtomicU64,
}

impl Counting {
    fn count(&self, checkpoint: &Checkpoint) {
        self.checkpoints.fetch_add(1, Ordering::Relaxed);
        let bytes = checkpoint.position.len() + checkpoint.store.len();
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

impl Checkpoints for Counting {
    async fn load(&self, run_id: &str) -> pocketflow::Result<Option<Checkpoint>> {
        self.inner.load(run_id).await
    }
    async fn save(&self, run_id: &str, checkpoint: &Checkpoint) -> pocketflow::Result<()> {
        self.count(checkpoint);
        self.inner.save(run_id, checkpoint).await
    }
    async fn save_after(
        &self,
        run_id: &str,
        expected: Option<u64>,
        checkpoint: &Checkpoint,
    ) -> pocketflow::Result<bool> {
        self.count(checkpoint);
        self.inner.save_after(run_id, expected, checkpoint).await
    }
    async fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> pocketflow::Result<String> + Send),
    ) -> pocketflow::Result<()> {
        self.inner.update_store(run_id, edit).await
    }
    async fn list(&self) -> pocketflow::Result<Vec<RunInfo>> {
        self.inner.list().await
    }
    async fn history(&self, run_id: &str) -> pocketflow::Result<Vec<HistoryEntry>> {
        self.inner.history(run_id).await
    }
    async fn save_item(
        &self,
        run_id: &str,
        version: u64,
        slot: u64,
        value: &str,
    ) -> pocketflow::Result<bool> {
        self.inner.save_item(run_id, version, slot, value).await
    }
    async fn items(&self, run_id: &str, version: u64) -> pocketflow::Result<Vec<(u64, String)>> {
        self.inner.items(run_id, version).await
    }
    fn keeps_history(&self) -> bool {
        true
    }
    async fn checkpoint_at(
        &self,
        run_id: &str,
        step: u64,
    ) -> pocketflow::Result<Option<Checkpoint>> {
        self.inner.checkpoint_at(run_id, step).await
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Tally {
    count: u64,
}

/// Counts to 1,000, then ends.
struct Inc;

#[node]
impl Inc {
    fn post(&self, tally: &mut Tally) -> Option<&'static str> {
        tally.count += 1;
        (tally.count < 1_000).then_some("again")
    }
}

/// Counts a document, after `ms`.
struct Read {
    ms: u64,
}

#[node]
impl Read {
    async fn exec(&self) {
        if self.ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.ms)).await;
        }
    }
    fn post(&self, tally: &mut Tally) {
        tally.count += 1;
    }
}

/// 1,000 documents, one after another.
struct Documents;

#[batch_flow]
impl Documents {
    fn prep(&self, _: &Tally) -> Vec<String> {
        (0..1_000).map(|i| format!("documents/{i:04}.md")).collect()
    }
}

/// The same documents, 8 at a time.
struct DocumentsAtOnce;

#[batch_flow(parallel, limit = 8)]
impl DocumentsAtOnce {
    fn prep(&self, _: &Tally) -> Vec<String> {
        (0..1_000).map(|i| format!("documents/{i:04}.md")).collect()
    }
}

async fn measure<N: Node<Tally> + Sync>(name: &str, flow: &N) {
    let db = Counting::default();
    let mut tally = Tally::default();
    flow.durable(&db, name)
        .run(&mut tally)
        .await
        .expect("the run finishes");
    let steps = db
        .inner
        .load(name)
        .await
        .ok()
        .flatten()
        .map_or(0, |saved| saved.step);
    let (checkpoints, bytes) = (db.checkpoints.into_inner(), db.bytes.into_inner());
    println!(
        "{name} {steps} {checkpoints} {bytes} {:.0}",
        bytes as f64 / steps.max(1) as f64
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let inc = Inc;
    measure("chain", &flow! { inc - "again" >> inc }).await;
    let read = Read { ms: 0 };
    measure("batch_flow", &Documents.over(flow! { read })).await;
    let read = Read { ms: 1 };
    measure("parallel_flow", &DocumentsAtOnce.over(flow! { read })).await;
}
