//! What the state machines that `flow!` generates share: the step limit, the checks that land
//! on the user's edge tokens, and the end-of-flow rules.

use crate::action::{ActionType, TypedActions};
use crate::error::{Error, Result};
use crate::node::NodeInfo;
use crate::trace;

/// Settings of a flow built with `flow!`.
///
/// ```
/// use pocketflow::prelude::*;
///
/// struct Again;
/// #[node]
/// impl Again {
///     fn post(&self, count: &mut u32) -> &'static str { *count += 1; "again" }
/// }
///
/// let again = Again;
/// let runaway = flow! { again - "again" >> again }.with_max_steps(10);
/// let mut count = 0;
/// let err = runaway.run_blocking(&mut count).unwrap_err();
/// assert_eq!(err.kind(), pocketflow::ErrorKind::MaxSteps);
/// assert_eq!(count, 10);
/// ```
///
/// A flow's actions are [`Action`](struct@crate::Action)s, the label of the last action inside it. A
/// function returning a flow as `impl Node<S, P>` hides that; `impl Node<S, P> + Flow` keeps it,
/// so callers can compare the result with a string:
///
/// ```
/// use pocketflow::prelude::*;
///
/// struct Done;
/// #[node]
/// impl Done {
///     fn post(&self, _: &mut ()) -> &'static str { "done" }
/// }
///
/// fn build() -> impl Node<()> + Flow {
///     let done = Done;
///     flow! { done }
/// }
///
/// assert_eq!(build().run_blocking(&mut ()).unwrap(), "done");
/// ```
pub trait Flow: NodeInfo<Action = crate::action::Action> + Sized {
    /// Fails the run with [`ErrorKind::MaxSteps`](crate::ErrorKind::MaxSteps) instead of
    /// starting step `limit + 1`: a guard against a loop that never ends. Each node run
    /// counts as one step; the steps of a nested flow count in that flow. Unlimited by default.
    fn with_max_steps(self, limit: u64) -> Self;

    /// The flow as a Mermaid flowchart: nodes named by their variable names, edges in source
    /// order (labelled with their action, plain for the default one), nested flows and the
    /// sub-flows of batch flows as subgraphs.
    ///
    /// ```
    /// use pocketflow::prelude::*;
    ///
    /// struct Step;
    /// #[node]
    /// impl Step {
    ///     fn post(&self, _: &mut ()) -> &'static str { "done" }
    /// }
    ///
    /// let (decide, search, answer) = (Step, Step, Step);
    /// let agent = flow! {
    ///     decide - "search" >> search;
    ///     decide - "answer" >> answer;
    ///     search >> decide;
    /// };
    /// assert_eq!(agent.to_mermaid(), "\
    /// flowchart TD
    ///     decide[\"decide\"]
    ///     search[\"search\"]
    ///     answer[\"answer\"]
    ///     decide -- \"search\" --> search
    ///     decide -- \"answer\" --> answer
    ///     search --> decide
    /// ");
    /// ```
    fn to_mermaid(&self) -> String {
        crate::mermaid::render(|mermaid| self.describe(mermaid, "", ""))
    }
}

/// How many flow steps spend one unit of tokio's cooperative budget. One unit per step made the
/// chain workload 2.6 times slower (4.1 to 10.8 ns per transition: a yield every 128 steps and a
/// thread-local access per step); one per 32 keeps a loop yielding every 4,096 steps.
pub(crate) const STEPS_PER_BUDGET_UNIT: u64 = 32;

/// Counts the steps of one flow run against its limit.
#[derive(Debug)]
pub struct StepCounter {
    taken: u64,
    limit: u64,
}

impl StepCounter {
    /// A counter for a flow whose `with_max_steps` is `limit` (`u64::MAX`: unlimited).
    #[inline]
    pub fn new(limit: u64) -> StepCounter {
        StepCounter { taken: 0, limit }
    }

    /// Takes one step, or fails if the limit is reached. Returns whether this step spends a
    /// unit of tokio's cooperative budget (`flow!` then awaits [`spend_budget`]): every
    /// 32nd step does, so a loop of nodes that never wait still yields to
    /// the scheduler (every 4,096 steps, with tokio's 128 units), an outer
    /// `tokio::time::timeout` can stop it, and a current-thread runtime keeps running its other
    /// tasks. Not `async` itself: a future per step cost the chain workload 1.4 ns.
    #[inline]
    pub fn step(&mut self, step: &'static str) -> Result<bool> {
        if self.taken == self.limit {
            return Err(Error::max_steps(self.limit, step));
        }
        self.taken += 1;
        Ok(self.taken.is_multiple_of(STEPS_PER_BUDGET_UNIT))
    }
}

/// Spends a unit of tokio's cooperative budget, yielding to the scheduler when it is used up.
#[cold]
pub async fn spend_budget() {
    tokio::task::coop::consume_budget().await;
}

/// The flow ends because `action` has no edge out of `step`, which has `edges`: warn, and
/// return the action as the flow's own.
#[cold]
pub fn unmatched<A: ActionType>(
    step: &'static str,
    action: A,
    edges: &[&'static str],
) -> crate::action::Action {
    trace::unmatched_action(step, action.label(), edges);
    action.into_action()
}

/// Annotates an error leaving a flow through `step`.
#[cold]
pub fn failed_at(step: &'static str, error: Error) -> Error {
    error.at_step(step)
}

/// `flow!` calls this on every name it wires, so a value that is not a node is an error at its
/// name rather than at `.run()`.
#[inline(always)]
pub fn assert_node<N: NodeInfo>(_: &N) {}

/// The checks of `a - "label" >> b` and `a >> b` edges, by autoref specialization so that a
/// node whose action type is hidden (a flow returned as `impl Node<S>`) passes:
///
/// - actions known to be strings (or to have a default): fine;
/// - a `#[derive(Action)]` enum: the method's own bound fails, with `StringLabels`' or
///   `DefaultAction`'s message at the user's label;
/// - anything else (an opaque type): fine; the flow matches labels at run time.
///
/// `flow!` calls `(&&&labels_of(&node)).string_edge()`; method lookup tries `&&&Labels`, then
/// `&&Labels`, then `&Labels`, so the first impl whose bounds hold wins.
pub mod edge_checks {
    use std::marker::PhantomData;

    use super::{DeclaredActions, Declares, Label, VariantOf};
    use crate::action::{DefaultAction, StringLabels, TypedActions};
    use crate::node::NodeInfo;

    /// A node, as a value to check its declared actions on.
    pub struct Declared<N>(PhantomData<fn() -> N>);

    /// `node`, to check an edge label against the actions it declares, if it does.
    #[inline(always)]
    pub fn declared_of<N>(_node: &N) -> Declared<N> {
        Declared(PhantomData)
    }

    /// A node that declares its actions (`#[node(actions = [..])]`).
    pub trait KnownDeclared<N> {
        /// Accepts a label it declares, by its hash.
        #[inline(always)]
        fn declared_edge<const HASH: u64>(self)
        where
            Self: Sized,
            N: Declares<Label<HASH>>,
        {
        }
    }
    impl<N: DeclaredActions> KnownDeclared<N> for &&Declared<N> {}

    /// A node that declares none: any label.
    pub trait UnknownDeclared {
        /// Accepts any label.
        #[inline(always)]
        fn declared_edge<const HASH: u64>(self)
        where
            Self: Sized,
        {
        }
    }
    impl<N> UnknownDeclared for &Declared<N> {}

    /// The action type of a node, as a value to call checks on.
    pub struct Labels<A>(PhantomData<fn() -> A>);

    /// The action type of `node`.
    #[inline(always)]
    pub fn labels_of<N: NodeInfo>(_node: &N) -> Labels<N::Action> {
        Labels(PhantomData)
    }

    impl<A> Labels<A> {
        /// `flow!` calls this for every `a - Enum::Variant >> b`: the variant must be one of
        /// `a`'s actions.
        #[inline(always)]
        pub fn typed_edge<L: VariantOf<A>>(self, _label: L) {}
    }

    /// Known string actions.
    pub trait KnownStrings {
        /// Accepts a string label.
        #[inline(always)]
        fn string_edge(self)
        where
            Self: Sized,
        {
        }
    }
    impl<A: StringLabels> KnownStrings for &&&Labels<A> {}

    /// A typed action enum: a string label is an error.
    pub trait TypedStrings<A> {
        /// Rejects a string label.
        #[inline(always)]
        fn string_edge(self)
        where
            Self: Sized,
            A: StringLabels,
        {
        }
    }
    impl<A: TypedActions> TypedStrings<A> for &&Labels<A> {}

    /// An action type not known here.
    pub trait UnknownStrings {
        /// Accepts a string label.
        #[inline(always)]
        fn string_edge(self)
        where
            Self: Sized,
        {
        }
    }
    impl<A> UnknownStrings for &Labels<A> {}

    /// Actions known to have a default.
    pub trait KnownDefault {
        /// Accepts a plain edge.
        #[inline(always)]
        fn default_edge(self)
        where
            Self: Sized,
        {
        }
    }
    impl<A: DefaultAction> KnownDefault for &&&Labels<A> {}

    /// A typed action enum without `#[default]`: a plain edge is an error.
    pub trait TypedDefault<A> {
        /// Rejects a plain edge.
        #[inline(always)]
        fn default_edge(self)
        where
            Self: Sized,
            A: DefaultAction,
        {
        }
    }
    impl<A: TypedActions> TypedDefault<A> for &&Labels<A> {}

    /// An action type not known here.
    pub trait UnknownDefault {
        /// Accepts a plain edge.
        #[inline(always)]
        fn default_edge(self)
        where
            Self: Sized,
        {
        }
    }
    impl<A> UnknownDefault for &Labels<A> {}
}

/// Implemented by each `#[derive(Action)]` enum for itself: a typed label `Enum::Variant` fits a
/// node exactly when the node's actions are that enum.
#[diagnostic::on_unimplemented(
    message = "this edge is labelled with a `{Self}`, but the node's actions are `{A}`",
    label = "not an action of this node",
    note = "label the edge with what the node's `post` returns: a variant of its action enum, or a string like \"done\" for string actions"
)]
pub trait VariantOf<A> {}

impl<A: TypedActions> VariantOf<A> for A {}

/// `#[node(actions = [..])]` declares the labels a string-action node's `post` may return: the
/// node is `DeclaredActions`, and `Declares<Label<H>>` for the hash `H` of each label.
#[doc(hidden)]
pub trait DeclaredActions {}

/// A label a node declares, by its hash (see [`DeclaredActions`]).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this label is not one of the actions `{Self}` declares",
    label = "not in its `#[node(actions = [..])]`",
    note = "a node that declares its actions returns only those: label the edge with one of them, or add this one to `actions`"
)]
pub trait Declares<L> {}

/// A string label as a type: its hash.
#[doc(hidden)]
pub struct Label<const HASH: u64>;

/// The hash of a label, which `#[node(actions = [..])]` and `flow!` both take of it (FNV-1a).
#[doc(hidden)]
pub const fn label_hash(label: &str) -> u64 {
    let bytes = label.as_bytes();
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut index = 0;
    while index < bytes.len() {
        hash = (hash ^ bytes[index] as u64).wrapping_mul(0x0000_0100_0000_01b3);
        index += 1;
    }
    hash
}

/// The action a node with `#[node(actions = [..])]` returned, if it is one it declares (or
/// the default action, which a plain edge follows); the step's error otherwise.
#[doc(hidden)]
pub fn declared_action<A: ActionType + crate::action::StringLabels>(
    action: A,
    declared: &'static [&'static str],
) -> std::result::Result<A, crate::error::BoxError> {
    let label = action.label();
    if action.is_default() || declared.contains(&label) {
        return Ok(action);
    }
    let declared: Vec<String> = declared.iter().map(|label| format!("`{label}`")).collect();
    Err(format!(
        "returned the action `{label}`, which is not one it declares in `actions` ({})",
        declared.join(", ")
    )
    .into())
}
