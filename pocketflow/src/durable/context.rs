//! A durable run as a run context: the engine's flows call these hooks, and the journal keeps
//! the position and writes a checkpoint after each step.
//!
//! Batch flows: the position goes inside them, and their items travel in every checkpoint taken
//! there, so that a resumed batch flow calls no `prep` and runs no committed `post` again. In a
//! sequential batch flow the position is the item, then the place in its sub-flow; in a parallel
//! one, the items done and each run in flight at its own place (see `durable::parallel`).
//!
//! A parallel batch flow is followed so only over a sub-flow whose every `post` is followed by a
//! checkpoint ([`Node::commits_each_post`]), and not inside another parallel batch flow's run;
//! over anything else it is one step, as are batch flows whose items are not serde types: a run
//! that stops inside one goes back to the store before it and runs it again whole. Inside a
//! batch flow the journal does not follow, every hook does nothing, as in a plain run.

use std::sync::Arc;

use serde_json::Value;

use super::journal::Journal;
use super::json;
use super::parallel::{RunsOf, run_checkpointed};
use crate::action::ActionType;
use crate::context::{BatchPlace, BatchRuns, ItemJournal, RunContext, WrapRun};
use crate::drive::run_in_parallel;
use crate::error::Result;
use crate::node::Node;
use crate::phases::ItemCodec;
use crate::store::Store;

/// A durable run's context: its flows resume at the journal's position and write a checkpoint
/// after each step, its batch flows take the position inside them, and its batch nodes journal
/// their items through the saver.
impl<'j, S: Send> RunContext<S> for &mut Journal<'j, S> {
    type Child<'c>
        = &'c mut Journal<'j, S>
    where
        Self: 'c;

    fn child(&mut self) -> &mut Journal<'j, S> {
        self
    }

    const FOLLOWS: bool = true;

    fn enter(&mut self, steps: &'static [&'static str]) -> Result<(usize, Option<u32>)> {
        if self.muted > 0 {
            return Ok((0, None));
        }
        Journal::enter(self, steps)
    }

    fn at(&mut self, depth: usize, index: u32, name: &'static str) {
        if self.muted == 0 {
            Journal::at(self, depth, index, name);
        }
    }

    fn note<A: ActionType>(&mut self, _depth: usize, action: &A) {
        if self.muted == 0 {
            Journal::note(self, action.label());
        }
    }

    async fn commit(&mut self, depth: usize, next: u32, store: &mut Store<'_, S>) -> Result<()> {
        if self.muted > 0 {
            return Ok(());
        }
        Journal::commit(self, depth, next, store).await
    }

    fn enter_batch<I>(
        &mut self,
        codec: Option<ItemCodec<I>>,
        limit: usize,
        runs_commit: bool,
    ) -> Result<Option<BatchPlace<I>>> {
        // A parallel one also needs checkpoints written after each step (not inside the run of
        // another parallel batch flow, which publishes its place instead).
        let codec = match codec {
            Some(codec)
                if self.muted == 0 && (limit == 1 || (runs_commit && self.saver().is_some())) =>
            {
                codec
            }
            _ => {
                self.muted += 1;
                return Ok(None);
            }
        };
        let (depth, resumed) = Journal::enter_batch(self)?;
        let resumed = match resumed {
            Some((saved, next)) => {
                let items = saved
                    .iter()
                    .map(|item| (codec.decode)(Box::new(item.clone())))
                    .collect::<Result<Vec<_>>>()?;
                Journal::batch_items(self, depth, saved);
                Some((items, next as usize))
            }
            None => None,
        };
        Ok(Some(BatchPlace {
            depth,
            codec,
            resumed,
        }))
    }

    fn batch_items<I>(
        &mut self,
        place: &BatchPlace<I>,
        items: &[I],
        node: &'static str,
    ) -> Result<()> {
        let saved = items
            .iter()
            .map(|item| {
                let encoded = (place.codec.encode)(item)?;
                encoded
                    .downcast::<Value>()
                    .map(|value| *value)
                    .map_err(|_| "not a JSON value".to_owned())
            })
            .collect::<std::result::Result<Arc<[Value]>, String>>()
            .map_err(|e| {
                json::unwritable(&format!("node `{node}`"), "the batch flow's items", e)
            })?;
        Journal::batch_items(self, place.depth, saved);
        Ok(())
    }

    fn at_item(&mut self, depth: Option<usize>, index: u32) {
        if let Some(depth) = depth {
            Journal::at_item(self, depth, index);
        }
    }

    fn leave_batch(&mut self, depth: Option<usize>) {
        match depth {
            Some(depth) => Journal::leave_batch(self, depth),
            None => self.muted = self.muted.saturating_sub(1),
        }
    }

    async fn batch_runs<'a, I, F, W>(
        &'a mut self,
        place: Option<&'a BatchPlace<I>>,
        runs: BatchRuns<'a, F, I>,
        store: &'a mut Store<'_, S>,
        wrap: &'a W,
    ) -> Result<()>
    where
        S: Send,
        I: Send + Sync,
        F: Node<S, I> + Sync,
        W: WrapRun<S>,
    {
        match (place, self.saver()) {
            (Some(place), Some(parent)) => {
                let saved = RunsOf {
                    depth: place.depth,
                    limit: runs.limit,
                    saved: self.take_resumed_runs(),
                };
                run_checkpointed(runs, store, self, parent, saved, wrap).await
            }
            _ => run_in_parallel(runs, store, wrap).await,
        }
    }

    fn steps(&self) -> Option<u64> {
        Journal::steps(self)
    }

    fn item_journal(&self) -> Option<&dyn ItemJournal> {
        if self.muted > 0 {
            return None;
        }
        Journal::item_journal(self)
    }
}
