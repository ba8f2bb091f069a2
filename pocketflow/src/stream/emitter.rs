//! How `exec` hands values to whoever streams the run, and the compile-time check that a run's
//! nodes all emit the type it is streamed as.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;

use super::event::{EventKind, Place};
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
#[repr(C)] // the same layout for every `T`: see `silent_ref`
pub struct Emitter<T> {
    /// Where its values go: the node run's target, owned by the driver's [`Emitters`], which
    /// outlives every `&Emitter` it lends (an `exec` gets one only for the call). `None` when
    /// the run is not streamed.
    target: Option<NonNull<Target<T>>>,
    /// The batch item it emits for, if any.
    item: Option<usize>,
}

// SAFETY: an emitter only reads its target, a place that does not change and a sink that any
// thread may push into (its lock-free path serves only the thread its stream is polling on),
// so it may go to and be shared by other threads when the values it sends may.
unsafe impl<T: Send> Send for Emitter<T> {}
// SAFETY: see above.
unsafe impl<T: Send> Sync for Emitter<T> {}

/// Where a node run's values go: its stream's sink, and the node's place.
struct Target<T> {
    sink: Arc<Sink<T>>,
    place: Place,
}

/// The emitter of every run that is not streamed, whatever it emits (see `silent_ref`).
static SILENT: Emitter<Silent> = Emitter::silent();

impl<T> Emitter<T> {
    /// An emitter whose values go nowhere: a run that is not streamed, or an item run on a
    /// worker.
    #[doc(hidden)]
    #[inline(always)]
    pub const fn silent() -> Emitter<T> {
        Emitter {
            target: None,
            item: None,
        }
    }

    /// The silent emitter, lent for as long as anyone likes: what a plain run hands `exec`,
    /// with nothing to build, keep or drop.
    #[inline(always)]
    pub(crate) fn silent_ref() -> &'static Emitter<T>
    where
        T: 'static,
    {
        // SAFETY: `Emitter` is `repr(C)` over an `Option<NonNull<_>>` and an `Option<usize>`,
        // the same layout whatever `T`; the silent one has no target, so no `T` is ever read
        // through it.
        unsafe { &*std::ptr::from_ref(&SILENT).cast::<Emitter<T>>() }
    }

    /// Hands `value` to whoever streams the run. Never blocks and never fails: the stream keeps
    /// what is emitted until it is read.
    #[inline]
    pub fn emit(&self, value: T) {
        if let Some(target) = self.target {
            // SAFETY: the target outlives this emitter (see the field).
            let Target { sink, place } = unsafe { target.as_ref() };
            let place = Place {
                item: self.item.or(place.item),
                ..*place
            };
            sink.emit(place, value);
        }
    }

    /// Whether anyone streams the run: when not, an `exec` may skip the work of building
    /// what it would emit.
    #[inline]
    pub fn is_streamed(&self) -> bool {
        self.target.is_some()
    }
}

/// The emitters of one node run of a streamed run: the node's, and one per batch item. A
/// driver keeps it until no `exec` holds any of them.
#[doc(hidden)]
pub struct Emitters<T> {
    /// Dropped by hand (see `Drop`), so that a plain run's costs no drop call.
    inner: ManuallyDrop<Option<Box<Lent<T>>>>,
}

/// What [`Emitters`] lends out, at a stable address.
struct Lent<T> {
    target: Target<T>,
    node: Emitter<T>,
    items: Vec<Emitter<T>>,
}

impl<T: 'static> Emitters<T> {
    /// Emitters whose values go nowhere.
    #[inline(always)]
    pub(crate) fn silent() -> Emitters<T> {
        Emitters {
            inner: ManuallyDrop::new(None),
        }
    }

    pub(crate) fn new(sink: Arc<Sink<T>>, place: Place) -> Emitters<T> {
        let mut lent = Box::new(Lent {
            target: Target { sink, place },
            node: Emitter::silent(),
            items: Vec::new(),
        });
        lent.node.target = Some(NonNull::from(&lent.target));
        Emitters {
            inner: ManuallyDrop::new(Some(lent)),
        }
    }

    /// Makes the emitters of `count` batch items.
    pub(crate) fn for_items(&mut self, count: usize) {
        if let Some(lent) = &mut *self.inner {
            let target = Some(NonNull::from(&lent.target));
            lent.items = (0..count)
                .map(|index| Emitter {
                    target,
                    item: Some(index),
                })
                .collect();
        }
    }

    /// The node's emitter.
    #[inline]
    pub(crate) fn node(&self) -> &Emitter<T> {
        match &*self.inner {
            Some(lent) => &lent.node,
            None => Emitter::silent_ref(),
        }
    }

    /// The emitter of the node's batch item `index` (made by `for_items`).
    #[inline]
    pub(crate) fn item(&self, index: usize) -> &Emitter<T> {
        match &*self.inner {
            Some(lent) => lent.items.get(index).unwrap_or(&lent.node),
            None => Emitter::silent_ref(),
        }
    }
}

impl<T> Drop for Emitters<T> {
    /// A plain run's emitters are silent: one test, inlined, where the compiler's own drop of
    /// the box would be a call per node run.
    #[inline(always)]
    fn drop(&mut self) {
        if self.inner.is_some() {
            // SAFETY: `inner` is not used after this.
            drop_later(unsafe { ManuallyDrop::take(&mut self.inner) });
        }
    }
}

/// Drops what a streamed run's emitters or reporter held, out of the plain path.
#[cold]
#[inline(never)]
fn drop_later<V>(value: V) {
    drop(value);
}

/// What reports the engine's events of one node run (retries, progress) into its stream, when
/// the run is streamed.
#[doc(hidden)]
pub struct Reporter {
    /// Dropped by hand, as [`Emitters`]'s.
    target: ManuallyDrop<Option<Box<Reported>>>,
}

/// Where a [`Reporter`] reports: the stream's sink, and the node's place.
struct Reported {
    sink: Arc<dyn EventSink>,
    place: Place,
}

impl Drop for Reporter {
    #[inline(always)]
    fn drop(&mut self) {
        if self.target.is_some() {
            // SAFETY: `target` is not used after this.
            drop_later(unsafe { ManuallyDrop::take(&mut self.target) });
        }
    }
}

impl Reporter {
    /// A reporter that reports nowhere.
    #[inline(always)]
    pub(crate) fn silent() -> Reporter {
        Reporter {
            target: ManuallyDrop::new(None),
        }
    }

    pub(crate) fn new(sink: Arc<dyn EventSink>, place: Place) -> Reporter {
        Reporter {
            target: ManuallyDrop::new(Some(Box::new(Reported { sink, place }))),
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
        if let Some(target) = &*self.target {
            let Reported { sink, place } = &**target;
            let place = Place {
                item: item.or(place.item),
                ..*place
            };
            sink.record(place, what());
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
    note = "every node of a streamed run emits the `T` of `stream::<T>` (its `exec` takes `&Emitter<T>`) or nothing: stream the run as the type its nodes emit, or change what this node's `exec` takes",
    note = "when the run is a flow returned as `impl Node<S, P>`, that type hides what it emits: return `impl Node<S, P> + Emits<{T}>` to stream it"
)]
pub trait Emits<T> {}

/// What a node made by the macros emits, when it emits: `flow!` checks that the emitting
/// nodes of a flow agree on it (one that emits nothing agrees with all).
#[doc(hidden)]
pub trait EmittedBy {
    /// The `T` of its `exec`'s `&Emitter<T>`.
    type Emitted;
}

/// A node that emits what another node of its flow emits, or nothing.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` emits another type than `{T}`, which another node of this flow emits",
    label = "this node emits another type than `{T}`",
    note = "every node of a flow emits the same type through its `exec`'s `&Emitter<T>`, or nothing, so that the flow streams as that type"
)]
pub trait SameEmits<T> {}

#[diagnostic::do_not_recommend]
impl<T, N: Emits<T>> SameEmits<T> for N {}

/// `flow!`'s check that two of its nodes emit the same type (see [`SameEmits`]): made only
/// when both are macro-made nodes that emit; a flow, or a node written by hand, is checked when
/// the run is streamed.
#[doc(hidden)]
pub mod emits_checks {
    use std::marker::PhantomData;

    use super::{EmittedBy, SameEmits};

    /// Two nodes of a flow, as a value to check.
    pub struct Pair<A, B>(PhantomData<fn() -> (A, B)>);

    /// The nodes `a` and `b`.
    #[inline(always)]
    pub fn pair<A, B>(_a: &A, _b: &B) -> Pair<A, B> {
        Pair(PhantomData)
    }

    impl<A: EmittedBy, B: EmittedBy> Pair<A, B> {
        /// `b` emits what `a` emits, or nothing.
        #[inline(always)]
        pub fn same_emits(self)
        where
            B: SameEmits<A::Emitted>,
        {
        }
    }

    /// The check when a node was not made by the macros: nothing to compare.
    pub trait Unknown {
        /// Nothing.
        fn same_emits(self);
    }

    impl<A, B> Unknown for Pair<A, B> {
        #[inline(always)]
        fn same_emits(self) {}
    }
}
