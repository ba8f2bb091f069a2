//! Run-time retry settings on a node value: the macros cannot add fields to the user's struct,
//! so the settings live in a wrapper node.

use std::future::Future;
use std::time::Duration;

use crate::context::{Overriding, Plain, RunContext};
use crate::error::Result;
use crate::node::{Node, NodeInfo};
use crate::policy::RetryPolicy;
use crate::progress::Progress;
use crate::store::Store;

/// Changes a node's retry settings at run time, overriding its `#[node(..)]` attribute.
///
/// ```
/// use std::time::Duration;
/// use pocketflow::prelude::*;
///
/// struct Fetch;
/// #[node(max_retries = 2)]
/// impl Fetch {
///     fn exec(&self) -> Result<(), String> { Err("offline".into()) }
/// }
///
/// let fetch = Fetch.with_max_retries(5).with_wait(Duration::ZERO);
/// assert_eq!(fetch.policy().max_retries(), 5);
/// assert_eq!(fetch.run_blocking(&mut ()).unwrap_err().attempts(), 5);
/// ```
///
/// `#[node]` and `#[batch_node]` implement it; it is not meant to be implemented by hand.
pub trait Configure: NodeInfo + Sized {
    /// The policy of the node's attribute, or the default of one attempt and no wait.
    #[doc(hidden)]
    const POLICY: RetryPolicy;

    /// Wraps the node with `max_retries` total `exec` attempts. Zero makes every run fail with
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig).
    fn with_max_retries(self, max_retries: u32) -> Configured<Self> {
        Configured::new(self, Self::POLICY.with_max_retries(max_retries))
    }

    /// Wraps the node with a pause of `wait` between `exec` attempts.
    fn with_wait(self, wait: Duration) -> Configured<Self> {
        Configured::new(self, Self::POLICY.with_wait(wait))
    }

    /// Wraps the node with each `exec` attempt limited to `timeout` (a timed-out attempt is a
    /// failed one). Needs an `async fn exec`.
    fn with_timeout(self, timeout: Duration) -> Configured<Self> {
        Configured::new(self, Self::POLICY.with_timeout(Some(timeout)))
    }

    /// Wraps the node with waits growing by `factor` after each failed attempt, up to `max_wait`.
    fn with_backoff(self, factor: f64, max_wait: Duration) -> Configured<Self> {
        Configured::new(self, Self::POLICY.with_backoff(factor, max_wait))
    }

    /// Wraps a batch node so that its items are counted into `progress` as they finish.
    fn with_progress(self, progress: &Progress) -> Configured<Self>
    where
        Self: BatchNode,
    {
        Configured::new(self, Self::POLICY).with_progress(progress)
    }

    /// Wraps the node with `policy`.
    fn with_policy(self, policy: RetryPolicy) -> Configured<Self> {
        Configured::new(self, policy)
    }
}

/// The nodes made by `#[batch_node]`, whose items a [`Progress`] counts.
///
/// ```
/// use pocketflow::prelude::*;
/// use pocketflow::BatchNode;
///
/// struct Words;
/// #[batch_node]
/// impl Words {
///     fn prep(&self, _: &()) -> [&'static str; 2] { ["a", "b"] }
/// }
///
/// fn counted<N: BatchNode>(node: N) -> N { node }
/// let _ = counted(Words);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a batch node, so it has no items to count",
    label = "progress counts the items of a `#[batch_node]`",
    note = "attach progress to a `#[batch_node]`, or to a batch flow with `BatchFlow::with_progress`"
)]
pub trait BatchNode: Configure {}

/// A node with run-time retry settings, from [`Configure`]. It is a node itself.
///
/// ```
/// use std::time::Duration;
/// use pocketflow::prelude::*;
///
/// struct Ping;
/// #[node]
/// impl Ping {}
///
/// let ping = Ping.with_max_retries(3).with_wait(Duration::from_millis(10));
/// assert_eq!(ping.policy(), pocketflow::RetryPolicy::new(3, Duration::from_millis(10)));
/// let _ping: Ping = ping.into_inner();
/// ```
#[derive(Debug, Clone)]
pub struct Configured<N> {
    node: N,
    policy: RetryPolicy,
    progress: Option<Progress>,
}

impl<N> Configured<N> {
    fn new(node: N, policy: RetryPolicy) -> Configured<N> {
        Configured {
            node,
            policy,
            progress: None,
        }
    }

    /// Counts the batch node's items into `progress` as they finish (see [`Progress`]).
    pub fn with_progress(mut self, progress: &Progress) -> Configured<N>
    where
        N: BatchNode,
    {
        self.progress = Some(progress.clone());
        self
    }

    /// The progress this wrapper counts into, if any.
    pub fn progress(&self) -> Option<&Progress> {
        self.progress.as_ref()
    }

    /// The settings this wrapper runs the node with.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// Changes the total number of `exec` attempts.
    pub fn with_max_retries(mut self, max_retries: u32) -> Configured<N> {
        self.policy = self.policy.with_max_retries(max_retries);
        self
    }

    /// Changes the pause between `exec` attempts.
    pub fn with_wait(mut self, wait: Duration) -> Configured<N> {
        self.policy = self.policy.with_wait(wait);
        self
    }

    /// Limits each `exec` attempt to `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Configured<N> {
        self.policy = self.policy.with_timeout(Some(timeout));
        self
    }

    /// Makes the waits grow by `factor` after each failed attempt, up to `max_wait`.
    pub fn with_backoff(mut self, factor: f64, max_wait: Duration) -> Configured<N> {
        self.policy = self.policy.with_backoff(factor, max_wait);
        self
    }

    /// The wrapped node.
    pub fn inner(&self) -> &N {
        &self.node
    }

    /// Unwraps the node.
    pub fn into_inner(self) -> N {
        self.node
    }
}

#[diagnostic::do_not_recommend]
impl<N: NodeInfo> NodeInfo for Configured<N> {
    type Action = N::Action;
    const NAME: &'static str = N::NAME;
    const IS_FLOW: bool = N::IS_FLOW;
}

impl<T, N: crate::stream::Emits<T>> crate::stream::Emits<T> for Configured<N> {}

// What `flow!` checks of a node, checked of the node configured.
impl<N: crate::stream::EmittedBy> crate::stream::EmittedBy for Configured<N> {
    type Emitted = N::Emitted;
}

impl<N: crate::flow::DeclaredActions> crate::flow::DeclaredActions for Configured<N> {}

#[diagnostic::do_not_recommend]
impl<L, N: crate::flow::Declares<L>> crate::flow::Declares<L> for Configured<N> {}

impl<S, P, N: Node<S, P> + Configure> Node<S, P> for Configured<N> {
    fn run_node<'a>(
        &'a self,
        store: Store<'a, S>,
        params: &'a P,
    ) -> impl Future<Output = Result<Self::Action>> + Send + 'a {
        self.run_in(store, params, Plain)
    }

    fn run_in<'a, C: RunContext<S> + 'a>(
        &'a self,
        store: Store<'a, S>,
        params: &'a P,
        cx: C,
    ) -> impl Future<Output = Result<Self::Action>> + Send + 'a {
        let cx = Overriding {
            inner: cx,
            policy: &self.policy,
            progress: self.progress.as_ref(),
        };
        self.node.run_in(store, params, cx)
    }

    fn commits_each_post() -> bool {
        N::commits_each_post()
    }
}
