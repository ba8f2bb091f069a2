//! The driver of a `#[node]` with an `async` phase.

use crate::drive::retry::exec_with_retries;
use crate::drive::{Exec, NodeRun, with_store};
use crate::error::{Phase, Result};
use crate::phases::NodePhases;
use crate::policy::RetryPolicy;
use crate::progress::Progress;
use crate::store::Store;
use crate::trace;

/// Runs a `#[node]` once. A plain node has no items, so `progress` counts nothing: the
/// parameter is there because every driver has the signature of
/// [`Node::run_configured`](crate::Node).
pub async fn drive_node<N, S, P>(
    node: &N,
    policy: &RetryPolicy,
    progress: Option<&Progress>,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    N: NodePhases<S, P>,
{
    let _ = progress;
    let run = NodeRun::open(N::NAME, policy, Exec::Async)?;
    trace::in_span(&run.span, async {
        let prep = with_store!(run, store, Phase::Prep, |shared| node
            .phase_prep(shared, params))?;

        let exec = exec_with_retries!(
            N::NAME,
            &run.span,
            *policy,
            || node.phase_exec(&prep),
            |error| { node.phase_exec_fallback(&prep, error) }
        )?;

        let action = with_store!(run, store, Phase::Post, |shared| node
            .phase_post(shared, params, prep, exec))?;
        run.close(action)
    })
    .await
}
