//! Batch nodes in durable runs: their items and each item's exec result journaled as they come,
//! so that a resumed batch does not call `prep` again and runs `exec` only for the items with no
//! result.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::json;
use crate::context::{ItemJournal, RunContext};
use crate::drive::retry::after_failure;
use crate::drive::retry::exec_with_retries;
use crate::drive::window::run_window;
use crate::drive::{Exec, NodeRun, drive_batch, drive_sync_batch, with_store, with_store_now};
use crate::error::{Error, Phase, Result};
use crate::node::NodeInfo;
use crate::phases::{BatchPhases, SyncBatchPhases};
use crate::policy::RetryPolicy;
use crate::progress::{self, Progress};
use crate::store::Store;
use crate::trace;

/// The batch node `N`, as a value to choose its durable driver on:
/// `(&&Batch::<N>(PhantomData)).drive(..)` takes [`Journaled`] when its items and results are
/// `Serialize + DeserializeOwned`, [`Unjournaled`] (the batch as one step) otherwise. Built
/// with its constructor, not a function, so that the borrow is promoted to `'static`: the
/// future `drive` returns keeps it.
pub struct Batch<N>(pub PhantomData<fn() -> N>);

/// A batch whose items and results can be journaled.
pub trait Journaled<N: NodeInfo, S, P> {
    /// Runs the batch node in the run of `cx`, journaled when that run is durable.
    fn drive<'a, C: RunContext<S> + 'a>(
        self,
        node: &'a N,
        cx: C,
        store: Store<'a, S>,
        params: &'a P,
    ) -> impl Future<Output = Result<N::Action>> + Send + 'a;
}

/// A batch whose items or results cannot be journaled: it runs whole, as one step.
pub trait Unjournaled<N: NodeInfo, S, P> {
    /// Runs the batch node in the run of `cx`.
    fn drive<'a, C: RunContext<S> + 'a>(
        self,
        node: &'a N,
        cx: C,
        store: Store<'a, S>,
        params: &'a P,
    ) -> impl Future<Output = Result<N::Action>> + Send + 'a;
}

/// The two impls of a chooser: `&&$chooser<N>` journals with `$journaled` when the items and
/// results are serde types; `&$chooser<N>` runs `$plain` otherwise.
macro_rules! choose {
    ($chooser:ident, $phases:ident, $journaled:ident, $plain:ident) => {
        impl<N, S, P> Journaled<N, S, P> for &&$chooser<N>
        where
            N: $phases<S, P>,
            N::Item: Serialize + DeserializeOwned,
            N::Output: Serialize + DeserializeOwned + Sync,
            S: Send,
            P: Sync,
        {
            fn drive<'a, C: RunContext<S> + 'a>(
                self,
                node: &'a N,
                cx: C,
                store: Store<'a, S>,
                params: &'a P,
            ) -> impl Future<Output = Result<N::Action>> + Send + 'a {
                async move {
                    // A plain run (no item journal) runs the node as it would without the
                    // durable feature.
                    match cx.item_journal() {
                        Some(journal) => {
                            let policy = cx.policy().unwrap_or(&N::POLICY);
                            $journaled(node, policy, cx.progress(), store, params, journal).await
                        }
                        None => $plain(node, cx, store, params).await,
                    }
                }
            }
        }

        impl<N, S, P> Unjournaled<N, S, P> for &$chooser<N>
        where
            N: $phases<S, P>,
            S: Send,
            P: Sync,
        {
            fn drive<'a, C: RunContext<S> + 'a>(
                self,
                node: &'a N,
                cx: C,
                store: Store<'a, S>,
                params: &'a P,
            ) -> impl Future<Output = Result<N::Action>> + Send + 'a {
                $plain(node, cx, store, params)
            }
        }
    };
}

choose!(Batch, BatchPhases, drive_batch_journaled, drive_batch);
choose!(
    SyncBatch,
    SyncBatchPhases,
    drive_sync_batch_journaled,
    drive_sync_batch
);

/// What a journal that no longer reads can do: nothing of it is needed to go on.
const JOURNAL_WAY_OUT: &str =
    "any `update` of the run drops its journal, and the batch then starts over from `prep`";

/// The items and the results the step in progress journaled, if it got past `prep`.
type Resumed<I, O> = Option<(Vec<I>, HashMap<usize, O>)>;

async fn load_journal<N: NodeInfo, I: DeserializeOwned, O: DeserializeOwned>(
    journal: &dyn ItemJournal,
) -> Result<Resumed<I, O>> {
    let mut journaled = journal.items().await?.into_iter();
    let Some((0, items)) = journaled.next() else {
        return Ok(None);
    };
    let what = format!("the journaled items of batch node `{}`", N::NAME);
    let items = json::decode(&items, &what, JOURNAL_WAY_OUT)?;
    let done = journaled
        .map(|(slot, output)| {
            let index = slot.saturating_sub(1) as usize;
            let what = format!(
                "the journaled result of item {index} of batch node `{}`",
                N::NAME
            );
            Ok((index, json::decode(&output, &what, JOURNAL_WAY_OUT)?))
        })
        .collect::<Result<_>>()?;
    Ok(Some((items, done)))
}

/// Claims the step, then journals the batch's items in slot 0: of two processes that ran
/// `prep` on one version, only the first to claim journals anything.
async fn journal_items<N: NodeInfo, T: Serialize>(
    journal: &dyn ItemJournal,
    items: &T,
) -> Result<()> {
    let json = json::encode(items)
        .map_err(|e| json::unwritable(&format!("node `{}`", N::NAME), "the batch's items", e))?;
    journal.claim().await?;
    journal.save_item(0, json).await
}

/// Item `index`'s result as JSON.
fn encode_result<N: NodeInfo, T: Serialize>(index: usize, output: &T) -> Result<String> {
    json::encode(output).map_err(|e| {
        json::unwritable(
            &format!("node `{}`", N::NAME),
            &format!("the result of item {index}"),
            e,
        )
        .on_item(index)
    })
}

/// The results waiting to be journaled together, and who writes them.
#[derive(Default)]
struct Grouped {
    rows: std::sync::Mutex<Vec<(u64, String)>>,
}

impl Grouped {
    /// Journals item `index`'s result with the others that finish in the same burst: the first
    /// result of a burst waits one turn of the scheduler for the rest, then writes them all in
    /// one statement. A fan-out of 10,000 results that come due together is a handful of writes
    /// instead of 10,000. A result whose write has not happened when the process dies is lost,
    /// and its item runs again: `exec` is at least once.
    async fn journal<N: NodeInfo, T: Serialize>(
        &self,
        journal: &dyn ItemJournal,
        index: usize,
        output: &T,
    ) -> Result<()> {
        let json = encode_result::<N, T>(index, output)?;
        let first = {
            let mut rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
            rows.push((index as u64 + 1, json));
            rows.len() == 1
        };
        if !first {
            return Ok(());
        }
        tokio::task::yield_now().await;
        let rows = std::mem::take(&mut *self.rows.lock().unwrap_or_else(|p| p.into_inner()));
        journal.save_items(rows).await
    }
}

/// The results of all `count` items, in item order.
fn in_order<O>(count: usize, mut done: HashMap<usize, O>) -> Result<Vec<O>> {
    (0..count)
        .map(|index| done.remove(&index))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::durable("the batch's journal lacks a result".into()))
}

/// [`drive_batch`] with a journal: the items after `prep` (slot 0), each result as its item
/// finishes (slot `index + 1`); on resume, the journaled items and results are taken instead.
async fn drive_batch_journaled<N, S, P>(
    node: &N,
    policy: &RetryPolicy,
    progress: Option<&Progress>,
    mut store: Store<'_, S>,
    params: &P,
    journal: &dyn ItemJournal,
) -> Result<N::Action>
where
    N: BatchPhases<S, P>,
    N::Item: Serialize + DeserializeOwned,
    N::Output: Serialize + DeserializeOwned,
{
    NodeRun::<N>::check(policy, Exec::Async)?;
    let span = NodeRun::<N>::span();
    trace::in_span(&span, async {
        let (items, mut done) = match load_journal::<N, _, _>(journal).await? {
            Some(journaled) => journaled,
            None => {
                let items = with_store!(N, store, Phase::Prep, |shared| node
                    .phase_prep(shared, params))?;
                journal_items::<N, _>(journal, &items).await?;
                (items, HashMap::new())
            }
        };
        progress::add_items(progress, items.len());
        for _ in 0..done.len() {
            progress::item_done(progress);
        }

        let missing: Vec<usize> = (0..items.len()).filter(|i| !done.contains_key(i)).collect();
        let grouped = Grouped::default();
        let (unrecorded, items_ref, missing_ref, grouped) =
            (&tracing::Span::none(), &items, &missing, &grouped);
        let outputs = run_window(
            missing.len(),
            N::LIMIT,
            |k| async move {
                let index = missing_ref[k];
                let item = &items_ref[index];
                let output = exec_with_retries!(
                    N::NAME,
                    unrecorded,
                    *policy,
                    || node.phase_exec(item),
                    |error| { node.phase_exec_fallback(item, error.on_item(index)) }
                );
                let output = match output {
                    Ok(output) => grouped
                        .journal::<N, _>(journal, index, &output)
                        .await
                        .map(|()| output),
                    Err(error) => Err(error.on_item(index)),
                };
                if output.is_ok() {
                    progress::item_done(progress);
                }
                (k, output)
            },
            || true,
        )
        .await?;
        for (index, output) in missing.into_iter().zip(outputs) {
            done.insert(index, output);
        }
        let outputs = in_order(items.len(), done)?;

        let action = with_store!(N, store, Phase::Post, |shared| {
            node.phase_post(shared, params, items, outputs)
        })?;
        NodeRun::<N>::close(&span, action)
    })
    .await
}

/// A batch node of plain `fn`s, as a value to choose its durable driver on, as [`Batch`] does
/// (the same two traits, implemented for this type over `SyncBatchPhases`).
pub struct SyncBatch<N>(pub PhantomData<fn() -> N>);

/// `drive_sync_batch` with a journal, as [`drive_batch_journaled`] for async phases: items one
/// after another, each result journaled before the next item starts.
async fn drive_sync_batch_journaled<N, S, P>(
    node: &N,
    policy: &RetryPolicy,
    progress: Option<&Progress>,
    mut store: Store<'_, S>,
    params: &P,
    journal: &dyn ItemJournal,
) -> Result<N::Action>
where
    N: SyncBatchPhases<S, P>,
    N::Item: Serialize + DeserializeOwned,
    N::Output: Serialize + DeserializeOwned,
{
    NodeRun::<N>::check(policy, Exec::Sync)?;
    let span = NodeRun::<N>::span();
    let (items, mut done) = match load_journal::<N, _, _>(journal).await? {
        Some(journaled) => journaled,
        None => {
            let items = with_store_now!(N, span, store, Phase::Prep, |shared| node
                .phase_prep(shared, params))?;
            journal_items::<N, _>(journal, &items).await?;
            (items, HashMap::new())
        }
    };
    progress::add_items(progress, items.len());
    for _ in 0..done.len() {
        progress::item_done(progress);
    }
    // Plain `fn` items run back to back: their results are written every 256 items or 100 ms,
    // whichever comes first, rather than one write per item.
    let mut unwritten: Vec<(u64, String)> = Vec::new();
    let mut written = tokio::time::Instant::now();
    for (index, item) in items.iter().enumerate() {
        if done.contains_key(&index) {
            continue;
        }
        let output = match span.in_scope(|| node.phase_exec(item)) {
            Ok(output) => output,
            Err(failure) => {
                let retries = after_failure(
                    N::NAME,
                    &span,
                    *policy,
                    failure,
                    || std::future::ready(span.in_scope(|| node.phase_exec(item))),
                    |error| {
                        node.phase_exec_fallback(item, error.on_item(index))
                            .map(std::future::ready)
                    },
                );
                Box::pin(trace::in_span(&span, retries))
                    .await
                    .map_err(|e| e.on_item(index))?
            }
        };
        let json = encode_result::<N, _>(index, &output)?;
        unwritten.push((index as u64 + 1, json));
        if unwritten.len() >= 256 || written.elapsed() >= Duration::from_millis(100) {
            journal.save_items(std::mem::take(&mut unwritten)).await?;
            written = tokio::time::Instant::now();
        }
        done.insert(index, output);
        progress::item_done(progress);
    }
    let outputs = in_order(items.len(), done)?;
    let action = with_store_now!(N, span, store, Phase::Post, |shared| {
        node.phase_post(shared, params, items, outputs)
    })?;
    NodeRun::<N>::close(&span, action)
}
