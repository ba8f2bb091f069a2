//! The drivers: one per phase shape, each running a node once (`prep` with the store, `exec`
//! with its retries and fallback and without the store, `post` with the store).
//!
//! | phase shape | trait | driver |
//! |---|---|---|
//! | `#[node]`, every phase a plain `fn` | `SyncNodePhases` | [`drive_sync_node`] |
//! | `#[node]` with an `async` phase | `NodePhases` | [`drive_node`] |
//! | `#[batch_node]`, every phase a plain `fn` | `SyncBatchPhases` | [`drive_sync_batch`] |
//! | `#[batch_node]` with an `async` phase, or `parallel` | `BatchPhases` (`LIMIT`) | [`drive_batch`] |
//! | `BatchFlow` over a `#[batch_flow]` | `BatchFlowPhases` (`LIMIT`) | [`drive_batch_flow`] |
//!
//! Every driver opens with [`NodeRun::open`] and reaches the store through [`with_store!`] (async
//! phases) or [`with_store_now!`] (sync phases).

mod batch;
mod batch_flow;
mod node;
mod retry;
mod sync;
mod window;

use tracing::Span;

use crate::action::ActionType;
use crate::error::Result;
use crate::policy::RetryPolicy;
use crate::trace;

pub use self::batch::drive_batch;
pub(crate) use self::batch_flow::drive_batch_flow;
pub use self::node::drive_node;
pub use self::sync::{drive_sync_batch, drive_sync_node};

/// What every driver opens with and closes with: the policy check, the node's span, and the
/// action recorded on it.
pub(crate) struct NodeRun {
    pub(crate) name: &'static str,
    pub(crate) span: Span,
}

/// Whether the node's `exec` can be interrupted by a timeout.
#[derive(Clone, Copy)]
pub(crate) enum Exec {
    Async,
    Sync,
}

impl NodeRun {
    /// Checks that `policy` can run the node and opens its span.
    #[inline]
    pub(crate) fn open(name: &'static str, policy: &RetryPolicy, exec: Exec) -> Result<NodeRun> {
        match exec {
            Exec::Async => policy.check(name)?,
            Exec::Sync => policy.check_sync(name)?,
        }
        Ok(NodeRun::unchecked(name))
    }

    /// Opens the span of a node that has no retry policy (a batch flow).
    #[inline]
    pub(crate) fn unchecked(name: &'static str) -> NodeRun {
        NodeRun {
            name,
            span: trace::node_span(name),
        }
    }

    /// Records the action the node returns.
    #[inline]
    pub(crate) fn close<A: ActionType>(&self, action: A) -> Result<A> {
        trace::record_action(&self.span, action.label());
        Ok(action)
    }
}

/// Runs a phase future built from the store, `|$shared| $phase`, with exclusive access to the
/// store for the phase's whole duration: the caller's `&mut S` itself when the run is
/// sequential, the store's lock when it is shared; a failure is the phase's error. A macro rather
/// than an `async fn` taking a closure: that would nest one more future and double the size of
/// every node's future.
macro_rules! with_store {
    ($run:expr, $store:expr, $phase:expr, |$shared:ident| $future:expr) => {
        match $store.direct() {
            Some($shared) => $future.await,
            None => {
                let mut guard = $store.access().await;
                let $shared = &mut *guard;
                $future.await
            }
        }
        .map_err(|e| $crate::error::Error::phase_failed($run.name, $phase, 0, e))
    };
}
pub(crate) use with_store;

/// Calls the sync phase `|$shared| $call` inside the node's span with exclusive access to the
/// store, as [`with_store!`] does for async phases.
macro_rules! with_store_now {
    ($run:expr, $store:expr, $phase:expr, |$shared:ident| $call:expr) => {
        match $store.direct() {
            Some($shared) => $run.span.in_scope(|| $call),
            None => {
                let mut guard = $store.access().await;
                let $shared = &mut *guard;
                $run.span.in_scope(|| $call)
            }
        }
        .map_err(|e| $crate::error::Error::phase_failed($run.name, $phase, 0, e))
    };
}
pub(crate) use with_store_now;
