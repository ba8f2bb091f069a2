//! PocketFlow's nodes, flows and batches for Rust, wired at compile time.
//!
//! A **node** has three phases: `prep` reads the shared store and returns the work, `exec`
//! does the work (it is retried, and never sees the store), `post` writes the result back and
//! returns an **action**. A **flow** is a graph of nodes whose edges are labelled by actions;
//! `flow!` builds it at compile time into a state machine, so a wrong name or label is a
//! compile error and a transition costs a few nanoseconds.
//!
//! ```
//! use pocketflow::prelude::*;
//!
//! #[derive(Default)]
//! struct Shared { text: String, words: Vec<String>, shout: Vec<String> }
//!
//! struct Split;
//!
//! #[node]
//! impl Split {
//!     fn prep(&self, shared: &Shared) -> String { shared.text.clone() }
//!     fn exec(&self, text: &str) -> Vec<String> {
//!         text.split_whitespace().map(String::from).collect()
//!     }
//!     fn post(&self, shared: &mut Shared, _text: String, words: Vec<String>) -> &'static str {
//!         shared.words = words;
//!         if shared.words.is_empty() { "empty" } else { "words" }
//!     }
//! }
//!
//! struct Shout;
//!
//! #[batch_node]
//! impl Shout {
//!     fn prep(&self, shared: &Shared) -> Vec<String> { shared.words.clone() }
//!     fn exec(&self, word: &str) -> String { word.to_uppercase() }
//!     fn post(&self, shared: &mut Shared, _words: Vec<String>, loud: Vec<String>) {
//!         shared.shout = loud;
//!     }
//! }
//!
//! let split = Split;
//! let shout = Shout;
//! let pipeline = flow! { split - "words" >> shout };
//!
//! let mut shared = Shared { text: "hello pocket flow".into(), ..Default::default() };
//! pipeline.run_blocking(&mut shared)?;
//! assert_eq!(shared.shout, ["HELLO", "POCKET", "FLOW"]);
//! # Ok::<(), pocketflow::Error>(())
//! ```
//!
//! | Python PocketFlow | here |
//! |---|---|
//! | `Node` | `#[node]` on an `impl` block |
//! | `BatchNode` | `#[batch_node]` |
//! | `AsyncParallelBatchNode` | `#[batch_node(parallel, limit = N)]` |
//! | `BatchFlow`, `AsyncParallelBatchFlow` | `#[batch_flow]`, `#[batch_flow(parallel)]`, then `.over(sub_flow)` |
//! | `Flow`, `a >> b`, `a - "x" >> b` | `flow! { a >> b; a - "x" >> b }` |
//! | `AsyncNode`, `AsyncFlow` | the same macros with `async fn` phases |
//! | `node.run(shared)` | `node.run(&mut shared).await` or `node.run_blocking(&mut shared)` |
//!
//! Every phase may be `fn` or `async fn` and may return `Result`; see [`node`] for the
//! signatures, [`Error`] for what a failed run reports and [`Flow`] for the step limit.
//! Nothing is logged unless a `tracing` subscriber is set: each node run is a span, each failed
//! attempt, fallback and unmatched action a warning.
//!
//! # The shared store under concurrency
//!
//! `prep` and `post` are the only code that touches the shared store, and each has it to itself
//! for its whole duration, `.await`s included; `exec` cannot reach it (its signature has no
//! store). The sub-flow runs of a parallel batch flow interleave at `exec`'s awaits, so two
//! `post`s never overlap and no update is lost:
//!
//! ```
//! use pocketflow::prelude::*;
//!
//! struct Count;
//! #[node]
//! impl Count {
//!     async fn exec(&self) { tokio::task::yield_now().await; }
//!     async fn post(&self, total: &mut u32, _prep: (), _exec: (), _run: &u32) {
//!         let seen = *total;
//!         tokio::task::yield_now().await; // other runs cannot touch `total` meanwhile
//!         *total = seen + 1;
//!     }
//! }
//!
//! struct Runs;
//! #[batch_flow(parallel)]
//! impl Runs {
//!     fn prep(&self, _: &u32) -> std::ops::Range<u32> { 0..100 }
//! }
//!
//! let count = Count;
//! let mut total = 0;
//! Runs.over(flow! { count }).run_blocking(&mut total)?;
//! assert_eq!(total, 100);
//! # Ok::<(), pocketflow::Error>(())
//! ```
//!
//! This holds for any `S: Send`; an async phase that holds `&S` across an `.await` needs
//! `S: Sync` (take `&mut S` to avoid it). A sequential run pays nothing for the model: it passes
//! the caller's `&mut S` down as it is, and only a parallel batch flow puts a lock around it for
//! the duration of its runs.
//!
//! # Diagnostics
//!
//! Mistakes are compile errors at the token that is wrong, in words that say what to write. A
//! string label on a node whose actions are an enum:
//!
//! ```text
//! error[E0277]: this node's actions are `Verdict`, not strings
//!   --> src/main.rs:25:34
//!    |
//! 25 |     let flow = flow! { review - "approve" >> publish };
//!    |                                 ^^^^^^^^^ a string label on a node whose actions are `Verdict`
//!    |
//!    = note: label the edge with a variant instead, like `node - Verdict::Variant >> next`
//! ```
//!
//! The same action wired twice:
//!
//! ```text
//! error: `review` already has an edge for action `approve` (to `publish`); an action leads to one node, so remove one of the two
//!   --> src/main.rs:25:18
//!    |
//! 25 |         review - "approve" >> archive;
//!    |                  ^^^^^^^^^
//!
//! error: the first edge for `approve` from `review` is here
//!   --> src/main.rs:24:18
//!    |
//! 24 |         review - "approve" >> publish;
//!    |                  ^^^^^^^^^
//! ```
//!
//! And a phase that cannot be a node's:
//!
//! ```text
//! error: `exec` takes `&mut self`, but a node runs through `&self` (it may run many times, even at once); write `&self` and keep mutable state in the shared store
//!  --> src/main.rs:9:13
//!   |
//! 9 |     fn exec(&mut self) {
//!   |             ^^^^^^^^^
//! ```
//!
//! Type mismatches between phases (a `prep` value that `exec` does not take) are reported by
//! rustc on your argument types. The whole suite of such cases lives in `tests/ui` of the
//! repository.

mod action;
mod batch_flow;
mod configure;
mod error;
mod flow;
mod mermaid;
mod node;
mod phases;
mod phases_sync;
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
pub use crate::mermaid::Mermaid;
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
