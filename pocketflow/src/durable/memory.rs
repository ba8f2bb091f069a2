//! Durable runs kept in memory: for tests, and for runs that need interrupts but not a disk.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use super::checkpoints::{Checkpoint, Checkpoints, HistoryEntry, RunInfo, Status};
use crate::error::{DurableErrorKind, Error, Result};

/// A [`Checkpoints`] backend in memory: runs survive an interrupt and a dropped run future, not
/// the process. Clones share the same runs.
///
/// ```
/// use pocketflow::durable::{Checkpoints, Memory};
///
/// let db = Memory::new();
/// let same = db.clone();
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert!(same.load("nothing yet").await.unwrap().is_none());
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct Memory {
    runs: Arc<Mutex<HashMap<String, Run>>>,
}

#[derive(Debug)]
struct Run {
    current: Checkpoint,
    updated: SystemTime,
    /// Every checkpoint saved, whole (for time travel), with its time.
    history: Vec<(Checkpoint, SystemTime)>,
    /// The journal of the run's current version: any write of the run clears it.
    items: BTreeMap<u64, String>,
}

impl Memory {
    /// An empty store of runs.
    pub fn new() -> Memory {
        Memory::default()
    }

    fn runs(&self) -> MutexGuard<'_, HashMap<String, Run>> {
        // A panic while the lock was held cannot leave a run half written: every change below
        // is one assignment or push.
        self.runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Saves `checkpoint` as the run's current one, unless `refused` by the version saved now
    /// (`None` for a run never saved): one lock, so nothing slips between the two.
    fn save_unless(
        &self,
        run_id: &str,
        checkpoint: &Checkpoint,
        refused: impl FnOnce(Option<u64>) -> bool,
    ) -> bool {
        let now = SystemTime::now();
        let entry = (checkpoint.clone(), now);
        let mut runs = self.runs();
        if refused(runs.get(run_id).map(|run| run.current.version)) {
            return false;
        }
        match runs.get_mut(run_id) {
            Some(run) => {
                run.current = checkpoint.clone();
                run.updated = now;
                run.history.push(entry);
                run.items.clear();
            }
            None => {
                runs.insert(
                    run_id.to_owned(),
                    Run {
                        current: checkpoint.clone(),
                        updated: now,
                        history: vec![entry],
                        items: BTreeMap::new(),
                    },
                );
            }
        }
        true
    }
}

impl Checkpoints for Memory {
    async fn load(&self, run_id: &str) -> Result<Option<Checkpoint>> {
        Ok(self.runs().get(run_id).map(|run| run.current.clone()))
    }

    async fn save(&self, run_id: &str, checkpoint: &Checkpoint) -> Result<()> {
        self.save_unless(run_id, checkpoint, |_| false);
        Ok(())
    }

    async fn save_after(
        &self,
        run_id: &str,
        expected: Option<u64>,
        checkpoint: &Checkpoint,
    ) -> Result<bool> {
        Ok(self.save_unless(run_id, checkpoint, |saved| saved != expected))
    }

    async fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> Result<String> + Send),
    ) -> Result<()> {
        let mut runs = self.runs();
        let run = runs.get_mut(run_id).ok_or_else(|| {
            Error::durable_with(
                DurableErrorKind::NotFound,
                format!("no run `{run_id}` to update").into(),
            )
        })?;
        run.current.store = edit(&run.current.store)?;
        run.current.version += 1;
        run.items.clear();
        run.updated = SystemTime::now();
        Ok(())
    }

    async fn list(&self) -> Result<Vec<RunInfo>> {
        let mut list: Vec<RunInfo> = self
            .runs()
            .iter()
            .map(|(id, run)| RunInfo {
                id: id.clone(),
                status: run.current.status,
                steps: run.current.step,
                last_node: run.current.node.clone(),
                updated: run.updated,
            })
            .collect();
        list.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
        Ok(list)
    }

    async fn claim(&self, run_id: &str, version: u64) -> Result<bool> {
        let mut runs = self.runs();
        match runs.get_mut(run_id) {
            Some(run) if run.current.version == version => {
                run.current.version += 1;
                run.items.clear();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn save_item(&self, run_id: &str, version: u64, slot: u64, value: &str) -> Result<bool> {
        let mut runs = self.runs();
        match runs.get_mut(run_id) {
            Some(run) if run.current.version == version => {
                run.items.insert(slot, value.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn save_items(
        &self,
        run_id: &str,
        version: u64,
        items: &[(u64, String)],
    ) -> Result<bool> {
        let mut runs = self.runs();
        match runs.get_mut(run_id) {
            Some(run) if run.current.version == version => {
                run.items.extend(items.iter().cloned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn items(&self, run_id: &str, version: u64) -> Result<Vec<(u64, String)>> {
        Ok(match self.runs().get(run_id) {
            Some(run) if run.current.version == version => run
                .items
                .iter()
                .map(|(slot, value)| (*slot, value.clone()))
                .collect(),
            _ => Vec::new(),
        })
    }

    async fn history(&self, run_id: &str) -> Result<Vec<HistoryEntry>> {
        let runs = self.runs();
        let Some(run) = runs.get(run_id) else {
            return Ok(Vec::new());
        };
        let entry = |(checkpoint, time): &(Checkpoint, SystemTime)| HistoryEntry {
            step: checkpoint.step,
            status: checkpoint.status,
            node: checkpoint.node.clone(),
            action: checkpoint.action.clone(),
            time: *time,
        };
        Ok(run.history.iter().map(entry).collect())
    }

    async fn checkpoint_at(&self, run_id: &str, step: u64) -> Result<Option<Checkpoint>> {
        let runs = self.runs();
        let found = runs.get(run_id).and_then(|run| {
            let (checkpoint, _) = run.history.iter().find(|(saved, _)| saved.step == step)?;
            Some(Checkpoint {
                version: 0,
                message: None,
                ..checkpoint.clone()
            })
        });
        Ok(found)
    }

    fn keeps_history(&self) -> bool {
        true
    }

    async fn delete(&self, run_id: &str) -> Result<bool> {
        Ok(self.runs().remove(run_id).is_some())
    }

    async fn prune(&self, before: SystemTime) -> Result<u64> {
        let mut runs = self.runs();
        let count = runs.len();
        runs.retain(|_, run| {
            let ended = matches!(run.current.status, Status::Finished | Status::Failed);
            !(ended && run.updated < before)
        });
        Ok((count - runs.len()) as u64)
    }
}
