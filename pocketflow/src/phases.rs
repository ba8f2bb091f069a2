//! The phases a `#[node]` or `#[batch_node]` impl provides, and the one place that runs them:
//! `prep` with the store, `exec` with retries and fallback and without the store, `post` with
//! the store. The macros only adapt the user's methods to these traits.

use std::future::Future;

use crate::action::ActionType;
use crate::error::{BoxError, Error, Phase, Result};
use crate::node::NodeLabel;
use crate::policy::RetryPolicy;
use crate::progress::{self, Progress};
use crate::retry::exec_with_retries;
use crate::store::Store;
use crate::trace;
use crate::window::run_window;

/// A node's compile-time retry policy (from `#[node(max_retries = .., wait = ..)]`).
pub trait Tunable: NodeLabel {
    /// The policy the attribute set, or the default of one attempt and no wait.
    const POLICY: RetryPolicy;
}

/// Marks the nodes made by `#[batch_node]`, whose items a [`Progress`] counts.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a batch node, so it has no items to count",
    label = "progress counts the items of a `#[batch_node]`",
    note = "attach progress to a `#[batch_node]`, or to a batch flow with `BatchFlow::with_progress`"
)]
pub trait BatchNode: Tunable {}

/// Runs a node under a given retry policy; [`Node::run_node`](crate::Node::run_node) passes
/// [`Tunable::POLICY`], a [`Configured`](crate::Configured) node its own.
pub trait RunWithPolicy<S, P>: Tunable {
    /// Runs the node once under `policy`, counting into `progress` if given.
    fn run_with_policy<'a>(
        &'a self,
        policy: &'a RetryPolicy,
        progress: Option<&'a Progress>,
        store: Store<'a, S>,
        params: &'a P,
    ) -> impl Future<Output = Result<Self::Action>> + Send + 'a;
}

/// The phases of a `#[node]`: exec runs once, on the prep value.
pub trait NodePhases<S, P>: Tunable + Sync {
    /// What `prep` returns and `exec` receives.
    type Prep: Send + Sync;
    /// What `exec` (or `exec_fallback`) returns and `post` receives.
    type Exec: Send;

    /// Runs the user's `prep`, or yields `()` when there is none.
    fn phase_prep(
        &self,
        shared: &mut S,
        params: &P,
    ) -> impl Future<Output = Result<Self::Prep, BoxError>> + Send;

    /// Runs one attempt of the user's `exec`.
    fn phase_exec(
        &self,
        prep: &Self::Prep,
    ) -> impl Future<Output = Result<Self::Exec, BoxError>> + Send;

    /// The user's `exec_fallback`, or the error handed back when there is none.
    fn phase_exec_fallback(
        &self,
        prep: &Self::Prep,
        error: Error,
    ) -> Result<impl Future<Output = Result<Self::Exec, BoxError>> + Send, Error> {
        let _ = prep;
        Err::<std::future::Ready<_>, _>(error)
    }

    /// Runs the user's `post` and converts what it returns into the node's action.
    fn phase_post(
        &self,
        shared: &mut S,
        params: &P,
        prep: Self::Prep,
        exec: Self::Exec,
    ) -> impl Future<Output = Result<Self::Action, BoxError>> + Send;
}

/// The phases of a `#[batch_node]`: exec runs once per item of the prep value.
pub trait BatchPhases<S, P>: Tunable + Sync {
    /// One item of what `prep` returns.
    type Item: Send + Sync;
    /// What `exec` returns for one item.
    type Output: Send;

    /// Runs the user's `prep` and collects its items.
    fn phase_prep(
        &self,
        shared: &mut S,
        params: &P,
    ) -> impl Future<Output = Result<Vec<Self::Item>, BoxError>> + Send;

    /// Runs one attempt of the user's `exec` on one item.
    fn phase_exec(
        &self,
        item: &Self::Item,
    ) -> impl Future<Output = Result<Self::Output, BoxError>> + Send;

    /// The user's `exec_fallback` for one item, or the error handed back when there is none.
    fn phase_exec_fallback(
        &self,
        item: &Self::Item,
        error: Error,
    ) -> Result<impl Future<Output = Result<Self::Output, BoxError>> + Send, Error> {
        let _ = item;
        Err::<std::future::Ready<_>, _>(error)
    }

    /// Runs the user's `post` on the items and their results, in item order.
    fn phase_post(
        &self,
        shared: &mut S,
        params: &P,
        items: Vec<Self::Item>,
        outputs: Vec<Self::Output>,
    ) -> impl Future<Output = Result<Self::Action, BoxError>> + Send;
}

/// Runs a phase future built from the store, `|$shared| $phase`, with exclusive access to the
/// store for the phase's whole duration: the caller's `&mut S` itself when the run is
/// sequential, the store's lock when it is shared. A macro rather than an `async fn` taking a
/// closure: that would nest one more future and double the size of every node's future.
macro_rules! with_store {
    ($store:expr, $node:expr, $phase:expr, |$shared:ident| $future:expr) => {
        match $store.direct() {
            Some($shared) => $future.await,
            None => {
                let mut guard = $store.access().await;
                let $shared = &mut *guard;
                $future.await
            }
        }
        .map_err(|e| Error::phase_failed($node, $phase, 0, e))
    };
}

/// Runs a `#[node]` once: the body behind every generated `Node::run_node`.
pub async fn run_single<N, S, P>(
    node: &N,
    policy: &RetryPolicy,
    progress: Option<&Progress>,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    N: NodePhases<S, P>,
{
    // A plain node has no items: `progress` is for batch nodes, which share this signature.
    let _ = progress;
    policy.check(N::NAME)?;
    let span = trace::node_span(N::NAME);
    trace::in_span(&span, async {
        let prep = with_store!(store, N::NAME, Phase::Prep, |shared| node
            .phase_prep(shared, params))?;

        let exec = exec_with_retries!(
            N::NAME,
            &span,
            *policy,
            || node.phase_exec(&prep),
            |error| { node.phase_exec_fallback(&prep, error) }
        )?;

        let action = with_store!(store, N::NAME, Phase::Post, |shared| node
            .phase_post(shared, params, prep, exec))?;
        trace::record_action(&span, action.label());
        Ok(action)
    })
    .await
}

/// Runs a `#[batch_node]` with async phases once, its items one after another: the window of
/// [`run_parallel_batch`] with room for one item.
pub fn run_batch<'a, N, S, P>(
    node: &'a N,
    policy: &'a RetryPolicy,
    progress: Option<&'a Progress>,
    store: Store<'a, S>,
    params: &'a P,
) -> impl Future<Output = Result<N::Action>> + 'a
where
    N: BatchPhases<S, P>,
{
    run_parallel_batch(node, policy, progress, 1, store, params)
}

/// Runs a `#[batch_node(parallel)]` once: the items' `exec` run concurrently on the calling task,
/// at most `limit` at a time, each with its own attempts and fallback; the first item that
/// fails for good ends the node and drops the others.
pub async fn run_parallel_batch<N, S, P>(
    node: &N,
    policy: &RetryPolicy,
    progress: Option<&Progress>,
    limit: usize,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    N: BatchPhases<S, P>,
{
    policy.check(N::NAME)?;
    let span = trace::node_span(N::NAME);
    trace::in_span(&span, async {
        let items = with_store!(store, N::NAME, Phase::Prep, |shared| node
            .phase_prep(shared, params))?;
        progress::add_items(progress, items.len());

        // Items record nothing on the node's span: one field recorded per item would pile up.
        let (unrecorded, items_ref) = (&tracing::Span::none(), &items);
        let outputs = run_window(items.len(), limit, |index| async move {
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
        })
        .await?;

        let action = with_store!(store, N::NAME, Phase::Post, |shared| {
            node.phase_post(shared, params, items, outputs)
        })?;
        trace::record_action(&span, action.label());
        Ok(action)
    })
    .await
}
