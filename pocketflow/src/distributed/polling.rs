//! When an idle worker asks its queue for jobs again: every `poll_interval`, whatever apalis
//! does with the tick, and on Postgres also the moment a job is pushed.
//!
//! apalis 1.0's own `IntervalStrategy` replaces its timer when it fires without polling the new
//! one, and its Postgres and Redis backends, given a tick while a fetch is already in flight,
//! park on that fetch's empty answer without polling the strategy again: no timer is armed,
//! and the worker sleeps until its next heartbeat (seconds) with jobs waiting. Under load a
//! fetch often takes longer than a short interval, so this happened in about one benchmark run
//! in ten. This strategy arms its next tick the moment one fires.

use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{PollSnapshot, PollStrategy};
use futures::future::{self, Either};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;
use tokio::time::{Interval, MissedTickBehavior};

/// A tick every `every`, the waker of the last poll always registered for the next one, and
/// one more whenever a push is announced.
pub(crate) struct EveryInterval {
    every: Duration,
    // Made on the first poll: a tokio timer needs the worker's runtime, not the builder's.
    ticks: Option<Interval>,
    pushes: Option<mpsc::Receiver<()>>,
}

impl EveryInterval {
    pub(crate) fn new(every: Duration) -> EveryInterval {
        EveryInterval {
            every,
            ticks: None,
            pushes: None,
        }
    }

    /// Also ticks when the queue `job_type` of the Postgres behind `pool` gets a job, told by
    /// the `apalis::job::insert` notification that apalis's insert trigger sends. Without it
    /// (the listener cannot connect, or loses its server) the interval still ticks.
    pub(crate) fn woken_by_pushes(mut self, pool: &PgPool, job_type: String) -> EveryInterval {
        // One announcement pending is enough: the fetch it causes takes every job there is.
        let (announce, pushes) = mpsc::channel(1);
        tokio::spawn(announce_pushes(pool.clone(), job_type, announce));
        self.pushes = Some(pushes);
        self
    }

    /// Whether a push was announced since the last poll; the waker stays registered for the
    /// next announcement.
    fn pushed(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(pushes) = &mut self.pushes else {
            return false;
        };
        let mut pushed = false;
        loop {
            match pushes.poll_recv(cx) {
                Poll::Ready(Some(())) => pushed = true,
                Poll::Ready(None) => {
                    self.pushes = None;
                    return pushed;
                }
                Poll::Pending => return pushed,
            }
        }
    }
}

/// Forwards the notifications of new `job_type` jobs to `announce` until its receiver is gone.
async fn announce_pushes(pool: PgPool, job_type: String, announce: mpsc::Sender<()>) {
    let listener = async {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen("apalis::job::insert").await?;
        Ok::<_, sqlx::Error>(listener)
    };
    let mut listener = match listener.await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(
                queue = job_type,
                "workers poll without being told of new jobs: cannot listen on Postgres: {error}"
            );
            return;
        }
    };
    loop {
        let closed = std::pin::pin!(announce.closed());
        let notification = match future::select(closed, std::pin::pin!(listener.recv())).await {
            Either::Left(_) => return,
            Either::Right((notification, _)) => notification,
        };
        // `recv` connects again after a lost connection; an error here is one it could not mend.
        let notification = match notification {
            Ok(notification) => notification,
            Err(error) => {
                tracing::warn!(
                    queue = job_type,
                    "workers poll without being told of new jobs: lost Postgres: {error}"
                );
                return;
            }
        };
        let payload: serde_json::Value =
            serde_json::from_str(notification.payload()).unwrap_or_default();
        if payload["job_type"] == job_type.as_str() {
            let _ = announce.try_send(());
        }
    }
}

impl PollStrategy for EveryInterval {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let pushed = self.pushed(cx);
        let every = self.every;
        let ticks = self.ticks.get_or_insert_with(|| {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            // After a late tick the next one is a whole interval away, so the poll below is
            // pending and arms the timer instead of taking a second tick at once.
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            ticks
        });
        if ticks.poll_tick(cx).is_ready() {
            let _ = ticks.poll_tick(cx);
        } else if !pushed {
            return Poll::Pending;
        }
        Poll::Ready(Some(()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use super::*;

    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The worker polls the strategy once, gets its tick and then parks on something else: the
    /// next tick must still wake it. apalis's `IntervalStrategy` fails this (no wake after the
    /// first tick).
    #[tokio::test(start_paused = true)]
    async fn a_tick_taken_arms_the_next_one() {
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let snapshot = PollSnapshot::default();
        let mut strategy = EveryInterval::new(Duration::from_millis(5));

        assert!(strategy.poll_drive(&mut cx, &snapshot).is_pending());
        tokio::time::sleep(Duration::from_millis(6)).await;
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            strategy.poll_drive(&mut cx, &snapshot),
            Poll::Ready(Some(()))
        );

        // Not polled again, as when the backend parks on an empty fetch.
        tokio::time::sleep(Duration::from_millis(6)).await;
        assert_eq!(wakes.0.load(Ordering::SeqCst), 2);
    }

    /// A tick long overdue (the worker was busy) is one tick, not a burst of them.
    #[tokio::test(start_paused = true)]
    async fn a_late_tick_is_one_tick() {
        let waker = Waker::from(Arc::new(CountWakes(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        let snapshot = PollSnapshot::default();
        let mut strategy = EveryInterval::new(Duration::from_millis(5));
        assert!(strategy.poll_drive(&mut cx, &snapshot).is_pending());
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(strategy.poll_drive(&mut cx, &snapshot).is_ready());
        assert!(strategy.poll_drive(&mut cx, &snapshot).is_pending());
    }
}
