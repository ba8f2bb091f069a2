//! The driver of a `#[batch_node]` with an `async` phase: its items' `exec` run as a sliding
//! window of [`BatchPhases::LIMIT`] on the calling task (one at a time for a sequential batch).

use crate::context::RunContext;
use crate::drive::journaled::{Journaled, Resumed, merged};
use crate::drive::retry::exec_with_retries;
use crate::drive::window::run_window;
use crate::drive::{Exec, NodeRun, with_store};
use crate::error::{Error, Phase, Result};
use crate::phases::BatchPhases;
use crate::progress;
use crate::store::Store;
use crate::trace;

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
    let journaled = Journaled::of(cx.item_journal(), N::batch_codec, N::NAME);
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
        // A resumed batch runs the items with no journaled result; any other, every item.
        let missing: Option<Vec<usize>> = done.as_ref().map(|done| {
            (0..done.len()).for_each(|_| progress::item_done(progress));
            (0..items.len()).filter(|i| !done.contains_key(i)).collect()
        });

        // Items record nothing on the node's span: one field recorded per item would pile up.
        let (unrecorded, items_ref, missing_ref, journaled_ref) = (
            &tracing::Span::none(),
            &items,
            missing.as_deref(),
            journaled.as_ref(),
        );
        let outputs = run_window(
            missing_ref.map_or(items.len(), <[usize]>::len),
            N::LIMIT,
            |task| async move {
                let index = missing_ref.map_or(task, |missing| missing[task]);
                let item = &items_ref[index];
                let output = exec_with_retries!(
                    N::NAME,
                    unrecorded,
                    *policy,
                    || node.phase_exec(item),
                    |error| { node.phase_exec_fallback(item, error.on_item(index)) }
                );
                let output = match (output, journaled_ref) {
                    (Ok(output), Some(journaled)) => {
                        journaled.save_result(index, &output).await.map(|()| output)
                    }
                    (Ok(output), None) => Ok(output),
                    (Err(error), _) => Err::<_, Error>(error.on_item(index)),
                };
                if output.is_ok() {
                    progress::item_done(progress);
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
