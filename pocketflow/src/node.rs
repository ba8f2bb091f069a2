//! The node traits: what every node and flow is, and how a caller runs one.

use std::future::Future;

use crate::action::ActionType;
use crate::context::RunContext;
use crate::error::Result;
use crate::store::Store;

/// What a node is, whatever shared and params types it runs on: its name and the type of the
/// actions it returns. `flow!` checks every edge label against it where the edge is
/// written.
///
/// `#[node]`, `#[batch_node]`, `#[batch_flow]` and `flow!` implement it.
///
/// ```
/// use pocketflow::prelude::*;
///
/// struct Hello;
/// #[node]
/// impl Hello {
///     fn post(&self, _: &mut ()) -> &'static str { "done" }
/// }
///
/// assert_eq!(<Hello as NodeInfo>::NAME, "Hello");
/// let _: Action = Hello.run_blocking(&mut ()).unwrap(); // `&'static str` labels are `Action`s
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a node",
    label = "this is not a node",
    note = "put `#[node]` or `#[batch_node]` on its `impl` block, or build it with `flow!`"
)]
pub trait NodeInfo {
    /// What `post` returns, as seen by flows: [`Action`](struct@crate::Action) or an enum with
    /// `#[derive(Action)]`.
    type Action: ActionType;
    /// The node's name in errors and `tracing` output: its type's name.
    const NAME: &'static str;

    /// Whether this is a flow (`flow!`): a streamed flow's events are its nodes', with none of
    /// its own.
    #[doc(hidden)]
    const IS_FLOW: bool = false;

    /// Draws the node into a Mermaid flowchart under `id`, as a box named `name` (its variable
    /// name); flows draw themselves as subgraphs, or as the whole chart when `id` is empty. Used
    /// by [`Flow::to_mermaid`](crate::Flow).
    #[doc(hidden)]
    fn describe(&self, mermaid: &mut crate::mermaid::Mermaid, id: &str, name: &str) {
        mermaid.node(id, name);
    }
}

/// A node that runs on a shared store of type `S` with params of type `P`.
///
/// Flows and batch flows are nodes too. A flow's type cannot be named: return one as
/// `impl Node<S, P>` (or `impl Node<S, P> + Flow`, which keeps its actions readable as
/// [`Action`](struct@crate::Action)s) and run it through [`Run`](crate::Run).
///
/// ```
/// use pocketflow::prelude::*;
///
/// #[derive(Default)]
/// struct Shared { words: Vec<String> }
///
/// struct Split;
/// #[node]
/// impl Split {
///     fn post(&self, shared: &mut Shared) { shared.words = vec!["a".into(), "b".into()]; }
/// }
///
/// fn build() -> impl Node<Shared> {
///     let split = Split;
///     flow! { split }
/// }
///
/// let mut shared = Shared::default();
/// build().run_blocking(&mut shared).unwrap();
/// assert_eq!(shared.words, ["a", "b"]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot run on shared store `{S}` with params `{P}`",
    label = "this node does not run on `{S}` with params `{P}`",
    note = "a node runs on the shared type its `prep`/`post` take, and with the params type they take (`()` for `run`, any type for `run_with`)"
)]
pub trait Node<S, P = ()>: NodeInfo {
    /// Runs the node once: `prep`, `exec` with its retries and fallback, `post`.
    ///
    /// Call it through [`Run`](crate::Run) rather than directly; implement it by hand only for
    /// a node the macros cannot express.
    fn run_node<'a>(
        &'a self,
        store: Store<'a, S>,
        params: &'a P,
    ) -> impl Future<Output = Result<Self::Action>> + Send + 'a;

    /// Runs the node once in a run's context: the run-time settings of a
    /// [`Configured`](crate::Configured) wrapper, and the layer the run is made in (a durable
    /// run's journal). The macros implement it with the driver of the node's phases, and
    /// `run_node` as this with the plain context; a node written by hand runs whole, its
    /// `run_node`, whatever the context.
    #[doc(hidden)]
    fn run_in<'a, C: RunContext<S> + 'a>(
        &'a self,
        store: Store<'a, S>,
        params: &'a P,
        cx: C,
    ) -> impl Future<Output = Result<Self::Action>> + Send + 'a {
        let _ = cx;
        self.run_node(store, params)
    }

    /// Whether, in a durable run, every `post` this node applies to the store is followed by a
    /// checkpoint before it touches the store again: one `post` (a macro-made node, whose
    /// caller commits it), or a flow or sequential batch flow of such nodes, which commits
    /// each. A parallel batch flow takes the position inside itself only over a sub-flow for
    /// which this holds (see `durable::batch_flow`). False for nodes written by hand.
    #[doc(hidden)]
    fn commits_each_post() -> bool
    where
        Self: Sized,
    {
        false
    }
}
