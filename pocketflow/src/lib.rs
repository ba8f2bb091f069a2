#![doc = include_str!("guide.md")]
// On docs.rs (nightly), every item behind a feature says which one.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The conformance kit's flows are written with this crate's own macros, whose expansions name
// `::pocketflow`.
#[cfg(feature = "testing")]
extern crate self as pocketflow;

mod action;
mod batch_flow;
mod configure;
mod context;
#[cfg(feature = "distributed")]
pub mod distributed;
mod drive;
#[cfg(feature = "durable")]
pub mod durable;
mod error;
mod flow;
mod interrupt;
mod mermaid;
mod node;
mod phases;
mod placeholder;
mod policy;
mod progress;
mod run;
mod runtime;
mod shared_node;
mod store;
pub mod stream;
mod trace;

pub use crate::action::{Action, ActionType, DefaultAction, IntoAction, ParseActionError};
pub use crate::batch_flow::BatchFlow;
pub use crate::configure::{BatchNode, Configure, Configured};
pub use crate::error::{
    BoxError, DistributedErrorKind, DurableErrorKind, Error, ErrorKind, Phase, Result,
};
pub use crate::flow::Flow;
pub use crate::interrupt::Interrupt;
pub use crate::node::{Node, NodeInfo};
pub use crate::policy::{RetryPolicy, TimedOut};
pub use crate::progress::Progress;
pub use crate::run::{Run, StreamWith};
pub use crate::store::{Store, StoreGuard};
pub use pocketflow_macros::{Action, batch_flow, batch_node, flow, node};

// What the macros' checks are made of: hidden from the docs, but named here as well as in
// `__private` so that a failed check names them plainly, not through `__private`.
#[doc(hidden)]
pub use crate::action::{StringLabels, TypedActions};
#[doc(hidden)]
pub use crate::context::{Plain, RunContext};
#[doc(hidden)]
pub use crate::flow::{assert_node, edge_checks};
#[doc(hidden)]
pub use crate::phases::{Fallible, PhaseError};

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
    #[cfg(feature = "durable")]
    pub use crate::durable::{Checkpoints, StreamDurableWith};
    pub use crate::{
        Action, Configure, Error, Flow, Node, NodeInfo, Phase, Result, Run, StreamWith, batch_flow,
        batch_node, flow, node,
    };
}

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// The README's example, compiled and run as a doc test, so that the first code a user copies
/// works (`README.md` here links to the workspace's, and ships in the package).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
