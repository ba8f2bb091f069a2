//! One node or flow in several places (SPEC section 5): `&N` and `Arc<N>` are nodes wherever
//! `N` is, running `N` itself, so one sub-flow can back two batch flows, or a node be a step
//! of two flows, with no copy and no wrapper.
//!
//! ```
//! use std::sync::Arc;
//! use pocketflow::prelude::*;
//!
//! struct Count;
//! #[node]
//! impl Count {
//!     fn post(&self, total: &mut u32, _: (), _: (), _item: &u32) { *total += 1; }
//! }
//!
//! struct Three;
//! #[batch_flow]
//! impl Three {
//!     fn prep(&self, _: &u32) -> Vec<u32> { vec![1, 2, 3] }
//! }
//! struct ThreeAtOnce;
//! #[batch_flow(parallel)]
//! impl ThreeAtOnce {
//!     fn prep(&self, _: &u32) -> Vec<u32> { vec![1, 2, 3] }
//! }
//!
//! let count = Count;
//! let base = flow! { count };
//! // The same sub-flow behind a sequential and a parallel batch flow.
//! let (one_by_one, at_once) = (Three.over(&base), ThreeAtOnce.over(&base));
//! let mut total = 0;
//! one_by_one.run_blocking(&mut total).unwrap();
//! at_once.run_blocking(&mut total).unwrap();
//! assert_eq!(total, 6);
//!
//! // A node shared by two flows, by reference or behind an `Arc`.
//! let shared = Arc::new(Count);
//! let (first, second) = (Arc::clone(&shared), &*shared);
//! let twice = flow! { first >> second };
//! let mut total = 0;
//! Three.over(&twice).run_blocking(&mut total).unwrap();
//! assert_eq!(total, 6);
//! ```

use std::future::Future;
use std::sync::Arc;

use crate::context::RunContext;
use crate::error::Result;
use crate::flow::{DeclaredActions, Declares};
use crate::mermaid::Mermaid;
use crate::node::{Node, NodeInfo};
use crate::store::Store;
use crate::stream::{Emits, EmittedBy};

/// Implements the node traits for a pointer type `$ptr` to a node `N`, by running `N`.
macro_rules! shared_node {
    ($($ptr:ty),*) => {$(
        // Not named in errors: a value that is no node is reported as itself, not as a
        // pointer to something that would have to be one.
        #[diagnostic::do_not_recommend]
        impl<N: NodeInfo> NodeInfo for $ptr {
            type Action = N::Action;
            const NAME: &'static str = N::NAME;
            const IS_FLOW: bool = N::IS_FLOW;

            fn describe(&self, mermaid: &mut Mermaid, id: &str, name: &str) {
                N::describe(self, mermaid, id, name);
            }
        }

        #[diagnostic::do_not_recommend]
        impl<S, P, N: Node<S, P> + Sync + Send> Node<S, P> for $ptr {
            fn run_node<'a>(
                &'a self,
                store: Store<'a, S>,
                params: &'a P,
            ) -> impl Future<Output = Result<Self::Action>> + Send + 'a {
                N::run_node(self, store, params)
            }

            fn run_in<'a, C: RunContext<S> + 'a>(
                &'a self,
                store: Store<'a, S>,
                params: &'a P,
                cx: C,
            ) -> impl Future<Output = Result<Self::Action>> + Send + 'a {
                N::run_in(self, store, params, cx)
            }

            fn commits_each_post() -> bool {
                N::commits_each_post()
            }
        }

        #[diagnostic::do_not_recommend]
        impl<T, N: Emits<T>> Emits<T> for $ptr {}

        // What `flow!` checks of a node, checked of the node behind the pointer.
        impl<N: EmittedBy> EmittedBy for $ptr {
            type Emitted = N::Emitted;
        }

        impl<N: DeclaredActions> DeclaredActions for $ptr {}

        #[diagnostic::do_not_recommend]
        impl<L, N: Declares<L>> Declares<L> for $ptr {}
    )*};
}

shared_node!(&N, Arc<N>);
