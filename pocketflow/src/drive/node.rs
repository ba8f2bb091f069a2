//! The driver of a `#[node]` with an `async` phase.

use crate::context::RunContext;
use crate::drive::retry::exec_with_retries;
use crate::drive::{Exec, NodeRun, emitter, retrying, watchers, with_store};
use crate::error::{Phase, Result};
use crate::phases::NodePhases;
use crate::store::Store;
use crate::trace;

/// Runs a `#[node]` once, under the run-time policy of `cx` if it has one.
pub async fn drive_node<N, S, P, C>(
    node: &N,
    cx: C,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    C: RunContext<S>,
    N: NodePhases<S, P>,
{
    let policy = cx.policy().unwrap_or(&N::POLICY);
    NodeRun::<N>::check(policy, Exec::Async)?;
    let span = NodeRun::<N>::span();
    // Both asked of the context before the phases' future, which must not hold it.
    let (reporter, emitters) = watchers::<S, C, N::Emitted>(&cx);
    let emitter = emitter::<S, C, _>(&emitters, None);
    trace::in_span(&span, async {
        let prep = with_store!(N, store, Phase::Prep, |shared| node
            .phase_prep(shared, params))?;

        let exec = exec_with_retries!(
            N::NAME,
            &span,
            *policy,
            retrying(&reporter, None),
            || node.phase_exec(&prep, emitter),
            |error| { node.phase_exec_fallback(&prep, error) }
        )?;

        let action = with_store!(N, store, Phase::Post, |shared| node
            .phase_post(shared, params, prep, exec))?;
        NodeRun::<N>::close(&span, action)
    })
    .await
}
