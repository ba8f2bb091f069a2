//! The driver of a `#[batch_node]` with an `async` phase: its items' `exec` run as a sliding
//! window of [`BatchPhases::LIMIT`] on the calling task (one at a time for a sequential batch).

use crate::context::RunContext;
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
    trace::in_span(&span, async {
        let items = with_store!(N, store, Phase::Prep, |shared| node
            .phase_prep(shared, params))?;
        progress::add_items(progress, items.len());

        // Items record nothing on the node's span: one field recorded per item would pile up.
        let (unrecorded, items_ref) = (&tracing::Span::none(), &items);
        let outputs = run_window(
            items.len(),
            N::LIMIT,
            |index| async move {
                let item = &items_ref[index];
                let output = exec_with_retries!(
                    N::NAME,
                    unrecorded,
                    *policy,
                    || node.phase_exec(item),
                    |error| { node.phase_exec_fallback(item, error.on_item(index)) }
                );
                if output.is_ok() {
                    progress::item_done(progress);
                }
                (index, output.map_err(|e: Error| e.on_item(index)))
            },
            || true,
        )
        .await?;

        let action = with_store!(N, store, Phase::Post, |shared| {
            node.phase_post(shared, params, items, outputs)
        })?;
        NodeRun::<N>::close(&span, action)
    })
    .await
}
