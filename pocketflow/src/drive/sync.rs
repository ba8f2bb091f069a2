//! The drivers of nodes whose phases are all plain `fn`s: the fast path. The runtime calls the
//! phases directly, inside the node's span, with no future per phase; only waiting for a shared
//! store's lock and the retries after a failed first attempt are asynchronous.

use std::future::ready;
use std::time::Duration;

use crate::context::RunContext;
use crate::drive::journaled::{Journaled, Resumed};
use crate::drive::retry::after_failure;
use crate::drive::{
    Exec, NodeRun, emitter, emitters, report_progress, retrying, retrying_in, watchers,
    with_store_now,
};
use crate::error::{BoxError, Error, Phase, Result};
use crate::phases::{SyncBatchPhases, SyncNodePhases};
use crate::progress;
use crate::store::Store;
use crate::stream::Emitter;
use crate::trace;

/// Runs a synchronous `#[node]` once.
pub async fn drive_sync_node<N, S, P, C>(
    node: &N,
    cx: C,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    C: RunContext<S>,
    N: SyncNodePhases<S, P>,
{
    let policy = cx.policy().unwrap_or(&N::POLICY);
    NodeRun::<N>::check(policy, Exec::Sync)?;
    let span = NodeRun::<N>::span();
    let emitters = emitters::<S, C, N::Emitted>(&cx);
    let emitter = emitter::<S, C, _>(&emitters, None);
    let (prep, first_attempt) = match store.direct() {
        Some(shared) => {
            // The common case, a sequential run whose first attempt succeeds, is one
            // synchronous stretch inside the span.
            let _entered = span.enter();
            let prep = node
                .phase_prep(shared, params)
                .map_err(|e| Error::phase_failed(N::NAME, Phase::Prep, 0, e))?;
            match node.phase_exec(&prep, emitter) {
                Ok(exec) => {
                    trace::record_attempt(&span, 1);
                    let action = node
                        .phase_post(shared, params, prep, exec)
                        .map_err(|e| Error::phase_failed(N::NAME, Phase::Post, 0, e))?;
                    return NodeRun::<N>::close(&span, action);
                }
                Err(failure) => (prep, Err(failure)),
            }
        }
        None => {
            let prep = with_store_now!(N, span, store, Phase::Prep, |shared| {
                node.phase_prep(shared, params)
            })?;
            let first_attempt = span.in_scope(|| node.phase_exec(&prep, emitter));
            (prep, first_attempt)
        }
    };
    let exec = match first_attempt {
        Ok(exec) => {
            trace::record_attempt(&span, 1);
            exec
        }
        Err(failure) => {
            let retries = after_failure(
                N::NAME,
                &span,
                *policy,
                failure,
                retrying_in::<S, C>(&cx),
                || ready(span.in_scope(|| node.phase_exec(&prep, emitter))),
                |error| node.phase_exec_fallback(&prep, error).map(ready),
            );
            Box::pin(trace::in_span(&span, retries)).await?
        }
    };
    let action = with_store_now!(N, span, store, Phase::Post, |shared| {
        node.phase_post(shared, params, prep, exec)
    })?;
    NodeRun::<N>::close(&span, action)
}

/// Why a stretch of synchronous items stopped before the last item.
enum Pause {
    /// An item's first attempt failed: its retries may wait.
    Failed(BoxError),
    /// Journaled results are due to be written.
    Write,
}

/// Runs the items from `outputs.len()` on, one after another, pushing each result, until an
/// item's first attempt fails or `after` (given each new result and its index) asks for a
/// pause; `resumed` gives the result an item already has, if any.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn stretch<'e, N, S, P>(
    node: &N,
    items: &[N::Item],
    outputs: &mut Vec<N::Output>,
    progress: Option<&crate::progress::Progress>,
    emitter: impl Fn(usize) -> &'e Emitter<N::Emitted>,
    done: impl Fn(usize),
    mut resumed: impl FnMut(usize) -> Option<N::Output>,
    mut after: impl FnMut(usize, &N::Output) -> Result<bool>,
) -> Result<Option<Pause>>
where
    N: SyncBatchPhases<S, P>,
    N::Emitted: 'e,
{
    for item in &items[outputs.len()..] {
        let index = outputs.len();
        if let Some(output) = resumed(index) {
            outputs.push(output);
            continue;
        }
        let output = match node.phase_exec(item, emitter(index)) {
            Ok(output) => output,
            Err(failure) => return Ok(Some(Pause::Failed(failure))),
        };
        let pause = after(index, &output)?;
        outputs.push(output);
        progress::item_done(progress);
        done(outputs.len());
        if pause {
            return Ok(Some(Pause::Write));
        }
    }
    Ok(None)
}

/// Runs a synchronous `#[batch_node]` once, its items one after another.
///
/// In a run that keeps an item journal, a node whose items and results are serde types
/// journals its items after `prep` and its results every 256 items or 100 ms, whichever comes
/// first; resumed, it takes them back and runs only the items with no result (see
/// `drive::journaled`).
pub async fn drive_sync_batch<N, S, P, C>(
    node: &N,
    cx: C,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    C: RunContext<S>,
    N: SyncBatchPhases<S, P>,
{
    let policy = cx.policy().unwrap_or(&N::POLICY);
    let progress = cx.progress();
    NodeRun::<N>::check(policy, Exec::Sync)?;
    let span = NodeRun::<N>::span();
    let (reporter, mut emitters) = watchers::<S, C, N::Emitted>(&cx);
    let journaled = if C::FOLLOWS {
        Journaled::of(cx.item_journal(), N::batch_codec, N::NAME)
    } else {
        None
    };
    let resumed = match &journaled {
        Some(journaled) => journaled.resumed().await?,
        None => None,
    };
    let (items, mut done) = match resumed {
        Some(Resumed { items, done }) => {
            progress::add_items(progress, items.len());
            (0..done.len()).for_each(|_| progress::item_done(progress));
            (items, Some(done))
        }
        None => {
            let items = with_store_now!(N, span, store, Phase::Prep, |shared| node
                .phase_prep(shared, params))?;
            if let Some(journaled) = &journaled {
                journaled.start(&items).await?;
            }
            progress::add_items(progress, items.len());
            (items, None)
        }
    };
    if C::FOLLOWS {
        emitters.for_items(items.len());
    }
    let mut outputs = Vec::with_capacity(items.len());
    // Journaled results are written together, not one write per item.
    let mut unwritten: Vec<(u64, String)> = Vec::new();
    let mut written = journaled.as_ref().map(|_| tokio::time::Instant::now());
    let write_due = |unwritten: &Vec<_>, written: Option<tokio::time::Instant>| {
        unwritten.len() >= 256
            || written.is_some_and(|at| at.elapsed() >= Duration::from_millis(100))
    };
    let total = items.len();
    let item_emitter = |index| emitter::<S, C, _>(&emitters, Some(index));
    let item_done = |done| report_progress::<S, C>(&reporter, done, total);
    while outputs.len() < items.len() {
        // Items run in synchronous stretches inside the span, entered once per stretch; a
        // stretch ends at the first failed attempt, whose retries may wait, or when journaled
        // results are due to be written.
        let pause = {
            let _entered = span.enter();
            match (&journaled, &mut done) {
                // A plain run's stretch: no check per item for what only journals need.
                (None, None) => stretch(
                    node,
                    &items,
                    &mut outputs,
                    progress,
                    item_emitter,
                    item_done,
                    |_| None,
                    |_, _| Ok(false),
                )?,
                (journaled, done) => stretch(
                    node,
                    &items,
                    &mut outputs,
                    progress,
                    item_emitter,
                    item_done,
                    |index| done.as_mut().and_then(|done| done.remove(&index)),
                    |index, output| {
                        if let Some(journaled) = journaled {
                            unwritten.push(journaled.row(index, output)?);
                        }
                        Ok(write_due(&unwritten, written))
                    },
                )?,
            }
        };
        match pause {
            None => break,
            Some(Pause::Write) => {}
            Some(Pause::Failed(failure)) => {
                let index = outputs.len();
                let item = &items[index];
                let emitter = emitter::<S, C, _>(&emitters, Some(index));
                let retries = after_failure(
                    N::NAME,
                    &span,
                    *policy,
                    failure,
                    retrying(&reporter, Some(index)),
                    || ready(span.in_scope(|| node.phase_exec(item, emitter))),
                    |error| {
                        node.phase_exec_fallback(item, error.on_item(index))
                            .map(ready)
                    },
                );
                let output = Box::pin(trace::in_span(&span, retries))
                    .await
                    .map_err(|e| e.on_item(index))?;
                if let Some(journaled) = &journaled {
                    unwritten.push(journaled.row(index, &output)?);
                }
                outputs.push(output);
                progress::item_done(progress);
                item_done(outputs.len());
                if !write_due(&unwritten, written) {
                    continue;
                }
            }
        }
        if let Some(journaled) = &journaled {
            journaled.save_rows(std::mem::take(&mut unwritten)).await?;
            written = Some(tokio::time::Instant::now());
        }
    }
    // Results still unwritten need no write: the checkpoint after `post` ends the journal.
    let action = with_store_now!(N, span, store, Phase::Post, |shared| {
        node.phase_post(shared, params, items, outputs)
    })?;
    NodeRun::<N>::close(&span, action)
}
