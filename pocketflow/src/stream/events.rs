//! The stream a streamed run is: it polls the run, and yields the events the run left in its
//! sink in between.

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures::Stream;

use super::Silent;
use super::event::{Event, EventKind, Place};

/// Where a streamed run leaves its events until the stream yields them.
pub(crate) struct Sink<T> {
    queue: Mutex<Queue<T>>,
}

struct Queue<T> {
    events: VecDeque<Event<T>>,
    /// `finish` runs the rest of the run without its events: they are dropped as they come.
    discard: bool,
}

impl<T> Sink<T> {
    pub(crate) fn new() -> Sink<T> {
        Sink {
            queue: Mutex::new(Queue {
                events: VecDeque::new(),
                discard: false,
            }),
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue<T>> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    #[inline]
    pub(crate) fn push(&self, event: Event<T>) {
        let mut queue = self.queue();
        if !queue.discard {
            queue.events.push_back(event);
        }
    }

    /// Moves every event waiting into `into` (empty), under one lock.
    fn take_into(&self, into: &mut VecDeque<Event<T>>) {
        let mut queue = self.queue();
        std::mem::swap(&mut queue.events, into);
    }

    fn discard(&self) {
        let mut queue = self.queue();
        queue.discard = true;
        queue.events = VecDeque::new();
    }
}

/// A sink whatever the type it holds: what the engine reports into (every event but `Emitted`),
/// and, as `Any`, what an [`Emitter`](super::Emitter) of the sink's type is made from.
pub(crate) trait EventSink: Any + Send + Sync {
    fn record(&self, place: &Place, what: EventKind<Silent>);
}

impl<T: Send + 'static> EventSink for Sink<T> {
    fn record(&self, place: &Place, what: EventKind<Silent>) {
        self.push(Event::new(place, what.retype()));
    }
}

/// A run as a stream of its [`Event`]s, from [`Run::stream`](crate::Run::stream): polling it
/// runs the run, and it ends when the run does, once every event the run produced has been
/// yielded. [`finish`](Self::finish) gives the run's result.
///
/// Dropping it cancels the run where it is, as dropping any future does.
pub struct EventStream<'a, T, R> {
    sink: Arc<Sink<T>>,
    /// Events taken from the sink and not yet yielded: taken all at once, so that the sink's
    /// lock is taken once per batch of events rather than once per event.
    taken: VecDeque<Event<T>>,
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
            taken: VecDeque::new(),
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
        drop(self.taken);
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
        match run.as_mut().poll(cx) {
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
    /// The next event taken from the sink, taking what it holds when none is left.
    fn next_taken(&mut self) -> Option<Event<T>> {
        if self.taken.is_empty() {
            self.sink.take_into(&mut self.taken);
        }
        self.taken.pop_front()
    }
}

impl<T, R> std::fmt::Debug for EventStream<'_, T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("running", &matches!(self.run, Running::Running(_)))
            .finish()
    }
}
