//! The drivers of nodes whose phases are all plain `fn`s: the fast path. The runtime calls the
//! phases directly, inside the node's span, with no future per phase; only waiting for a shared
//! store's lock and the retries after a failed first attempt are asynchronous.

use std::future::ready;

use crate::context::RunContext;
use crate::drive::retry::after_failure;
use crate::drive::{Exec, NodeRun, with_store_now};
use crate::error::{BoxError, Error, Phase, Result};
use crate::phases::{SyncBatchPhases, SyncNodePhases};
use crate::progress;
use crate::store::Store;
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
    let (prep, first_attempt) = match store.direct() {
        Some(shared) => {
            // The common case, a sequential run whose first attempt succeeds, is one
            // synchronous stretch inside the span.
            let _entered = span.enter();
            let prep = node
                .phase_prep(shared, params)
                .map_err(|e| Error::phase_failed(N::NAME, Phase::Prep, 0, e))?;
            match node.phase_exec(&prep) {
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
            let first_attempt = span.in_scope(|| node.phase_exec(&prep));
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
                || ready(span.in_scope(|| node.phase_exec(&prep))),
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

/// Runs a synchronous `#[batch_node]` once, its items one after another.
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
    let items = with_store_now!(N, span, store, Phase::Prep, |shared| node
        .phase_prep(shared, params))?;
    progress::add_items(progress, items.len());
    let mut outputs = Vec::with_capacity(items.len());
    while outputs.len() < items.len() {
        // Items run in synchronous stretches inside the span, entered once per stretch; a
        // stretch ends at the first failed attempt, whose retries may wait.
        let failure = {
            let _entered = span.enter();
            items[outputs.len()..].iter().try_for_each(|item| {
                outputs.push(node.phase_exec(item)?);
                progress::item_done(progress);
                Ok::<_, BoxError>(())
            })
        };
        let Err(failure) = failure else { break };
        let index = outputs.len();
        let item = &items[index];
        let retries = after_failure(
            N::NAME,
            &span,
            *policy,
            failure,
            || ready(span.in_scope(|| node.phase_exec(item))),
            |error| {
                node.phase_exec_fallback(item, error.on_item(index))
                    .map(ready)
            },
        );
        let output = Box::pin(trace::in_span(&span, retries))
            .await
            .map_err(|e| e.on_item(index))?;
        outputs.push(output);
        progress::item_done(progress);
    }
    let action = with_store_now!(N, span, store, Phase::Post, |shared| {
        node.phase_post(shared, params, items, outputs)
    })?;
    NodeRun::<N>::close(&span, action)
}
