//! A batch node's items and results written to its run's item journal as they come, so that a
//! resumed batch does not call `prep` again and runs `exec` only for the items with no result.
//! The batch drivers do so when the run keeps a journal ([`RunContext::item_journal`], a durable
//! run's) and the node has a codec ([`BatchPhases::batch_codec`], serde items and results).
//!
//! Slot 0 holds the items, slot `index + 1` item `index`'s result.
//!
//! [`RunContext::item_journal`]: crate::context::RunContext::item_journal
//! [`BatchPhases::batch_codec`]: crate::phases::BatchPhases::batch_codec

use std::collections::HashMap;
use std::sync::Mutex;

use crate::context::{ItemJournal, Pending};
use crate::error::{Error, Result};
use crate::phases::BatchCodec;

/// The items and the results the step in progress journaled before the run stopped.
pub(crate) struct Resumed<I, O> {
    pub(crate) items: Vec<I>,
    pub(crate) done: HashMap<usize, O>,
}

/// The item journal of one batch node's run, with the node's codec.
pub(crate) struct Journaled<'j, I, O> {
    journal: &'j dyn ItemJournal,
    codec: BatchCodec<I, O>,
    node: &'static str,
    /// The results waiting to be written together (see [`Journaled::save_result`]).
    grouped: Mutex<Vec<(u64, String)>>,
}

impl<'j, I, O> Journaled<'j, I, O> {
    /// The journal of node `node` when the run keeps one and the node has a codec; `None` runs
    /// the batch as it would in a plain run.
    #[inline(always)]
    pub(crate) fn of(
        journal: Option<&'j dyn ItemJournal>,
        codec: impl FnOnce() -> Option<BatchCodec<I, O>>,
        node: &'static str,
    ) -> Option<Self> {
        let journal = journal?;
        Some(Self {
            journal,
            codec: codec()?,
            node,
            grouped: Mutex::default(),
        })
    }

    /// What the step in progress journaled, if it got past `prep`.
    pub(crate) async fn resumed(&self) -> Result<Option<Resumed<I, O>>> {
        let mut journaled = self.journal.items().await?.into_iter();
        let Some((0, items)) = journaled.next() else {
            return Ok(None);
        };
        let items = (self.codec.decode_items)(&items, self.node)?;
        let done = journaled
            .map(|(slot, output)| {
                let index = slot.saturating_sub(1) as usize;
                Ok((
                    index,
                    (self.codec.decode_output)(&output, self.node, index)?,
                ))
            })
            .collect::<Result<_>>()?;
        Ok(Some(Resumed { items, done }))
    }

    /// Claims the step, then journals the batch's items: of two processes that ran `prep` on
    /// one version, only the first to claim journals anything.
    pub(crate) async fn start(&self, items: &[I]) -> Result<()> {
        let encoded = (self.codec.encode_items)(items, self.node)?;
        self.journal.claim().await?;
        self.journal.save_item(0, encoded).await
    }

    /// Item `index`'s result as a row of the journal.
    pub(crate) fn row(&self, index: usize, output: &O) -> Result<(u64, String)> {
        let encoded = (self.codec.encode_output)(output, self.node, index)
            .map_err(|error| error.on_item(index))?;
        Ok((index as u64 + 1, encoded))
    }

    /// Writes several results at once.
    pub(crate) async fn save_rows(&self, rows: Vec<(u64, String)>) -> Result<()> {
        self.journal.save_items(rows).await
    }

    /// Journals item `index`'s result with the others that finish in the same burst: the first
    /// result of a burst waits one turn of the scheduler for the rest, then writes them all in
    /// one statement. A fan-out of 10,000 results that come due together is a handful of writes
    /// instead of 10,000. A result whose write has not happened when the process dies is lost,
    /// and its item runs again: `exec` is at least once.
    ///
    /// Boxed, so that a batch item's future, which holds it, is no bigger in a plain run.
    pub(crate) fn save_result(&self, index: usize, output: &O) -> Pending<'_, ()> {
        let row = self.row(index, output);
        Box::pin(async move {
            let first = {
                let mut rows = self.grouped.lock().unwrap_or_else(|p| p.into_inner());
                rows.push(row?);
                rows.len() == 1
            };
            if !first {
                return Ok(());
            }
            tokio::task::yield_now().await;
            let rows = std::mem::take(&mut *self.grouped.lock().unwrap_or_else(|p| p.into_inner()));
            self.save_rows(rows).await
        })
    }
}

/// The results of all `count` items in item order: those journaled before the run stopped
/// (`done`) with those run now (`ran`, for the items in `missing`, in its order).
pub(crate) fn merged<O>(
    count: usize,
    mut done: HashMap<usize, O>,
    missing: Vec<usize>,
    ran: Vec<O>,
) -> Result<Vec<O>> {
    done.extend(missing.into_iter().zip(ran));
    (0..count)
        .map(|index| done.remove(&index))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::durable("the batch's journal lacks a result".into()))
}
