//! A streamed run as a run context: a layer over the run's own context (the plain one, or a
//! durable run's journal) that turns the hooks the engine calls into events.
//!
//! It keeps the path of step names down to the node in progress, one level per flow and batch
//! flow the run is inside, and the innermost batch item. Each level also keeps the depth the
//! inner layer gave it, so the inner layer sees the calls it would see without this one.

use std::any::{Any, TypeId};
use std::future::Future;
use std::sync::Arc;

use super::Silent;
use super::emitter::{Emits, Emitters, Reporter};
use super::event::{EventKind, Place};
use super::events::{EventSink, EventStream, Sink};
use super::path::{self, Path};
use crate::action::ActionType;
use crate::context::{BatchPlace, BatchRuns, ItemJournal, Plain, RunContext, WrapRun};
use crate::drive::group::is_group_step;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::phases::ItemCodec;
use crate::policy::RetryPolicy;
use crate::progress::Progress;
use crate::store::Store;

/// Where a streamed run is.
#[derive(Clone)]
pub(crate) struct StreamState {
    sink: Arc<dyn EventSink>,
    levels: Vec<Level>,
    /// The open batch flows: the level of each and the item the run was at when it started.
    batches: Vec<(usize, Option<usize>)>,
    item: Option<usize>,
    /// The path of the node in progress.
    path: Option<Path>,
    /// The durable step in progress, in a durable run.
    step: Option<u64>,
}

/// A flow or batch flow the run is inside.
#[derive(Clone, Default)]
struct Level {
    /// The inner layer's depth for it.
    inner: usize,
    /// The path down to its step in progress, once one started; a batch flow's level has the
    /// batch flow's own.
    path: Option<Path>,
    /// The paths of the steps it ran, by step index, under the path they were built below
    /// (`below`): a loop over the same steps builds each path once.
    paths: Vec<(u32, Path)>,
    below: Option<Path>,
    /// The name of its step in progress when that is a parallel group (`[web, docs]`), which
    /// is no node: it has no events of its own but its checkpoints, and its members' paths go
    /// on from the level's (`[web, docs]` -> `web`).
    group: Option<&'static str>,
}

impl StreamState {
    /// The state of a run of a node that is not a flow, named `name`: its own events are at
    /// `[name]`.
    fn new(sink: Arc<dyn EventSink>, name: Option<&'static str>) -> StreamState {
        let path = name.map(|name| path::child(None, name));
        StreamState {
            sink,
            levels: Vec::new(),
            batches: Vec::new(),
            item: None,
            path,
            step: None,
        }
    }

    fn place(&self, item: Option<usize>) -> Place {
        Place {
            path: self.path,
            item: item.or(self.item),
            step: self.step,
        }
    }

    fn record_at(&self, path: Option<Path>, item: Option<usize>, what: EventKind<Silent>) {
        let place = Place {
            path,
            item,
            step: self.step,
        };
        self.sink.record(place, what);
    }

    /// The path of the node running the level `depth`: the path of the nearest level below it
    /// that has one, or the run's own.
    fn path_below(&self, depth: usize) -> Option<Path> {
        self.levels[..depth]
            .iter()
            .rev()
            .find_map(|level| level.path)
            .or_else(|| self.root_path())
    }

    /// The path of the streamed node itself when it is not a flow.
    fn root_path(&self) -> Option<Path> {
        if self.levels.is_empty() {
            self.path
        } else {
            None
        }
    }
}

/// The state of a run, or of one of its parallel batch flow's runs.
enum StateRef<'c> {
    Borrowed(&'c mut StreamState),
    Owned(Box<StreamState>),
}

/// The context of a streamed run over the run's own context `C`.
pub(crate) struct Streaming<'c, C> {
    state: StateRef<'c>,
    inner: C,
}

impl<C> Streaming<'_, C> {
    fn state(&self) -> &StreamState {
        match &self.state {
            StateRef::Borrowed(state) => state,
            StateRef::Owned(state) => state,
        }
    }

    fn state_mut(&mut self) -> &mut StreamState {
        match &mut self.state {
            StateRef::Borrowed(state) => state,
            StateRef::Owned(state) => state,
        }
    }

    /// The inner layer's depth for level `depth`.
    fn inner_depth(&self, depth: usize) -> usize {
        self.state()
            .levels
            .get(depth)
            .map_or(0, |level| level.inner)
    }
}

impl<'c, S: Send, C: RunContext<S>> RunContext<S> for Streaming<'c, C> {
    type Child<'x>
        = Streaming<'x, C::Child<'x>>
    where
        Self: 'x;

    fn child(&mut self) -> Streaming<'_, C::Child<'_>> {
        let state = match &mut self.state {
            StateRef::Borrowed(state) => &mut **state,
            StateRef::Owned(state) => &mut **state,
        };
        Streaming {
            state: StateRef::Borrowed(state),
            inner: self.inner.child(),
        }
    }

    const FOLLOWS: bool = true;

    fn policy(&self) -> Option<&RetryPolicy> {
        self.inner.policy()
    }

    fn progress(&self) -> Option<&Progress> {
        self.inner.progress()
    }

    fn enter(&mut self, steps: &'static [&'static str]) -> Result<(usize, Option<u32>)> {
        let (inner, resume) = if C::FOLLOWS {
            self.inner.enter(steps)?
        } else {
            (0, None)
        };
        let levels = &mut self.state_mut().levels;
        levels.push(Level {
            inner,
            ..Level::default()
        });
        Ok((levels.len() - 1, resume))
    }

    fn at(&mut self, depth: usize, index: u32, name: &'static str) {
        let step = if C::FOLLOWS {
            self.inner.steps().map(|done| done + 1)
        } else {
            None
        };
        let state = self.state_mut();
        // A run of a parallel batch flow has no step of its own (its posts are committed
        // together with its siblings'): its events keep the batch flow's.
        if step.is_some() {
            state.step = step;
        }
        state.levels.truncate(depth + 1);
        let below = state.path_below(depth);
        let Some(level) = state.levels.get_mut(depth) else {
            return;
        };
        level.group = is_group_step(name).then_some(name);
        if level.group.is_some() {
            level.path = below;
            state.path = below;
            if C::FOLLOWS {
                let inner = self.inner_depth(depth);
                self.inner.at(inner, index, name);
            }
            return;
        }
        // Paths are made once each (see `path`), so the same address is the same path.
        let same_below = match (level.below, below) {
            (Some(old), Some(new)) => std::ptr::eq(old, new),
            (None, None) => true,
            _ => false,
        };
        if !same_below {
            level.paths.clear();
            level.below = below;
        }
        let path = match level.paths.iter().find(|(at, _)| *at == index) {
            Some(&(_, path)) => path,
            None => {
                let path = path::child(below, name);
                level.paths.push((index, path));
                path
            }
        };
        level.path = Some(path);
        state.path = Some(path);
        state.sink.started(state.path, state.item, state.step);
        if C::FOLLOWS {
            let inner = self.inner_depth(depth);
            self.inner.at(inner, index, name);
        }
    }

    fn note<A: ActionType>(&mut self, depth: usize, action: &A) {
        let state = self.state();
        if let Some(level) = state
            .levels
            .get(depth)
            .filter(|level| level.group.is_none())
        {
            state
                .sink
                .finished(level.path, state.item, state.step, action.to_action());
        }
        if C::FOLLOWS {
            let inner = self.inner_depth(depth);
            self.inner.note(inner, action);
        }
    }

    fn failed(&mut self, depth: usize, error: &Error) {
        let state = self.state();
        // A group's failure is its member's, which that member's own level recorded.
        if let Some(level) = state
            .levels
            .get(depth)
            .filter(|level| level.group.is_none())
        {
            let failed = EventKind::Failed {
                error: error.to_string(),
            };
            state.record_at(level.path, state.item, failed);
        }
        if C::FOLLOWS {
            let inner = self.inner_depth(depth);
            self.inner.failed(inner, error);
        }
    }

    async fn commit(&mut self, depth: usize, next: u32, store: &mut Store<'_, S>) -> Result<()> {
        if C::FOLLOWS {
            let inner = self.inner_depth(depth);
            let before = self.inner.steps();
            self.inner.commit(inner, next, store).await?;
            let after = self.inner.steps();
            if let Some(step) = after.filter(|_| after != before) {
                let state = self.state_mut();
                state.step = Some(step);
                let path = state.levels.get(depth).and_then(|level| level.path);
                state.record_at(path, state.item, EventKind::Checkpoint { step });
            }
        }
        Ok(())
    }

    fn steps(&self) -> Option<u64> {
        if C::FOLLOWS { self.inner.steps() } else { None }
    }

    fn enter_batch<I>(
        &mut self,
        codec: Option<ItemCodec<I>>,
        limit: usize,
        runs_commit: bool,
    ) -> Result<Option<BatchPlace<I>>> {
        let place = if C::FOLLOWS {
            self.inner.enter_batch(codec, limit, runs_commit)?
        } else {
            None
        };
        let state = self.state_mut();
        let depth = state.levels.len();
        let path = state.path_below(depth).or(state.path);
        state.levels.push(Level {
            inner: place.as_ref().map_or(0, |place| place.depth),
            path,
            ..Level::default()
        });
        state.batches.push((depth, state.item));
        Ok(place.map(|place| BatchPlace { depth, ..place }))
    }

    fn batch_items<I>(
        &mut self,
        place: &BatchPlace<I>,
        items: &[I],
        node: &'static str,
    ) -> Result<()> {
        if !C::FOLLOWS {
            return Ok(());
        }
        let inner = BatchPlace {
            depth: self.inner_depth(place.depth),
            codec: place.codec,
            resumed: None,
        };
        self.inner.batch_items(&inner, items, node)
    }

    fn at_item(&mut self, depth: Option<usize>, index: u32) {
        let inner = depth.map(|depth| self.inner_depth(depth));
        let state = self.state_mut();
        if let Some(&(level, _)) = state.batches.last() {
            state.levels.truncate(level + 1);
            state.path = state.levels[level].path;
        }
        state.item = Some(index as usize);
        if C::FOLLOWS {
            self.inner.at_item(inner, index);
        }
    }

    fn item_done(&mut self, done: usize, total: usize) {
        let state = self.state();
        if let Some(&(level, item)) = state.batches.last() {
            let path = state.levels[level].path;
            state.record_at(path, item, EventKind::Progress { done, total });
        }
        if C::FOLLOWS {
            self.inner.item_done(done, total);
        }
    }

    fn leave_batch(&mut self, depth: Option<usize>) {
        let inner = depth.map(|depth| self.inner_depth(depth));
        let state = self.state_mut();
        if let Some((level, item)) = state.batches.pop() {
            state.path = state.levels[level].path;
            state.levels.truncate(level);
            state.item = item;
        }
        if C::FOLLOWS {
            self.inner.leave_batch(inner);
        }
    }

    async fn batch_runs<'a, I, F, W>(
        &'a mut self,
        place: Option<&'a BatchPlace<I>>,
        runs: BatchRuns<'a, F, I>,
        store: &'a mut Store<'_, S>,
        wrap: &'a W,
    ) -> Result<()>
    where
        S: Send,
        I: Send + Sync,
        F: Node<S, I> + Sync,
        W: WrapRun<S>,
    {
        let inner_place = place.map(|place| BatchPlace {
            depth: self.inner_depth(place.depth),
            codec: place.codec,
            resumed: None,
        });
        let state = self.state();
        let (level, item) = state.batches.last().copied().unwrap_or_default();
        let batch_path = state.levels.get(level).and_then(|l| l.path);
        // A group's checkpoints are the group step's: `[web, docs]` under the level's path.
        let group_step = level.checked_sub(1).and_then(|step| state.levels.get(step));
        let checkpoint_path = match group_step.and_then(|step| step.group.map(|g| (step, g))) {
            Some((step, name)) if runs.group => Some(path::child(step.path, name)),
            _ => batch_path,
        };
        let wrapped = StreamRuns {
            base: StreamState {
                levels: state.levels[..=level.min(state.levels.len().saturating_sub(1))].to_vec(),
                batches: state.batches.clone(),
                ..state.clone()
            },
            batch: (batch_path, item),
            checkpoint_path,
            group: runs.group,
            outer: wrap,
        };
        if C::FOLLOWS {
            self.inner
                .batch_runs(inner_place.as_ref(), runs, store, &wrapped)
                .await
        } else {
            crate::drive::run_in_parallel(runs, store, &wrapped).await
        }
    }

    fn reporter(&self) -> Reporter {
        let state = self.state();
        Reporter::new(state.sink.clone(), state.place(None))
    }

    fn emitters<E: Send + 'static>(&self) -> Emitters<E> {
        if TypeId::of::<E>() == TypeId::of::<Silent>() {
            return Emitters::silent();
        }
        let state = self.state();
        let sink: Arc<dyn Any + Send + Sync> = state.sink.clone();
        match sink.downcast::<Sink<E>>() {
            Ok(sink) => Emitters::new(sink, state.place(None)),
            // Another type than the stream's: `stream::<T>` requires every node to emit `T`
            // or nothing, so this is a node that emits nothing.
            Err(_) => Emitters::silent(),
        }
    }

    fn item_journal(&self) -> Option<&dyn ItemJournal> {
        if C::FOLLOWS {
            self.inner.item_journal()
        } else {
            None
        }
    }
}

/// How a streamed run makes the context of each run of a parallel batch flow: a state of its
/// own at item `index`, over the inner layer's context, inside the layers around (`outer`).
struct StreamRuns<'w, W> {
    base: StreamState,
    /// The batch flow's path and the item the run was at when it started.
    batch: (Option<Path>, Option<usize>),
    /// Where the runs' checkpoints are reported: the batch flow's path, or a group step's.
    checkpoint_path: Option<Path>,
    /// Whether the runs are a group's members, which keep the item around them and count no
    /// progress.
    group: bool,
    outer: &'w W,
}

impl<S: Send, W: WrapRun<S>> WrapRun<S> for StreamRuns<'_, W> {
    type Wrapped<C: RunContext<S>> = W::Wrapped<Streaming<'static, C>>;

    fn wrap<C: RunContext<S>>(&self, index: usize, cx: C) -> Self::Wrapped<C> {
        let mut state = self.base.clone();
        if !self.group {
            state.item = Some(index);
        }
        let streaming = Streaming {
            state: StateRef::Owned(Box::new(state)),
            inner: cx,
        };
        self.outer.wrap(index, streaming)
    }

    fn done(&self, done: usize, total: usize) {
        if !self.group {
            let (path, item) = self.batch;
            self.base
                .record_at(path, item, EventKind::Progress { done, total });
        }
        self.outer.done(done, total);
    }

    fn committed(&self, step: u64) {
        let place = Place {
            path: self.checkpoint_path,
            item: self.batch.1,
            step: Some(step),
        };
        self.base.sink.record(place, EventKind::Checkpoint { step });
        self.outer.committed(step);
    }
}

/// Runs `node` on `shared` with `params` as a stream of its events (see
/// [`Run::stream`](crate::Run::stream)): [`stream_layered`] over the plain context.
pub(crate) fn stream_run<'a, T, S, P, N>(
    node: &'a N,
    shared: &'a mut S,
    params: &'a P,
) -> EventStream<'a, T, Result<N::Action>>
where
    T: Send + 'static,
    S: Send,
    P: Sync,
    N: Node<S, P> + Emits<T> + Sync,
{
    stream_layered::<T, N, _, _>(
        move |top| async move {
            let cx = WrapRun::<S>::wrap(&top, 0, Plain);
            node.run_in(Store::exclusive(shared), params, cx).await
        },
        finished::<N::Action>,
    )
}

/// What a streamed node run on its own ends with: its action.
fn finished<A: ActionType>(action: &A) -> EventKind<Silent> {
    EventKind::Finished {
        action: action.to_action(),
    }
}

/// The layer a streamed run puts over its own context (plain, or a durable run's journal): a
/// state of its own, `base`.
pub(crate) struct StreamTop {
    base: StreamState,
    /// What the run told the layer that the events after it need.
    notes: Arc<std::sync::Mutex<TopNotes>>,
}

/// What [`stream_layered`] records after the run, learnt during it.
#[derive(Default)]
struct TopNotes {
    /// A node streamed alone started, at this durable step (if durable): its end is recorded
    /// at the same step. A run that never started (a durable run already finished) has none.
    started: Option<Option<u64>>,
    /// A durable run's last commit, made after the run's own events: recorded after them.
    last_commit: Option<LastCommit>,
}

/// A durable run's last commit: its step, and the flow's step it committed (none when the run
/// is of a node alone).
pub(crate) type LastCommit = (u64, Option<&'static str>);

impl StreamTop {
    fn notes(&self) -> std::sync::MutexGuard<'_, TopNotes> {
        self.notes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The durable run committed its last step (the run's end), after every event of the run.
    #[cfg_attr(not(feature = "durable"), allow(dead_code))]
    pub(crate) fn committed_last(&self, commit: LastCommit) {
        self.notes().last_commit = Some(commit);
    }
}

impl<S: Send> WrapRun<S> for StreamTop {
    type Wrapped<C: RunContext<S>> = Streaming<'static, C>;

    /// The run starts in `cx`: a node streamed alone starts here, where a durable run's step
    /// is known.
    fn wrap<C: RunContext<S>>(&self, _: usize, cx: C) -> Streaming<'static, C> {
        let mut state = self.base.clone();
        if state.levels.is_empty() && state.path.is_some() {
            state.step = if C::FOLLOWS {
                cx.steps().map(|done| done + 1)
            } else {
                None
            };
            state.sink.record(state.place(None), EventKind::Started);
            self.notes().started = Some(state.step);
        }
        Streaming {
            state: StateRef::Owned(Box::new(state)),
            inner: cx,
        }
    }
}

/// Runs node `N` as a stream of its events around `run`, which runs it in the context that
/// `StreamTop` wraps; a node that is not a flow has its own start and end, `ended` saying how
/// it ended (plain runs, and [`DurableRun::stream`](crate::durable::DurableRun::stream)).
pub(crate) fn stream_layered<'a, T, N, R, Fut>(
    run: impl FnOnce(StreamTop) -> Fut + Send + 'a,
    ended: fn(&R) -> EventKind<Silent>,
) -> EventStream<'a, T, Result<R>>
where
    T: Send + 'static,
    N: crate::node::NodeInfo + ?Sized,
    Fut: Future<Output = Result<R>> + Send + 'a,
    R: Send + 'a,
{
    let sink = Arc::new(Sink::<T>::new());
    let events: Arc<dyn EventSink> = sink.clone();
    let stream = async move {
        let alone = !N::IS_FLOW;
        let base = StreamState::new(events, alone.then_some(N::NAME));
        let top = base.clone();
        let notes: Arc<std::sync::Mutex<TopNotes>> = Arc::default();
        let result = run(StreamTop {
            base,
            notes: Arc::clone(&notes),
        })
        .await;
        let notes = std::mem::take(&mut *notes.lock().unwrap_or_else(|p| p.into_inner()));
        // A node alone ends where it started, or (a batch flow alone, which spans steps) at
        // its last commit. One that failed before it could start (a durable run's load) still
        // shows its start and its failure; one that had nothing to run (a finished durable
        // run) shows nothing, as a flow.
        let started = match notes.started {
            None if alone && result.is_err() => {
                top.sink.record(top.place(None), EventKind::Started);
                Some(None)
            }
            started => started,
        };
        if let (true, Some(step)) = (alone, started) {
            let what = match &result {
                Ok(outcome) => ended(outcome),
                Err(error) => EventKind::Failed {
                    error: error.to_string(),
                },
            };
            let step = notes.last_commit.map_or(step, |(last, _)| Some(last));
            top.sink.record(
                Place {
                    step,
                    ..top.place(None)
                },
                what,
            );
        }
        if let Some((step, name)) = notes.last_commit {
            let place = Place {
                path: name.map(|name| path::child(None, name)).or(top.path),
                item: None,
                step: Some(step),
            };
            top.sink.record(place, EventKind::Checkpoint { step });
        }
        result
    };
    EventStream::new(sink, stream)
}

/// A shared store that node `N` can be streamed on as `T`: what
/// [`Run::stream::<T>`](crate::Run::stream) takes, so that its only type argument is `T`.
/// Every `S` that `N` runs on is one, when `N` emits `T` or nothing.
pub trait StreamOn<'a, N: crate::node::NodeInfo, T>: Sized {
    /// Streams `node` on this store: see [`Run::stream`](crate::Run::stream).
    fn stream_on(&'a mut self, node: &'a N) -> EventStream<'a, T, Result<N::Action>>;
}

impl<'a, N, T, S> StreamOn<'a, N, T> for S
where
    S: Send + 'a,
    N: crate::node::Node<S> + Emits<T> + Sync + 'a,
    T: Send + 'static,
{
    fn stream_on(&'a mut self, node: &'a N) -> EventStream<'a, T, Result<N::Action>> {
        stream_run(node, self, &())
    }
}
