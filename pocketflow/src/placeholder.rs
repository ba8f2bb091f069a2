//! What a macro emits in place of the node or flow it could not build.
//!
//! When `#[node]`, `#[batch_node]`, `#[batch_flow]` or `flow!` reports a mistake, the code
//! around it still names the node or the flow (`flow! { a >> b }`, `.run(&mut shared)`,
//! `.over(sub_flow)`). A `flow!` with mistakes evaluates to a [`Placeholder`], and a broken
//! impl block's stub `run_node` returns [`Placeholder::pending`], so those uses type-check and
//! the user sees only the mistakes. None of it runs: a macro error stops the compile.

use core::future::{Pending, pending};

use crate::action::Action;
use crate::error::Result;
use crate::flow::Flow;
use crate::node::{Node, NodeInfo};
use crate::store::Store;

/// A node and a flow for any shared store and params, standing for one a macro could not build.
#[derive(Clone, Copy, Debug, Default)]
pub struct Placeholder;

impl Placeholder {
    /// The run of a node that was not built: a future of any output that never completes.
    #[inline]
    pub fn pending<T>() -> Pending<T> {
        pending()
    }
}

impl NodeInfo for Placeholder {
    type Action = Action;
    const NAME: &'static str = "placeholder";
}

impl<T> crate::stream::Emits<T> for Placeholder {}

impl Flow for Placeholder {
    fn with_max_steps(self, _limit: u64) -> Self {
        self
    }
}

impl<S, P> Node<S, P> for Placeholder {
    fn run_node<'a>(
        &'a self,
        _store: Store<'a, S>,
        _params: &'a P,
    ) -> impl Future<Output = Result<Action>> + Send + 'a {
        Placeholder::pending()
    }
}
