//! The run context: what a run hands to every node besides the store and the params. A node
//! asks it for the run-time settings a [`Configured`](crate::Configured) wrapper gave it, and a
//! flow tells it where the run is (a flow starts, a step runs, a step ends); a layer on the
//! plain engine (a durable run's journal) is a context that acts on those calls.
//!
//! This is the seam between the engine and its layers: the engine calls these hooks and knows
//! nothing else of durable runs; durable runs implement them in `durable/`.
//!
//! ```text
//! Run::run ── Plain ──────────────┐
//! DurableRun::run ── &mut Journal ─┤── Node::run_in(store, params, cx)
//! Configured ── Overriding<cx> ────┘       flows: cx.enter(steps) / cx.at / cx.note / cx.commit
//!                                          batch flows: cx.enter_batch / cx.batch_items /
//!                                            cx.at_item / cx.batch_runs / cx.leave_batch
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::action::ActionType;
use crate::drive::run_in_parallel;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::phases::ItemCodec;
use crate::policy::RetryPolicy;
use crate::progress::Progress;
use crate::store::Store;
use crate::stream::{Emitters, Reporter};

/// What a run hands to each node: see the [module](self). Every hook has a default that does
/// nothing, so the plain context, [`Plain`], compiles to nothing.
#[doc(hidden)]
pub trait RunContext<S>: Send + Sized {
    /// The context a node hands to the nodes it runs: the same layers, none of its settings.
    type Child<'c>: RunContext<S> + 'c
    where
        Self: 'c;

    /// The context for a node run inside this one.
    fn child(&mut self) -> Self::Child<'_>;

    /// Whether the run follows its flows step by step (`enter`, `at`, `note`, `commit` do
    /// something): false for the plain run, whose flows then skip the calls altogether.
    const FOLLOWS: bool = false;

    /// The retry policy set at run time for the node this context is handed to, if any.
    #[inline(always)]
    fn policy(&self) -> Option<&RetryPolicy> {
        None
    }

    /// The progress the node's items count into, if any.
    #[inline(always)]
    fn progress(&self) -> Option<&Progress> {
        None
    }

    /// A flow whose steps are named `steps` (by index; none: a level of runs by index, a
    /// group's) starts: its depth in the run, and the step it resumes at, if the run resumes
    /// inside it. An error when the saved step is not one of `steps` (a flow that changed).
    #[inline(always)]
    fn enter(&mut self, steps: &'static [&'static str]) -> Result<(usize, Option<u32>)> {
        let _ = steps;
        Ok((0, None))
    }

    /// The flow at `depth` runs its step `index`, named `name`.
    #[inline(always)]
    fn at(&mut self, depth: usize, index: u32, name: &'static str) {
        let _ = (depth, index, name);
    }

    /// The step the flow at `depth` just ran returned `action`.
    #[inline(always)]
    fn note<A: ActionType>(&mut self, depth: usize, action: &A) {
        let _ = (depth, action);
    }

    /// The step the flow at `depth` was running failed with `error` (which leaves the flow).
    #[inline(always)]
    fn failed(&mut self, depth: usize, error: &Error) {
        let _ = (depth, error);
    }

    /// The flow at `depth` goes on with its step `next`, the store as the step left it.
    #[inline(always)]
    fn commit(
        &mut self,
        depth: usize,
        next: u32,
        store: &mut Store<'_, S>,
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = (depth, next, store);
        Committed
    }

    /// A batch flow over items that `codec` can write (if any) starts, running `limit` of its
    /// sub-flow runs at once, over a sub-flow whose every `post` is followed by a commit or not
    /// (`runs_commit`): where the layer follows it, or `None` when the batch flow is one step of
    /// the layer, which then does nothing until `leave_batch(None)` (its runs go as in a plain
    /// run).
    #[inline(always)]
    fn enter_batch<I>(
        &mut self,
        codec: Option<ItemCodec<I>>,
        limit: usize,
        runs_commit: bool,
    ) -> Result<Option<BatchPlace<I>>> {
        let _ = (codec, limit, runs_commit);
        Ok(None)
    }

    /// The batch flow followed at `place`, its batch node named `node`, runs over `items`, from
    /// its `prep`.
    #[inline(always)]
    fn batch_items<I>(
        &mut self,
        place: &BatchPlace<I>,
        items: &[I],
        node: &'static str,
    ) -> Result<()> {
        let _ = (place, items, node);
        Ok(())
    }

    /// The sequential batch flow entered last runs its item `index`; `depth` is where the layer
    /// follows it, if it does.
    #[inline(always)]
    fn at_item(&mut self, depth: Option<usize>, index: u32) {
        let _ = (depth, index);
    }

    /// The sequential batch flow entered last finished its item `done - 1` of `total`.
    #[inline(always)]
    fn item_done(&mut self, done: usize, total: usize) {
        let _ = (done, total);
    }

    /// The batch flow entered last is done, `post` included; `depth` is where the layer
    /// followed it, if it did.
    #[inline(always)]
    fn leave_batch(&mut self, depth: Option<usize>) {
        let _ = depth;
    }

    /// Runs the sub-flow of a parallel batch flow once per item (`runs`) on the shared
    /// `store`; `place` is where the layer follows the batch flow, if it does. Each run's
    /// context is the layer's own for that run, handed to `wrap` (the layers around this one).
    fn batch_runs<'a, I, F, W>(
        &'a mut self,
        place: Option<&'a BatchPlace<I>>,
        runs: BatchRuns<'a, F, I>,
        store: &'a mut Store<'_, S>,
        wrap: &'a W,
    ) -> impl Future<Output = Result<()>> + Send + 'a
    where
        S: Send,
        I: Send + Sync,
        F: Node<S, I> + Sync,
        W: WrapRun<S>,
    {
        let _ = place;
        run_in_parallel(runs, store, wrap)
    }

    /// How many steps the run has committed, in a durable run.
    #[inline(always)]
    fn steps(&self) -> Option<u64> {
        None
    }

    /// What reports the node in progress's retries and progress: into the run's stream when
    /// the run is streamed, nowhere otherwise.
    #[inline(always)]
    fn reporter(&self) -> Reporter {
        Reporter::silent()
    }

    /// What the node in progress (or its batch items) emits through: into the run's stream
    /// when the run is streamed as `E`, nowhere otherwise.
    #[inline(always)]
    fn emitters<E: Send + 'static>(&self) -> Emitters<E> {
        Emitters::silent()
    }

    /// Where a batch node writes its items and results as they come, when the run keeps them
    /// (a durable run): a resumed batch takes them back instead of running them again. Asked
    /// only of a context that [`FOLLOWS`](Self::FOLLOWS) the run.
    #[inline(always)]
    fn item_journal(&self) -> Option<&dyn ItemJournal> {
        None
    }
}

/// How a layer around another makes the context of each run of a parallel batch flow from the
/// inner layer's (see [`RunContext::batch_runs`]).
#[doc(hidden)]
pub trait WrapRun<S>: Sync {
    /// The context of a run, made from the inner layer's context `C`.
    type Wrapped<C: RunContext<S>>: RunContext<S>;

    /// The context of run `index`.
    fn wrap<C: RunContext<S>>(&self, index: usize, cx: C) -> Self::Wrapped<C>;

    /// Run `index` finished; `done` runs of `total` have.
    #[inline(always)]
    fn done(&self, done: usize, total: usize) {
        let _ = (done, total);
    }

    /// The runs' checkpoint committed step `step` (a durable parallel batch flow's, or a
    /// group's, which no run's own context sees).
    #[inline(always)]
    fn committed(&self, step: u64) {
        let _ = step;
    }
}

/// No layer around: each run's context is the inner layer's.
#[doc(hidden)]
pub struct Unwrapped;

impl<S> WrapRun<S> for Unwrapped {
    type Wrapped<C: RunContext<S>> = C;

    #[inline(always)]
    fn wrap<C: RunContext<S>>(&self, _: usize, cx: C) -> C {
        cx
    }
}

/// The runs of a parallel batch flow (see [`RunContext::batch_runs`]): `flow` once per item,
/// `limit` at a time, each finished run counted into `progress`; or the members of a parallel
/// group (`group`), which runs as one but has no items to count or to stream.
#[doc(hidden)]
pub struct BatchRuns<'a, F, I> {
    pub flow: &'a F,
    pub items: &'a [I],
    pub limit: usize,
    pub progress: Option<&'a Progress>,
    pub group: bool,
    /// An item as an error from its run shows it.
    pub describe: fn(&I) -> Option<String>,
}

impl<F, I> BatchRuns<'_, F, I> {
    /// `run`, the result of the run of item `index`, its error marked with the item (not a
    /// group's: a member is no item).
    pub(crate) fn mark<T>(&self, index: usize, run: Result<T>) -> Result<T> {
        match run {
            Err(error) if !self.group => {
                Err(error.in_flow_item(index, (self.describe)(&self.items[index])))
            }
            run => run,
        }
    }
}

impl<F, I> Clone for BatchRuns<'_, F, I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F, I> Copy for BatchRuns<'_, F, I> {}

/// Where a layer follows a batch flow (see [`RunContext::enter_batch`]).
#[doc(hidden)]
pub struct BatchPlace<I> {
    /// The batch flow's depth in the run's position.
    pub depth: usize,
    /// How its items are written into the layer's records.
    pub codec: ItemCodec<I>,
    /// Its items and the first item not done, when the run resumes inside it.
    pub resumed: Option<(Vec<I>, usize)>,
}

/// A boxed future of a layer's storage call, `Send` so that a run can move between threads.
#[doc(hidden)]
pub type Pending<'s, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 's>>;

/// The journal of the step in progress, by slot: where a batch node's items (slot 0) and
/// each item's result (slot `index + 1`) go as JSON text as they come. A durable run's saver
/// is one.
#[doc(hidden)]
pub trait ItemJournal: Sync {
    /// Claims the step in progress for this process before its journal is written: an error
    /// when another process got there first.
    fn claim(&self) -> Pending<'_, ()>;

    /// Journals `value` in `slot` of the step in progress.
    fn save_item(&self, slot: u64, value: String) -> Pending<'_, ()>;

    /// Journals several slots of the step in progress at once.
    fn save_items(&self, items: Vec<(u64, String)>) -> Pending<'_, ()>;

    /// What the step in progress journaled before the run stopped.
    fn items(&self) -> Pending<'_, Vec<(u64, String)>>;
}

/// What the default `commit` returns: done at once. Zero-sized with nothing to drop, unlike
/// `std::future::Ready<Result<()>>`, so that a plain flow's future needs no drop code for it.
#[doc(hidden)]
pub struct Committed;

impl Future for Committed {
    type Output = Result<()>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The context of a plain run: no settings, no layer. Zero-sized; its hooks compile away.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Plain;

impl<S> RunContext<S> for Plain {
    type Child<'c> = Plain;

    #[inline(always)]
    fn child(&mut self) -> Plain {
        Plain
    }
}

/// The context of a [`Configured`](crate::Configured) node: its run-time policy and progress
/// over the run's own context, which the nodes inside it get back.
pub(crate) struct Overriding<'o, C> {
    pub(crate) inner: C,
    pub(crate) policy: &'o RetryPolicy,
    pub(crate) progress: Option<&'o Progress>,
}

impl<S, C: RunContext<S>> RunContext<S> for Overriding<'_, C> {
    type Child<'c>
        = C::Child<'c>
    where
        Self: 'c;

    const FOLLOWS: bool = C::FOLLOWS;

    #[inline(always)]
    fn child(&mut self) -> C::Child<'_> {
        self.inner.child()
    }

    #[inline(always)]
    fn policy(&self) -> Option<&RetryPolicy> {
        Some(self.policy)
    }

    #[inline(always)]
    fn progress(&self) -> Option<&Progress> {
        self.progress
    }

    #[inline(always)]
    fn enter(&mut self, steps: &'static [&'static str]) -> Result<(usize, Option<u32>)> {
        self.inner.enter(steps)
    }

    #[inline(always)]
    fn at(&mut self, depth: usize, index: u32, name: &'static str) {
        self.inner.at(depth, index, name);
    }

    #[inline(always)]
    fn note<A: ActionType>(&mut self, depth: usize, action: &A) {
        self.inner.note(depth, action);
    }

    #[inline(always)]
    fn failed(&mut self, depth: usize, error: &Error) {
        self.inner.failed(depth, error);
    }

    fn commit(
        &mut self,
        depth: usize,
        next: u32,
        store: &mut Store<'_, S>,
    ) -> impl Future<Output = Result<()>> + Send {
        self.inner.commit(depth, next, store)
    }

    fn enter_batch<I>(
        &mut self,
        codec: Option<ItemCodec<I>>,
        limit: usize,
        runs_commit: bool,
    ) -> Result<Option<BatchPlace<I>>> {
        self.inner.enter_batch(codec, limit, runs_commit)
    }

    fn batch_items<I>(
        &mut self,
        place: &BatchPlace<I>,
        items: &[I],
        node: &'static str,
    ) -> Result<()> {
        self.inner.batch_items(place, items, node)
    }

    #[inline(always)]
    fn at_item(&mut self, depth: Option<usize>, index: u32) {
        self.inner.at_item(depth, index);
    }

    #[inline(always)]
    fn item_done(&mut self, done: usize, total: usize) {
        self.inner.item_done(done, total);
    }

    #[inline(always)]
    fn leave_batch(&mut self, depth: Option<usize>) {
        self.inner.leave_batch(depth);
    }

    fn batch_runs<'a, I, F, W>(
        &'a mut self,
        place: Option<&'a BatchPlace<I>>,
        runs: BatchRuns<'a, F, I>,
        store: &'a mut Store<'_, S>,
        wrap: &'a W,
    ) -> impl Future<Output = Result<()>> + Send + 'a
    where
        S: Send,
        I: Send + Sync,
        F: Node<S, I> + Sync,
        W: WrapRun<S>,
    {
        self.inner.batch_runs(place, runs, store, wrap)
    }

    #[inline(always)]
    fn steps(&self) -> Option<u64> {
        self.inner.steps()
    }

    #[inline(always)]
    fn reporter(&self) -> Reporter {
        self.inner.reporter()
    }

    #[inline(always)]
    fn emitters<E: Send + 'static>(&self) -> Emitters<E> {
        self.inner.emitters()
    }

    fn item_journal(&self) -> Option<&dyn ItemJournal> {
        self.inner.item_journal()
    }
}
