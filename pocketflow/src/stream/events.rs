//! The stream a streamed run is: it polls the run, and yields the events the run left in its
//! sink in between.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures::Stream;

use super::Silent;
use super::event::{Event, EventKind, Place};
use super::path::Path;
use crate::action::Action;

/// Where a streamed run leaves its events until the stream yields them.
///
/// Nearly every event is made on the thread that polls the stream, while it polls the run:
/// those go straight into the stream's own queue, which [`POLLING`] lends for the length of the
/// poll, with no lock and no read-modify-write (a plain load of `waiting` only). The others go
/// through `shared`: an emitter lent to a thread of the `exec`'s own, an emitter used while
/// another stream polls its run on this thread (a stream inside a streamed run), and a run
/// driven by [`EventStream::finish`].
pub(crate) struct Sink<T> {
    shared: Mutex<Queue<T>>,
    /// Whether `shared` holds events: read without the lock, so that an event made on the
    /// polling thread looks for earlier ones made elsewhere for the price of a plain load.
    waiting: AtomicBool,
}

struct Queue<T> {
    events: Vec<Event<T>>,
    /// `finish` runs the rest of the run without its events: they are dropped as they come.
    discard: bool,
}

thread_local! {
    /// The sink whose stream is polling its run on this thread, and that stream's queue of
    /// events; null when none is. Set by [`Polling`] only.
    static POLLING: Cell<(*const (), *mut ())> = const { Cell::new((ptr::null(), ptr::null_mut())) };
}

/// The lend of an [`EventStream`]'s queue to its sink while the stream polls its run; the
/// lend of any stream polling around this one comes back when it ends, unwinding included.
struct Polling {
    outer: (*const (), *mut ()),
}

impl Polling {
    fn lend<T>(sink: &Sink<T>, queue: &mut Vec<Event<T>>) -> Polling {
        let lent = (ptr::from_ref(sink).cast(), ptr::from_mut(queue).cast());
        Polling {
            outer: POLLING.replace(lent),
        }
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        POLLING.set(self.outer);
    }
}

impl<T> Sink<T> {
    pub(crate) fn new() -> Sink<T> {
        Sink {
            shared: Mutex::new(Queue {
                events: Vec::new(),
                discard: false,
            }),
            waiting: AtomicBool::new(false),
        }
    }

    fn shared(&self) -> MutexGuard<'_, Queue<T>> {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The event of a value an `exec` emitted at `place`.
    #[inline]
    pub(crate) fn emit(&self, place: Place, value: T) {
        self.push_with(move || Event::new(place, EventKind::Emitted(value)));
    }

    /// Pushes the event `event` makes, once there is room for it, so that it is built where it
    /// stays: building it first and moving it in stalls the processor on reading back what it
    /// just wrote, which cost as much as all the rest of an event.
    ///
    /// `event` must run no code but this module's own moves (no user code, no `to_string`):
    /// it runs while the lent queue is borrowed, and a push into this sink from inside it
    /// would borrow the queue twice. Every caller is in this file.
    #[inline(always)]
    fn push_with(&self, event: impl FnOnce() -> Event<T>) {
        let (sink, queue) = POLLING.get();
        if ptr::eq(sink, ptr::from_ref(self).cast()) {
            // SAFETY: `POLLING` names this sink only while its stream polls the run, on this
            // thread (see `EventStream::poll_next`): the queue is the stream's, which touches
            // it neither during that poll nor while this function runs, and nothing in this
            // function can call back into it (`event` runs none but this module's moves, see
            // above). Only this sink's stream lends it, so it holds events of this `T`.
            let queue = unsafe { &mut *queue.cast::<Vec<Event<T>>>() };
            if self.waiting.load(Ordering::Relaxed) {
                self.take_shared(queue);
            }
            queue.reserve(1);
            let len = queue.len();
            queue.spare_capacity_mut()[0].write(event());
            // SAFETY: the element at `len` was just written.
            unsafe { queue.set_len(len + 1) };
        } else {
            self.push_shared(event());
        }
    }

    #[cold]
    fn push_shared(&self, event: Event<T>) {
        let mut shared = self.shared();
        if !shared.discard {
            shared.events.push(event);
            self.waiting.store(true, Ordering::Relaxed);
        }
    }

    /// Moves the events made elsewhere to the end of `into`.
    #[cold]
    fn take_shared(&self, into: &mut Vec<Event<T>>) {
        let mut shared = self.shared();
        into.append(&mut shared.events);
        self.waiting.store(false, Ordering::Relaxed);
    }

    fn discard(&self) {
        let mut shared = self.shared();
        shared.discard = true;
        shared.events = Vec::new();
        self.waiting.store(false, Ordering::Relaxed);
    }
}

/// A sink whatever the type it holds: what the engine reports into (every event but `Emitted`),
/// and, as `Any`, what an [`Emitter`](super::Emitter) of the sink's type is made from.
pub(crate) trait EventSink: Any + Send + Sync {
    fn record(&self, place: Place, what: EventKind<Silent>);

    /// `record` of a node's start: the event of every step, made here from plain values
    /// rather than moved in, which measured a third cheaper.
    fn started(&self, path: Option<Path>, item: Option<usize>, step: Option<u64>);

    /// `record` of a node's end (see `started`).
    fn finished(&self, path: Option<Path>, item: Option<usize>, step: Option<u64>, action: Action);
}

impl<T: Send + 'static> EventSink for Sink<T> {
    fn record(&self, place: Place, what: EventKind<Silent>) {
        self.push_with(move || Event::new(place, what.retype()));
    }

    fn started(&self, path: Option<Path>, item: Option<usize>, step: Option<u64>) {
        let place = Place { path, item, step };
        self.push_with(move || Event::new(place, EventKind::Started));
    }

    fn finished(&self, path: Option<Path>, item: Option<usize>, step: Option<u64>, action: Action) {
        let place = Place { path, item, step };
        self.push_with(move || Event::new(place, EventKind::Finished { action }));
    }
}

/// A run as a stream of its [`Event`]s, from [`Run::stream`](crate::Run::stream): polling it
/// runs the run, and it ends when the run does, once every event the run produced has been
/// yielded. [`finish`](Self::finish) gives the run's result.
///
/// Dropping it cancels the run where it is, as dropping any future does.
pub struct EventStream<'a, T, R> {
    sink: Arc<Sink<T>>,
    /// Events not yet yielded, in order: `yielding`, then `filling`, which the run fills while
    /// this stream polls it (see `Sink::push_with`). Once `yielding` is empty, `filling`
    /// becomes it and a new vector of the same capacity is filled: an allocation per poll of
    /// the run, which measured cheaper than reusing `yielding`'s buffer through a ring buffer.
    yielding: std::vec::IntoIter<Event<T>>,
    filling: Vec<Event<T>>,
    run: Running<'a, R>,
}

enum Running<'a, R> {
    Running(Pin<Box<dyn Future<Output = R> + Send + 'a>>),
    Finished(R),
}

impl<'a, T, R> EventStream<'a, T, R> {
    pub(crate) fn new(
        sink: Arc<Sink<T>>,
        run: impl Future<Output = R> + Send + 'a,
    ) -> EventStream<'a, T, R> {
        EventStream {
            sink,
            yielding: Vec::new().into_iter(),
            filling: Vec::new(),
            run: Running::Running(Box::pin(run)),
        }
    }

    /// The run's result. After the stream ended, at once; before, it runs the rest of the run
    /// first, dropping its events.
    ///
    /// ```
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
    /// // Not polled at all: `finish` runs it whole.
    /// Hello.stream::<()>(&mut said).finish().await.unwrap();
    /// assert_eq!(said, "hello");
    /// # });
    /// ```
    pub async fn finish(self) -> R {
        drop((self.yielding, self.filling));
        match self.run {
            Running::Finished(result) => result,
            Running::Running(run) => {
                self.sink.discard();
                run.await
            }
        }
    }
}

// The run is boxed and the result is never pinned: nothing here needs to stay in place.
impl<T, R> Unpin for EventStream<'_, T, R> {}

impl<T, R> Stream for EventStream<'_, T, R> {
    type Item = Event<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event<T>>> {
        let this = self.get_mut();
        if let Some(event) = this.next_taken() {
            return Poll::Ready(Some(event));
        }
        let Running::Running(run) = &mut this.run else {
            return Poll::Ready(None);
        };
        let polled = {
            let _lent = Polling::lend(&this.sink, &mut this.filling);
            run.as_mut().poll(cx)
        };
        match polled {
            Poll::Ready(result) => {
                this.run = Running::Finished(result);
                Poll::Ready(this.next_taken())
            }
            Poll::Pending => match this.next_taken() {
                Some(event) => Poll::Ready(Some(event)),
                None => Poll::Pending,
            },
        }
    }
}

impl<T, R> EventStream<'_, T, R> {
    /// The next event.
    #[inline]
    fn next_taken(&mut self) -> Option<Event<T>> {
        match self.yielding.next() {
            Some(event) => Some(event),
            None => self.refill(),
        }
    }

    /// The first of the events filled since the last refill, with the sink's shared queue
    /// taken at their end.
    fn refill(&mut self) -> Option<Event<T>> {
        if self.sink.waiting.load(Ordering::Relaxed) {
            self.sink.take_shared(&mut self.filling);
        }
        if self.filling.is_empty() {
            return None;
        }
        let next = Vec::with_capacity(self.filling.len());
        self.yielding = std::mem::replace(&mut self.filling, next).into_iter();
        self.yielding.next()
    }
}

impl<T, R> std::fmt::Debug for EventStream<'_, T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("running", &matches!(self.run, Running::Running(_)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::panic::AssertUnwindSafe;

    use futures::{FutureExt, StreamExt};

    use super::*;

    #[test]
    fn a_run_that_panics_takes_its_stream_s_lend_back() {
        let sink = Arc::new(Sink::<u32>::new());
        let run = {
            let sink = sink.clone();
            async move {
                sink.push_with(|| Event::new(Place::default(), EventKind::Emitted(1)));
                panic!("the run panics");
            }
        };
        let mut events = EventStream::<u32, ()>::new(sink, run);
        let polled = AssertUnwindSafe(events.next()).catch_unwind();
        assert!(futures::executor::block_on(polled).is_err());
        // Left set, it would point into a stream that is about to go.
        assert_eq!(POLLING.get(), (ptr::null(), ptr::null_mut()));
        drop(events);
    }

    #[test]
    fn an_event_from_another_thread_comes_after_those_made_before_it() {
        let sink = Arc::new(Sink::<u32>::new());
        let run = {
            let sink = sink.clone();
            async move {
                sink.push_with(|| Event::new(Place::default(), EventKind::Emitted(1)));
                let sink = sink.clone();
                // Not this stream's poll: the shared queue.
                std::thread::spawn(move || {
                    sink.push_with(|| Event::new(Place::default(), EventKind::Emitted(2)));
                })
                .join()
                .unwrap();
            }
        };
        let events = EventStream::<u32, ()>::new(sink, run);
        let values: Vec<_> = futures::executor::block_on(events.collect::<Vec<_>>())
            .into_iter()
            .map(|event| match event.into_kind() {
                EventKind::Emitted(value) => value,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(values, [1, 2]);
    }
}
