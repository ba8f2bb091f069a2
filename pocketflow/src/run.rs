//! [`Run`]: how a caller runs any node or flow, plainly or as a durable run. The entry points,
//! kept apart from the node traits: they start the layers (`durable` hands the node to a
//! durable run), which the engine itself knows nothing of.

use std::future::Future;

use crate::error::Result;
use crate::node::{Node, NodeInfo};
use crate::store::Store;

/// Runs any node or flow: `run`, `run_with` and `run_blocking`, for every [`Node`].
///
/// An extension trait rather than methods of [`Node`], so that a flow generic in its params
/// type can be run without naming them.
///
/// ```
/// use pocketflow::prelude::*;
///
/// struct Greet;
/// #[node]
/// impl Greet {
///     fn prep(&self, _: &String, name: &&'static str) -> String { format!("hello {name}") }
///     fn post(&self, shared: &mut String, greeting: String, _: ()) { *shared = greeting; }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut out = String::new();
/// Greet.run_with(&mut out, &"ferris").await.unwrap();
/// assert_eq!(out, "hello ferris");
/// # });
/// ```
pub trait Run: NodeInfo {
    /// Runs the node on `shared` with `()` params.
    fn run<'a, S>(
        &'a self,
        shared: &'a mut S,
    ) -> impl Future<Output = Result<Self::Action>> + Send + 'a
    where
        Self: Node<S, ()>,
    {
        self.run_node(Store::exclusive(shared), &())
    }

    /// Runs the node on `shared` with `params`, which every node of a flow receives.
    fn run_with<'a, S, P>(
        &'a self,
        shared: &'a mut S,
        params: &'a P,
    ) -> impl Future<Output = Result<Self::Action>> + Send + 'a
    where
        Self: Node<S, P>,
    {
        self.run_node(Store::exclusive(shared), params)
    }

    /// Runs the node on `shared` as a stream of its events, which every node it runs emits as
    /// `T` (or nothing): see [`stream`](crate::stream). The run advances while the stream is
    /// polled; [`finish`](crate::stream::EventStream::finish) gives its result.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use pocketflow::prelude::*;
    ///
    /// struct Hello;
    /// #[node]
    /// impl Hello {
    ///     fn post(&self, said: &mut String) { said.push_str("hello"); }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut said = String::new();
    /// let mut events = Hello.stream::<String>(&mut said);
    /// let mut count = 0;
    /// while let Some(_event) = events.next().await {
    ///     count += 1;
    /// }
    /// assert_eq!(events.finish().await.unwrap(), Action::DEFAULT);
    /// assert_eq!((count, said.as_str()), (2, "hello")); // started, finished
    /// # });
    /// ```
    fn stream<'a, T>(
        &'a self,
        shared: &'a mut impl crate::stream::StreamOn<'a, Self, T>,
    ) -> crate::stream::EventStream<'a, T, Result<Self::Action>>
    where
        Self: Sized,
    {
        shared.stream_on(self)
    }

    /// This node or flow as a durable run with id `run_id`, its checkpoints kept in
    /// `checkpoints` (see [`durable`](crate::durable) and [`DurableRun`](crate::durable::DurableRun)).
    #[cfg(feature = "durable")]
    fn durable<'a, C: crate::durable::Checkpoints>(
        &'a self,
        checkpoints: &'a C,
        run_id: impl Into<String>,
    ) -> crate::durable::DurableRun<'a, Self, C> {
        crate::durable::DurableRun::new(self, checkpoints, run_id.into())
    }

    /// Runs the node to completion on a new current-thread tokio runtime, for callers without
    /// an async runtime, and for `tokio::task::spawn_blocking` closures (there the runtime runs
    /// on a scoped thread of its own). Called from an async task it returns an
    /// [`ErrorKind::Runtime`](crate::ErrorKind::Runtime) error rather than block that task's
    /// runtime thread.
    ///
    /// ```
    /// use pocketflow::prelude::*;
    /// struct Nop;
    /// #[node] impl Nop {}
    /// assert_eq!(Nop.run_blocking(&mut ()).unwrap(), Action::DEFAULT);
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// // In an async task: an error, with what to write instead.
    /// let err = Nop.run_blocking(&mut ()).unwrap_err();
    /// assert_eq!(err.kind(), pocketflow::ErrorKind::Runtime);
    /// // On a thread lent to blocking work: it runs.
    /// let action = tokio::task::spawn_blocking(|| Nop.run_blocking(&mut ())).await.unwrap();
    /// assert_eq!(action.unwrap(), Action::DEFAULT);
    /// # });
    /// ```
    fn run_blocking<S>(&self, shared: &mut S) -> Result<Self::Action>
    where
        Self: Node<S, ()>,
    {
        crate::runtime::block_on(self.run(shared))?
    }
}

impl<N: NodeInfo + ?Sized> Run for N {}

/// Gives every node and flow `stream_with`: [`Run::stream`] with params, as
/// [`run_with`](Run::run_with). A trait of its own, generic in the store and params types, so
/// that its one type argument is what the run emits: `stream_with::<T>(&mut shared, &params)`,
/// or none when a node of the run emits and so says what `T` is. In the prelude.
///
/// ```
/// use futures::StreamExt;
/// use pocketflow::prelude::*;
///
/// struct Greet;
/// #[node]
/// impl Greet {
///     fn post(&self, out: &mut String, _prep: (), _exec: (), name: &&'static str) {
///         out.push_str(name);
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut out = String::new();
/// let events: Vec<_> = Greet.stream_with::<()>(&mut out, &"ferris").collect().await;
/// assert_eq!((events.len(), out.as_str()), (2, "ferris"));
/// # });
/// ```
pub trait StreamWith<S, P>: Node<S, P> {
    /// Streams this node or flow on `shared` with `params`: see [`Run::stream`].
    fn stream_with<'a, T>(
        &'a self,
        shared: &'a mut S,
        params: &'a P,
    ) -> crate::stream::EventStream<'a, T, Result<Self::Action>>
    where
        Self: crate::stream::Emits<T> + Sync + Sized,
        T: Send + 'static,
        S: Send,
        P: Sync;
}

impl<N: Node<S, P> + ?Sized, S, P> StreamWith<S, P> for N {
    fn stream_with<'a, T>(
        &'a self,
        shared: &'a mut S,
        params: &'a P,
    ) -> crate::stream::EventStream<'a, T, Result<Self::Action>>
    where
        Self: crate::stream::Emits<T> + Sync + Sized,
        T: Send + 'static,
        S: Send,
        P: Sync,
    {
        crate::stream::stream_run(self, shared, params)
    }
}
