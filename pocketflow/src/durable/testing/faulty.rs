//! A `Checkpoints` wrapper that injects one fault at the k-th backend call.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::future::select;
use tokio::sync::Notify;

use crate::durable::{Checkpoint, Checkpoints, HistoryEntry, RunInfo};
use crate::error::{Error, Result};

/// What goes wrong at the chosen backend call of a [`Faulty`] backend.
///
/// ```
/// use pocketflow::durable::testing::Fault;
/// assert_eq!(Fault::ALL.len(), 5);
/// assert_eq!(Fault::Crash.to_string(), "crash");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// The call fails with a `Backend` error, having done nothing: the database went away.
    Fail,
    /// The process dies before the call reaches the backend: the call never returns.
    Hang,
    /// The process dies while the call is in flight: it is polled once, then never again (a
    /// backend that answers at once has then done it whole; one that awaits, not at all).
    Cancel,
    /// The call is done whole in the backend, and the process dies before it learns so.
    Crash,
    /// Another process edits the run (adds one to the store's top-level `edits` number) while
    /// the call is in flight; the call then returns as it would have. The edit must survive.
    Update,
}

impl Fault {
    /// Every fault, in the order the conformance harness tries them.
    pub const ALL: [Fault; 5] = [
        Fault::Fail,
        Fault::Hang,
        Fault::Cancel,
        Fault::Crash,
        Fault::Update,
    ];
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Fault::Fail => "fail",
            Fault::Hang => "hang",
            Fault::Cancel => "cancel",
            Fault::Crash => "crash",
            Fault::Update => "update",
        })
    }
}

/// A [`Checkpoints`] backend that passes every call to `inner`, counting them, and injects one
/// [`Fault`] at call number `at` (counted from 1), if any.
///
/// A fault that kills the process ([`Hang`](Fault::Hang), [`Cancel`](Fault::Cancel),
/// [`Crash`](Fault::Crash)) leaves the call pending for ever; [`dead`](Faulty::dead) resolves
/// then, so a harness drops the run future there, as a killed process would leave it.
///
/// ```
/// use pocketflow::durable::testing::{Fault, Faulty};
/// use pocketflow::durable::{Checkpoints, Memory};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let db = Memory::new();
/// let faulty = Faulty::new(&db).fault_at(2, Fault::Fail);
/// assert!(faulty.load("run").await.unwrap().is_none());
/// assert!(faulty.load("run").await.is_err());
/// assert_eq!(faulty.calls(), 2);
/// # });
/// ```
pub struct Faulty<'c, C> {
    inner: &'c C,
    calls: AtomicU64,
    fault: Option<(u64, Fault)>,
    died: AtomicBool,
    death: Notify,
    edited: AtomicBool,
}

impl<'c, C: Checkpoints> Faulty<'c, C> {
    /// Passes every call to `inner`, counting them; no fault until [`fault_at`](Self::fault_at).
    pub fn new(inner: &'c C) -> Faulty<'c, C> {
        Faulty {
            inner,
            calls: AtomicU64::new(0),
            fault: None,
            died: AtomicBool::new(false),
            death: Notify::new(),
            edited: AtomicBool::new(false),
        }
    }

    /// Injects `fault` at call number `call` (from 1).
    pub fn fault_at(mut self, call: u64, fault: Fault) -> Faulty<'c, C> {
        self.fault = Some((call, fault));
        self
    }

    /// The calls made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Whether a fault killed the process.
    pub fn died(&self) -> bool {
        self.died.load(Ordering::SeqCst)
    }

    /// Whether an [`Update`](Fault::Update) fault's edit was committed (a run not saved yet
    /// cannot be edited).
    pub fn edited(&self) -> bool {
        self.edited.load(Ordering::SeqCst)
    }

    /// Resolves once a fault has killed the process.
    pub async fn dead(&self) {
        loop {
            let notified = self.death.notified();
            if self.died() {
                return;
            }
            notified.await;
        }
    }

    fn die(&self) {
        self.died.store(true, Ordering::SeqCst);
        self.death.notify_waiters();
    }

    /// Runs `call`, the next backend call on run `run_id`, with its fault if it is the one.
    async fn call<T>(&self, run_id: &str, call: impl Future<Output = Result<T>>) -> Result<T> {
        let number = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let fault = match self.fault {
            Some((at, fault)) if at == number && !self.died() => fault,
            _ => return call.await,
        };
        match fault {
            Fault::Fail => Err(Error::durable(
                format!("fault injected: backend call {number} failed").into(),
            )),
            Fault::Hang => self.die_here().await,
            Fault::Cancel => {
                // Whatever the call did in its first poll is done; the rest never happens.
                let _ = select(pin!(call), pin!(tokio::task::yield_now())).await;
                self.die_here().await
            }
            Fault::Crash => {
                let _ = call.await;
                self.die_here().await
            }
            Fault::Update => {
                // Polled after the call's first poll: the edit lands at the call's first wait
                // (after it, for a call that never waits).
                let edit = async {
                    let edited = self
                        .inner
                        .update_store(run_id, &mut |store| {
                            let mut value: serde_json::Value = serde_json::from_str(store)
                                .map_err(|e| Error::durable(e.into()))?;
                            let Some(fields) = value.as_object_mut() else {
                                return Err(Error::durable(
                                    "fault injected: an update needs a store that is a JSON object"
                                        .into(),
                                ));
                            };
                            let edits = fields.get("edits").and_then(|e| e.as_u64()).unwrap_or(0);
                            fields.insert("edits".to_owned(), (edits + 1).into());
                            Ok(value.to_string())
                        })
                        .await;
                    self.edited.store(edited.is_ok(), Ordering::SeqCst);
                };
                let (done, ()) = futures::future::join(call, edit).await;
                done
            }
        }
    }

    async fn die_here<T>(&self) -> T {
        self.die();
        std::future::pending().await
    }
}

impl<C: Checkpoints> Checkpoints for Faulty<'_, C> {
    async fn load(&self, run_id: &str) -> Result<Option<Checkpoint>> {
        self.call(run_id, self.inner.load(run_id)).await
    }

    async fn save(&self, run_id: &str, checkpoint: &Checkpoint) -> Result<()> {
        self.call(run_id, self.inner.save(run_id, checkpoint)).await
    }

    async fn save_after(
        &self,
        run_id: &str,
        expected: Option<u64>,
        checkpoint: &Checkpoint,
    ) -> Result<bool> {
        self.call(run_id, self.inner.save_after(run_id, expected, checkpoint))
            .await
    }

    async fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> Result<String> + Send),
    ) -> Result<()> {
        self.call(run_id, self.inner.update_store(run_id, edit))
            .await
    }

    async fn list(&self) -> Result<Vec<RunInfo>> {
        self.call("", self.inner.list()).await
    }

    async fn history(&self, run_id: &str) -> Result<Vec<HistoryEntry>> {
        self.call(run_id, self.inner.history(run_id)).await
    }

    async fn claim(&self, run_id: &str, version: u64) -> Result<bool> {
        self.call(run_id, self.inner.claim(run_id, version)).await
    }

    async fn save_item(&self, run_id: &str, version: u64, slot: u64, value: &str) -> Result<bool> {
        self.call(run_id, self.inner.save_item(run_id, version, slot, value))
            .await
    }

    async fn save_items(
        &self,
        run_id: &str,
        version: u64,
        items: &[(u64, String)],
    ) -> Result<bool> {
        self.call(run_id, self.inner.save_items(run_id, version, items))
            .await
    }

    async fn items(&self, run_id: &str, version: u64) -> Result<Vec<(u64, String)>> {
        self.call(run_id, self.inner.items(run_id, version)).await
    }

    async fn checkpoint_at(&self, run_id: &str, step: u64) -> Result<Option<Checkpoint>> {
        self.call(run_id, self.inner.checkpoint_at(run_id, step))
            .await
    }

    fn keeps_history(&self) -> bool {
        self.inner.keeps_history()
    }

    async fn delete(&self, run_id: &str) -> Result<bool> {
        self.call(run_id, self.inner.delete(run_id)).await
    }

    async fn prune(&self, before: std::time::SystemTime) -> Result<u64> {
        self.call("", self.inner.prune(before)).await
    }
}
