//! What writes a durable run's checkpoints and journal: each write only over the version of
//! the run this process last saw.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::checkpoints::{Checkpoint, Checkpoints, Status};
use super::items::WrittenItems;
use super::journal::{Pending, Position, Saver, Step};
use super::json;
use super::run::{DurableRun, conflict};
use crate::context::ItemJournal;
use crate::error::Result;

/// Writes the checkpoints and journal of one run, each only over the version it last saw.
pub(crate) struct RunSaver<'r, C> {
    checkpoints: &'r C,
    id: &'r str,
    shape: &'r str,
    /// The steps committed, and the run's version, as this process last loaded or saved them.
    pub(crate) step: AtomicU64,
    pub(crate) version: AtomicU64,
    /// The store and position of the last checkpoint, which an interrupted or failed run goes
    /// back to.
    last: Mutex<(String, String)>,
    /// The batch flows' items its checkpoints hold, which later ones refer to by step.
    pub(crate) written: WrittenItems,
}

impl<'r, C> RunSaver<'r, C> {
    pub(crate) fn new<N: ?Sized>(
        run: &'r DurableRun<'_, N, C>,
        shape: &'r str,
        saved: Checkpoint,
    ) -> RunSaver<'r, C> {
        RunSaver {
            checkpoints: run.checkpoints,
            id: &run.id,
            shape,
            step: AtomicU64::new(saved.step),
            version: AtomicU64::new(saved.version),
            last: Mutex::new((saved.store, saved.position)),
            written: WrittenItems::default(),
        }
    }

    /// A journal write refused because the run moved on: this process stops.
    async fn journaled(&self, written: bool) -> Result<()>
    where
        C: Checkpoints,
    {
        if written {
            return Ok(());
        }
        let loaded = self.step.load(Ordering::Relaxed);
        Err(conflict(self.checkpoints, self.id, Some(loaded)).await)
    }

    pub(crate) fn last(&self) -> (String, String) {
        self.last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl<S: Serialize, C: Checkpoints> Saver<S> for RunSaver<'_, C> {
    fn steps(&self) -> u64 {
        self.step.load(Ordering::Relaxed)
    }

    fn checkpoint<'s>(
        &'s self,
        store: &S,
        position: &Position,
        step: Option<Step>,
    ) -> Pending<'s, ()> {
        let name = || {
            format!(
                "step `{}`",
                step.as_ref().map_or("", |step| step.node.as_str())
            )
        };
        // The step this checkpoint commits, which later ones may refer to for their items, on
        // a backend that reads past checkpoints back.
        let posts = step.as_ref().map_or(1, |step| step.posts);
        let position = match self.checkpoints.keeps_history() {
            true => self
                .written
                .compact(position, self.step.load(Ordering::Relaxed) + posts),
            false => std::borrow::Cow::Borrowed(position),
        };
        let prepared = json::encode(store)
            .map_err(|e| json::unwritable(&name(), "the shared store", e))
            .and_then(|store| {
                // Positions hold integers and `serde_json::Value`s, which cannot hold a
                // non-finite float: nothing to check.
                let position = serde_json::to_string(&*position).map_err(|e| {
                    json::unwritable(&name(), "the run's position", json::Unwritable::from(e))
                })?;
                Ok((store, position))
            });
        Box::pin(async move {
            let (store, position) = prepared?;
            let (node, action) = match step {
                Some(step) => (Some(step.node), step.action),
                None => (None, None),
            };
            let (last_step, last_version) = (
                self.step.load(Ordering::Relaxed),
                self.version.load(Ordering::Relaxed),
            );
            let checkpoint = Checkpoint {
                status: Status::Running,
                step: last_step + posts,
                version: last_version + 1,
                position,
                store,
                shape: self.shape.to_owned(),
                node,
                action,
                message: None,
            };
            if !self
                .checkpoints
                .save_after(self.id, Some(last_version), &checkpoint)
                .await?
            {
                return Err(conflict(self.checkpoints, self.id, Some(last_step)).await);
            }
            self.step.store(checkpoint.step, Ordering::Relaxed);
            self.version.store(checkpoint.version, Ordering::Relaxed);
            *self
                .last
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                (checkpoint.store, checkpoint.position);
            Ok(())
        })
    }

    fn item_journal(&self) -> Option<&dyn ItemJournal> {
        Some(self)
    }
}

impl<C: Checkpoints> ItemJournal for RunSaver<'_, C> {
    fn claim(&self) -> Pending<'_, ()> {
        Box::pin(async move {
            let version = self.version.load(Ordering::Relaxed);
            if self.checkpoints.claim(self.id, version).await? {
                self.version.store(version + 1, Ordering::Relaxed);
                return Ok(());
            }
            self.journaled(false).await
        })
    }

    fn save_item(&self, slot: u64, value: String) -> Pending<'_, ()> {
        Box::pin(async move {
            let version = self.version.load(Ordering::Relaxed);
            let written = self.checkpoints.save_item(self.id, version, slot, &value);
            self.journaled(written.await?).await
        })
    }

    fn save_items(&self, items: Vec<(u64, String)>) -> Pending<'_, ()> {
        Box::pin(async move {
            let version = self.version.load(Ordering::Relaxed);
            let written = self.checkpoints.save_items(self.id, version, &items);
            self.journaled(written.await?).await
        })
    }

    fn items(&self) -> Pending<'_, Vec<(u64, String)>> {
        Box::pin(
            self.checkpoints
                .items(self.id, self.version.load(Ordering::Relaxed)),
        )
    }
}
