//! The driver of a `#[batch_node]` with an `async` phase: its items' `exec` run as a sliding
//! window of [`BatchPhases::LIMIT`] on the calling task (one at a time for a sequential batch).

use crate::context::RunContext;
use crate::drive::journaled::{Journaled, Resumed, merged};
use crate::drive::retry::exec_with_retries;
use crate::drive::window::run_window;
use crate::drive::{Exec, NodeRun, emitter, report_progress, retrying, watchers, with_store};
use crate::error::{Error, Phase, Result};
use crate::phases::BatchPhases;
use crate::policy::RetryPolicy;
use crate::progress::{self, Progress};
use crate::store::Store;
use crate::stream::{Emitters, Reporter};
use crate::trace;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs a `#[batch_node]` once: the items' `exec` run concurrently on the calling task, at
/// most `N::LIMIT` at a time, each with its own attempts and fallback; the first item that
/// fails for good ends the node and drops the others.
///
/// In a run that keeps an item journal, a node whose items and results are serde types
/// journals its items after `prep` and each result as its item finishes; resumed, it takes
/// them back and runs only the items with no result (see `drive::journaled`).
pub async fn drive_batch<N, S, P, C>(
    node: &N,
    cx: C,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    C: RunContext<S>,
    N: BatchPhases<S, P>,
{
    let policy = cx.policy().unwrap_or(&N::POLICY);
    let progress = cx.progress();
    NodeRun::<N>::check(policy, Exec::Async)?;
    let span = NodeRun::<N>::span();
    let (reporter, mut emitters) = watchers::<S, C, N::Emitted>(&cx);
    let journaled = if C::FOLLOWS {
        Journaled::of(cx.item_journal(), N::batch_codec, N::NAME)
    } else {
        None
    };
    trace::in_span(&span, async {
        let resumed = match &journaled {
            Some(journaled) => journaled.resumed().await?,
            None => None,
        };
        let (items, done) = match resumed {
            Some(Resumed { items, done }) => (items, Some(done)),
            None => {
                let items = with_store!(N, store, Phase::Prep, |shared| node
                    .phase_prep(shared, params))?;
                if let Some(journaled) = &journaled {
                    journaled.start(&items).await?;
                }
                (items, None)
            }
        };
        progress::add_items(progress, items.len());
        if C::FOLLOWS {
            emitters.for_items(items.len());
        }
        // A resumed batch runs the items with no journaled result; any other, every item.
        let missing: Option<Vec<usize>> = done.as_ref().map(|done| {
            (0..done.len()).for_each(|_| progress::item_done(progress));
            (0..items.len()).filter(|i| !done.contains_key(i)).collect()
        });

        let batch = &Items {
            node,
            items: &items,
            missing: missing.as_deref(),
            journaled: journaled.as_ref(),
            policy,
            progress,
            unrecorded: tracing::Span::none(),
            emitters: &emitters,
            reporter: &reporter,
            done: AtomicUsize::new(done.as_ref().map_or(0, |done| done.len())),
        };
        let outputs = run_window(
            batch.missing.map_or(items.len(), <[usize]>::len),
            N::LIMIT,
            |task| async move {
                let Items { node, .. } = batch;
                // `C::FOLLOWS` is a constant: a plain run pays nothing per item for journals.
                let index = match batch.missing {
                    Some(missing) if C::FOLLOWS => missing[task],
                    _ => task,
                };
                let item = &batch.items[index];
                let emitter = emitter::<S, C, _>(batch.emitters, Some(index));
                let output = exec_with_retries!(
                    N::NAME,
                    &batch.unrecorded,
                    *batch.policy,
                    retrying(batch.reporter, Some(index)),
                    || node.phase_exec(item, emitter),
                    |error| { node.phase_exec_fallback(item, error.on_item(index)) }
                );
                let output = match (output, batch.journaled) {
                    (Ok(output), Some(journaled)) if C::FOLLOWS => {
                        journaled.save_result(index, &output).await.map(|()| output)
                    }
                    (Ok(output), _) => Ok(output),
                    (Err(error), _) => Err::<_, Error>(error.on_item(index)),
                };
                if output.is_ok() {
                    progress::item_done(batch.progress);
                    if C::FOLLOWS && batch.reporter.is_on() {
                        let done = batch.done.fetch_add(1, Ordering::Relaxed) + 1;
                        report_progress::<S, C>(batch.reporter, done, batch.items.len());
                    }
                }
                (task, output)
            },
            || true,
        )
        .await?;
        let outputs = match (done, missing) {
            (Some(done), Some(missing)) => merged(items.len(), done, missing, outputs)?,
            _ => outputs,
        };

        let action = with_store!(N, store, Phase::Post, |shared| {
            node.phase_post(shared, params, items, outputs)
        })?;
        NodeRun::<N>::close(&span, action)
    })
    .await
}

/// What every item's future reads, behind one reference: each future holds that pointer and
/// its index, however much the batch needs, so that a wide batch's futures stay small.
struct Items<'a, N, I, O, E> {
    node: &'a N,
    items: &'a [I],
    /// The items with no result, when the batch resumes; every item otherwise.
    missing: Option<&'a [usize]>,
    journaled: Option<&'a Journaled<'a, I, O>>,
    policy: &'a RetryPolicy,
    progress: Option<&'a Progress>,
    /// Items record nothing on the node's span: one field recorded per item would pile up.
    unrecorded: tracing::Span,
    emitters: &'a Emitters<E>,
    reporter: &'a Reporter,
    /// Items done, for a streamed run's progress.
    done: AtomicUsize,
}
