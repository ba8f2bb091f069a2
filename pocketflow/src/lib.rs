#![doc = include_str!("guide.md")]

mod action;
mod batch_flow;
mod configure;
mod error;
mod flow;
mod mermaid;
mod node;
mod phases;
mod phases_sync;
mod placeholder;
mod policy;
mod progress;
mod retry;
mod store;
mod trace;
mod window;

pub use crate::action::{
    Action, ActionType, DefaultAction, IntoAction, StringLabels, TypedActions,
};
pub use crate::batch_flow::BatchFlow;
pub use crate::configure::{Configure, Configured};
pub use crate::error::{BoxError, Error, ErrorKind, Phase, Result};
pub use crate::flow::Flow;
pub use crate::node::{Node, NodeLabel, Run};
pub use crate::policy::{RetryPolicy, TimedOut};
pub use crate::progress::Progress;
pub use crate::store::{SharedStore, Store, StoreGuard};
pub use pocketflow_macros::{Action, batch_flow, batch_node, flow, node};

/// Everything a user of the macros needs: `use pocketflow::prelude::*;`.
///
/// ```
/// use pocketflow::prelude::*;
///
/// struct Hi;
/// #[node]
/// impl Hi {}
///
/// let hi = Hi;
/// assert_eq!(flow! { hi }.run_blocking(&mut ()).unwrap(), Action::DEFAULT);
/// ```
pub mod prelude {
    pub use crate::{
        Action, Configure, Error, Flow, Node, NodeLabel, Phase, Result, Run, batch_flow,
        batch_node, flow, node,
    };
}

/// What the macros' generated code uses. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::action::{
        Action, ActionType, DefaultAction, IntoAction, StringLabels, TypedActions,
    };
    pub use crate::batch_flow::BatchFlowPhases;
    pub use crate::error::{BoxError, Error, Result};
    pub use crate::flow::{Flow, StepCounter, assert_node, edge_checks, failed_at, unmatched};
    pub use crate::mermaid::{Mermaid, child_id};
    pub use crate::node::{Node, NodeLabel};
    pub use crate::phases::{
        BatchNode, BatchPhases, NodePhases, RunWithPolicy, Tunable, run_batch, run_parallel_batch,
        run_single,
    };
    pub use crate::phases_sync::{
        SyncBatchPhases, SyncNodePhases, run_sync_batch, run_sync_single,
    };
    pub use crate::placeholder::Placeholder;
    pub use crate::policy::{RetryPolicy, TimedOut};
    pub use crate::progress::Progress;
    pub use crate::store::Store;

    pub use core::clone::Clone;
    pub use core::future::Future;
    pub use core::iter::IntoIterator;
    pub use core::marker::{Send, Sync};
    pub use core::matches;
    pub use core::option::Option;
    pub use core::result::Result::{Err, Ok};
    pub use core::time::Duration;
    pub use std::vec::Vec;

    /// Collects what a batch node's `prep` returned into the items `exec` runs on.
    #[inline]
    pub fn collect_items<I: IntoIterator>(items: I) -> Vec<I::Item> {
        items.into_iter().collect()
    }

    /// The value type of a phase that returns `Result<T, E>` (or an alias of one).
    pub trait Fallible {
        /// `T`.
        type Ok;
        /// `E`.
        type Err;
        /// The result with its error boxed.
        fn into_phase_result(self) -> Result<Self::Ok, BoxError>;
    }

    /// The error types a phase may return.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be the error type of a phase",
        label = "this phase's error type does not convert into `Box<dyn std::error::Error + Send + Sync>`",
        note = "return an error that implements `std::error::Error + Send + Sync + 'static`, or a `String`, or an `anyhow::Error`"
    )]
    pub trait PhaseError {
        /// The error, boxed.
        fn into_box(self) -> BoxError;
    }

    impl<E: Into<BoxError>> PhaseError for E {
        #[inline(always)]
        fn into_box(self) -> BoxError {
            self.into()
        }
    }

    impl<T, E: PhaseError> Fallible for core::result::Result<T, E> {
        type Ok = T;
        type Err = E;
        #[inline(always)]
        fn into_phase_result(self) -> Result<T, BoxError> {
            self.map_err(PhaseError::into_box)
        }
    }
}
