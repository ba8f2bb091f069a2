//! The fast path for nodes whose phases are all plain `fn`s: the runtime calls them directly,
//! inside the node's span, with no future per phase. Only waiting for a shared store's lock and
//! the retries after a failed first attempt are asynchronous.

use std::future::ready;

use crate::error::{BoxError, Error, Phase, Result};
use crate::phases::Tunable;
use crate::policy::RetryPolicy;
use crate::progress::{self, Progress};
use crate::retry::after_failure;
use crate::store::Store;
use crate::trace;

/// The phases of a `#[node]` whose methods are all synchronous.
pub trait SyncNodePhases<S, P>: Tunable + Sync {
    /// What `prep` returns and `exec` receives.
    type Prep: Send + Sync;
    /// What `exec` (or `exec_fallback`) returns and `post` receives.
    type Exec: Send;

    /// Runs the user's `prep`, or yields `()` when there is none.
    fn phase_prep(&self, shared: &mut S, params: &P) -> Result<Self::Prep, BoxError>;

    /// Runs one attempt of the user's `exec`.
    fn phase_exec(&self, prep: &Self::Prep) -> Result<Self::Exec, BoxError>;

    /// Runs the user's `exec_fallback`, or hands the error back when there is none.
    fn phase_exec_fallback(
        &self,
        prep: &Self::Prep,
        error: Error,
    ) -> Result<Result<Self::Exec, BoxError>, Error> {
        let _ = prep;
        Err(error)
    }

    /// Runs the user's `post` and converts what it returns into the node's action.
    fn phase_post(
        &self,
        shared: &mut S,
        params: &P,
        prep: Self::Prep,
        exec: Self::Exec,
    ) -> Result<Self::Action, BoxError>;
}

/// The phases of a `#[batch_node]` whose methods are all synchronous.
pub trait SyncBatchPhases<S, P>: Tunable + Sync {
    /// One item of what `prep` returns.
    type Item: Send + Sync;
    /// What `exec` returns for one item.
    type Output: Send;

    /// Runs the user's `prep` and collects its items.
    fn phase_prep(&self, shared: &mut S, params: &P) -> Result<Vec<Self::Item>, BoxError>;

    /// Runs one attempt of the user's `exec` on one item.
    fn phase_exec(&self, item: &Self::Item) -> Result<Self::Output, BoxError>;

    /// Runs the user's `exec_fallback` for one item, or hands the error back.
    fn phase_exec_fallback(
        &self,
        item: &Self::Item,
        error: Error,
    ) -> Result<Result<Self::Output, BoxError>, Error> {
        let _ = item;
        Err(error)
    }

    /// Runs the user's `post` on the items and their results, in item order.
    fn phase_post(
        &self,
        shared: &mut S,
        params: &P,
        items: Vec<Self::Item>,
        outputs: Vec<Self::Output>,
    ) -> Result<Self::Action, BoxError>;
}

/// Calls the sync phase `|$shared| $call` inside `$span` with exclusive access to the store: the
/// caller's `&mut S` when the run is sequential, the store's lock when it is shared.
macro_rules! with_store_now {
    ($store:expr, $span:expr, $node:expr, $phase:expr, |$shared:ident| $call:expr) => {
        match $store.direct() {
            Some($shared) => $span.in_scope(|| $call),
            None => {
                let mut guard = $store.access().await;
                let $shared = &mut *guard;
                $span.in_scope(|| $call)
            }
        }
        .map_err(|e| Error::phase_failed($node, $phase, 0, e))
    };
}

/// Runs a synchronous `#[node]` once.
pub async fn run_sync_single<N, S, P>(
    node: &N,
    policy: &RetryPolicy,
    progress: Option<&Progress>,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    N: SyncNodePhases<S, P>,
{
    // A plain node has no items: `progress` is for batch nodes, which share this signature.
    let _ = progress;
    policy.check_sync(N::NAME)?;
    let span = trace::node_span(N::NAME);
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
                    trace::record_action(&span, crate::ActionType::label(&action));
                    return Ok(action);
                }
                Err(failure) => (prep, Err(failure)),
            }
        }
        None => {
            let prep = with_store_now!(store, span, N::NAME, Phase::Prep, |shared| {
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
    let action = with_store_now!(store, span, N::NAME, Phase::Post, |shared| {
        node.phase_post(shared, params, prep, exec)
    })?;
    trace::record_action(&span, crate::ActionType::label(&action));
    Ok(action)
}

/// Runs a synchronous `#[batch_node]` once, its items one after another.
pub async fn run_sync_batch<N, S, P>(
    node: &N,
    policy: &RetryPolicy,
    progress: Option<&Progress>,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    N: SyncBatchPhases<S, P>,
{
    policy.check_sync(N::NAME)?;
    let span = trace::node_span(N::NAME);
    let items = with_store_now!(store, span, N::NAME, Phase::Prep, |shared| node
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
    let action = with_store_now!(store, span, N::NAME, Phase::Post, |shared| {
        node.phase_post(shared, params, items, outputs)
    })?;
    trace::record_action(&span, crate::ActionType::label(&action));
    Ok(action)
}
