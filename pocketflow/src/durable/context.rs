//! A durable run as a run context: the engine's flows call these hooks, and the journal keeps
//! the position and writes a checkpoint after each step.

use std::future::Future;

use super::batch_flow::drive_batch_flow_durable;
use super::journal::Journal;
use crate::context::{ItemJournal, RunContext};
use crate::error::Result;
use crate::node::Node;
use crate::phases::BatchFlowPhases;
use crate::progress::Progress;
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

    fn enter(&mut self) -> (usize, Option<u32>) {
        Journal::enter(self)
    }

    fn at(&mut self, depth: usize, index: u32, name: &'static str) {
        Journal::at(self, depth, index, name);
    }

    fn note(&mut self, action: &str) {
        Journal::note(self, action);
    }

    fn commit(
        &mut self,
        depth: usize,
        next: u32,
        store: &mut Store<'_, S>,
    ) -> impl Future<Output = Result<()>> + Send {
        Journal::commit(self, depth, next, store)
    }

    fn batch_flow<'a, P, B, F>(
        self,
        batch: &'a B,
        flow: &'a F,
        progress: Option<&'a Progress>,
        store: Store<'a, S>,
        params: &'a P,
    ) -> impl Future<Output = Result<B::Action>> + Send + 'a
    where
        Self: 'a,
        S: Send,
        P: Sync,
        B: BatchFlowPhases<S, P>,
        F: Node<S, B::Item> + Sync,
    {
        drive_batch_flow_durable(batch, flow, progress, store, params, self)
    }

    fn item_journal(&self) -> Option<&dyn ItemJournal> {
        Journal::item_journal(self)
    }
}
