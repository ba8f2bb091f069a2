//! How `exec` hands values to whoever streams the run, and the compile-time check that a run's
//! nodes all emit the type it is streamed as.

use std::sync::Arc;

use super::event::{Event, EventKind, Place};
use super::events::{EventSink, Sink};

/// What an `exec` emits through: `exec` takes `&Emitter<T>` as its last argument, after the
/// prep value (or item), and each [`emit`](Self::emit) becomes an
/// [`EventKind::Emitted`](super::EventKind::Emitted) event of a streamed run. In a plain run
/// emitting costs nothing and goes nowhere.
///
/// ```
/// use futures::StreamExt;
/// use pocketflow::prelude::*;
/// use pocketflow::stream::{Emitter, EventKind};
///
/// struct Count;
/// #[node]
/// impl Count {
///     fn exec(&self, _prep: &(), out: &Emitter<u32>) {
///         for n in 1..=3 {
///             out.emit(n);
///         }
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let emitted: Vec<u32> = Count
///     .stream::<u32>(&mut ())
///     .filter_map(|event| async move {
///         match event.into_kind() {
///             EventKind::Emitted(n) => Some(n),
///             _ => None,
///         }
///     })
///     .collect()
///     .await;
/// assert_eq!(emitted, [1, 2, 3]);
/// Count.run(&mut ()).await.unwrap(); // not streamed: the values go nowhere
/// # });
/// ```
pub struct Emitter<T> {
    /// Boxed: a batch item's future holds its emitter, 8 bytes when the run is not streamed.
    target: Option<Box<(Arc<Sink<T>>, Place)>>,
}

impl<T> Emitter<T> {
    /// An emitter whose values go nowhere: a run that is not streamed, or an item run on a
    /// worker.
    #[doc(hidden)]
    pub fn silent() -> Emitter<T> {
        Emitter { target: None }
    }

    /// Hands `value` to whoever streams the run. Never blocks and never fails: the stream keeps
    /// what is emitted until it is read.
    #[inline]
    pub fn emit(&self, value: T) {
        if let Some(target) = &self.target {
            let (sink, place) = &**target;
            sink.push(Event::new(place, EventKind::Emitted(value)));
        }
    }

    /// Whether anyone streams the run: when not, an `exec` may skip the work of building
    /// what it would emit.
    #[inline]
    pub fn is_streamed(&self) -> bool {
        self.target.is_some()
    }
}

/// What makes the emitters of one node run: one for the node, or one per batch item.
#[doc(hidden)]
pub struct Emitters<T> {
    target: Option<Arc<Sink<T>>>,
    place: Place,
}

impl<T> Emitters<T> {
    /// Emitters whose values go nowhere.
    #[inline(always)]
    pub(crate) fn silent() -> Emitters<T> {
        Emitters {
            target: None,
            place: Place::default(),
        }
    }

    pub(crate) fn new(sink: Arc<Sink<T>>, place: Place) -> Emitters<T> {
        Emitters {
            target: Some(sink),
            place,
        }
    }

    /// The node's emitter.
    #[inline]
    pub(crate) fn node(&self) -> Emitter<T> {
        self.at(self.place.item)
    }

    /// The emitter of the node's batch item `index`.
    #[inline]
    pub(crate) fn item(&self, index: usize) -> Emitter<T> {
        self.at(Some(index))
    }

    fn at(&self, item: Option<usize>) -> Emitter<T> {
        Emitter {
            target: self.target.as_ref().map(|sink| {
                let place = Place {
                    item,
                    ..self.place.clone()
                };
                Box::new((sink.clone(), place))
            }),
        }
    }
}

/// What reports the engine's events of one node run (retries, progress) into its stream, when
/// the run is streamed.
#[doc(hidden)]
pub struct Reporter {
    target: Option<Box<(Arc<dyn EventSink>, Place)>>,
}

impl Reporter {
    /// A reporter that reports nowhere.
    #[inline(always)]
    pub(crate) fn silent() -> Reporter {
        Reporter { target: None }
    }

    pub(crate) fn new(sink: Arc<dyn EventSink>, place: Place) -> Reporter {
        Reporter {
            target: Some(Box::new((sink, place))),
        }
    }

    /// Whether anything is reported.
    #[inline(always)]
    pub(crate) fn is_on(&self) -> bool {
        self.target.is_some()
    }

    /// Reports what `what` builds, for the node's batch item `item` if any; `what` is not
    /// called when the run is not streamed.
    #[inline]
    pub(crate) fn report(&self, item: Option<usize>, what: impl FnOnce() -> EventKind<Silent>) {
        if let Some(target) = &self.target {
            let (sink, place) = &**target;
            match item {
                Some(item) => sink.record(
                    &Place {
                        item: Some(item),
                        ..place.clone()
                    },
                    what(),
                ),
                None => sink.record(place, what()),
            }
        }
    }
}

impl<T> std::fmt::Debug for Emitter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("streamed", &self.is_streamed())
            .finish()
    }
}

/// What a node that emits nothing emits: no value of it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Silent {}

/// A node, flow or batch flow whose every node emits `T` or nothing, so that it can be
/// streamed as `T` ([`Run::stream::<T>`](crate::Run::stream)). The macros and `flow!` implement
/// it; a node written by hand that emits nothing implements it for every `T`:
///
/// ```
/// use pocketflow::prelude::*;
/// use pocketflow::stream::Emits;
///
/// struct ByHand;
/// impl NodeInfo for ByHand {
///     type Action = Action;
///     const NAME: &'static str = "ByHand";
/// }
/// impl<T> Emits<T> for ByHand {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not emit `{T}`",
    label = "the run is streamed as `{T}` here",
    note = "every node of a streamed run emits the `T` of `stream::<T>` (its `exec` takes `&Emitter<T>`) or nothing: stream the run as the type its nodes emit, or change what this node's `exec` takes"
)]
pub trait Emits<T> {}

/// A shared store that node `N` can be streamed on as `T`: what
/// [`Run::stream::<T>`](crate::Run::stream) takes, so that its only type argument is `T`.
/// Every `S` that `N` runs on is one, when `N` emits `T` or nothing.
pub trait StreamOn<'a, N: crate::node::NodeInfo, T>: Sized {
    /// Streams `node` on this store: see [`Run::stream`](crate::Run::stream).
    fn stream_on(
        &'a mut self,
        node: &'a N,
    ) -> super::EventStream<'a, T, crate::error::Result<N::Action>>;
}

impl<'a, N, T, S> StreamOn<'a, N, T> for S
where
    S: Send + 'a,
    N: crate::node::Node<S> + Emits<T> + Sync + 'a,
    T: Send + 'static,
{
    fn stream_on(
        &'a mut self,
        node: &'a N,
    ) -> super::EventStream<'a, T, crate::error::Result<N::Action>> {
        super::stream_run(node, self, &())
    }
}
