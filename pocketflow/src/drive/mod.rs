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
//! | a group `[a, b]` in `flow!` | `Members` | [`drive_group`] (as a parallel batch flow) |
//!
//! A layer that follows the run (a durable run) follows its batches through the same drivers:
//! the batch nodes' journal in `journaled.rs`, the batch flows' hooks on the run context.
//!
//! Every driver opens with [`NodeRun::check`] and [`NodeRun::span`] and reaches the store through [`with_store!`] (async
//! phases) or [`with_store_now!`] (sync phases).

mod batch;
mod batch_flow;
pub(crate) mod group;
mod journaled;
mod node;
pub(crate) mod retry;
mod sync;
pub(crate) mod window;

use std::marker::PhantomData;

use tracing::Span;

use crate::action::ActionType;
use crate::context::RunContext;
use crate::error::{BoxError, Error, Phase, Result};
use crate::node::NodeInfo;
use crate::policy::RetryPolicy;
use crate::stream::{Emitter, Emitters, EventKind, Reporter};
use crate::trace;

pub use self::batch::drive_batch;
pub(crate) use self::batch_flow::{drive_batch_flow, run_in_parallel};
pub use self::group::{End, Member, drive_group};
pub use self::node::drive_node;
pub use self::sync::{drive_sync_batch, drive_sync_node};

/// Whether the node's `exec` can be interrupted by a timeout.
#[derive(Clone, Copy)]
pub(crate) enum Exec {
    Async,
    Sync,
}

/// What every driver opens with and closes with, for node type `N`: the policy check, the
/// node's span, what a phase's failure becomes, and the action recorded on the span.
///
/// Functions of a zero-sized type rather than a value holding the span: a driver keeps the span
/// as a local of its own, which on the chain workload is 10 instructions per transition cheaper
/// than a struct around it (the future lays the two out differently).
pub(crate) struct NodeRun<N: ?Sized>(PhantomData<fn() -> N>);

impl<N: NodeInfo + ?Sized> NodeRun<N> {
    /// Checks that `policy` can run the node.
    #[inline(always)]
    pub(crate) fn check(policy: &RetryPolicy, exec: Exec) -> Result<()> {
        match exec {
            Exec::Async => policy.check(N::NAME),
            Exec::Sync => policy.check_sync(N::NAME),
        }
    }

    /// Opens the node's span.
    #[inline(always)]
    pub(crate) fn span() -> Span {
        trace::node_span(N::NAME)
    }

    /// What a failure of `phase` becomes.
    #[inline(always)]
    pub(crate) fn failed(phase: Phase) -> impl FnOnce(BoxError) -> Error {
        move |error| Error::phase_failed(N::NAME, phase, 0, error)
    }

    /// Records the action the node returns.
    #[inline(always)]
    pub(crate) fn close(span: &Span, action: N::Action) -> Result<N::Action> {
        trace::record_action(span, action.label());
        Ok(action)
    }
}

/// What reports a node run's events and makes its emitters: the context's when it follows the
/// run (a streamed run's go to its stream), silent otherwise, without asking the context, so
/// that a plain run compiles them away.
#[inline(always)]
pub(crate) fn watchers<S, C: RunContext<S>, E: Send + 'static>(cx: &C) -> (Reporter, Emitters<E>) {
    if C::FOLLOWS {
        (cx.reporter(), cx.emitters())
    } else {
        (Reporter::silent(), Emitters::silent())
    }
}

/// The emitter of a node run (of its batch item `item`, if any), from `emitters`; the silent
/// one, a constant, in a plain run.
#[inline(always)]
pub(crate) fn emitter<S, C: RunContext<S>, E: 'static>(
    emitters: &Emitters<E>,
    item: Option<usize>,
) -> &Emitter<E> {
    match item {
        _ if !C::FOLLOWS => Emitter::silent_ref(),
        Some(item) => emitters.item(item),
        None => emitters.node(),
    }
}

/// What tells a streamed run of each failed attempt of `exec` that another follows (for batch
/// item `item`, if any).
#[inline(always)]
pub(crate) fn retrying(reporter: &Reporter, item: Option<usize>) -> impl Fn(u32, &BoxError) + '_ {
    move |attempt, error| {
        reporter.report(item, || EventKind::Retrying {
            attempt,
            error: error.to_string(),
        });
    }
}

/// [`retrying`] with a reporter of its own, asked of the context only once an attempt failed:
/// a node run that does not fail makes none.
#[inline(always)]
pub(crate) fn retrying_in<S, C: RunContext<S>>(cx: &C) -> impl Fn(u32, &BoxError) + use<S, C> {
    let reporter = if C::FOLLOWS {
        cx.reporter()
    } else {
        Reporter::silent()
    };
    move |attempt, error| {
        reporter.report(None, || EventKind::Retrying {
            attempt,
            error: error.to_string(),
        });
    }
}

/// The emitters of a node run: the context's when it follows the run, silent otherwise.
#[inline(always)]
pub(crate) fn emitters<S, C: RunContext<S>, E: Send + 'static>(cx: &C) -> Emitters<E> {
    if C::FOLLOWS {
        cx.emitters()
    } else {
        Emitters::silent()
    }
}

/// Tells a streamed run that `done` items of `total` are done; nothing in a plain run.
#[inline(always)]
pub(crate) fn report_progress<S, C: RunContext<S>>(reporter: &Reporter, done: usize, total: usize) {
    if C::FOLLOWS {
        reporter.report(None, || EventKind::Progress { done, total });
    }
}

/// Runs a phase future built from the store, `|$shared| $phase`, with exclusive access to the
/// store for the phase's whole duration: the caller's `&mut S` itself when the run is
/// sequential, the store's lock when it is shared; a failure is the phase's error. A macro rather
/// than an `async fn` taking a closure: that would nest one more future and double the size of
/// every node's future.
macro_rules! with_store {
    ($node:ty, $store:expr, $phase:expr, |$shared:ident| $future:expr) => {
        match $store.direct() {
            Some($shared) => $future.await,
            None => {
                let mut guard = $store.access().await;
                let $shared = &mut *guard;
                $future.await
            }
        }
        .map_err($crate::drive::NodeRun::<$node>::failed($phase))
    };
}
pub(crate) use with_store;

/// Calls the sync phase `|$shared| $call` inside the node's span with exclusive access to the
/// store, as [`with_store!`] does for async phases.
macro_rules! with_store_now {
    ($node:ty, $span:expr, $store:expr, $phase:expr, |$shared:ident| $call:expr) => {
        match $store.direct() {
            Some($shared) => $span.in_scope(|| $call),
            None => {
                let mut guard = $store.access().await;
                let $shared = &mut *guard;
                $span.in_scope(|| $call)
            }
        }
        .map_err($crate::drive::NodeRun::<$node>::failed($phase))
    };
}
pub(crate) use with_store_now;
