//! The shared store's lock: handed out in the order it was asked for (FIFO), and cheap when
//! nobody waits, which is the common case (a phase takes it, the next phase finds it free).
//!
//! One atomic word says whether it is held and whether anyone may be waiting. Taking a free
//! lock and releasing one nobody waits for are each one compare-and-swap. Waiters queue behind a
//! mutex, and a release hands the lock straight to the first of them (it stays held), so a run
//! that releases and asks again at once cannot pass a run that asked before it.
//!
//! tokio's `Mutex` is FIFO too, but its release takes the semaphore's waiter list lock every
//! time; on parallel_flow that was 9% of the instructions.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

const FREE: u8 = 0;
/// Held, and nobody waits.
const HELD: u8 = 1;
/// Held, and someone may wait: a release goes through the queue.
const CONTENDED: u8 = 2;

/// A FIFO lock with no value of its own (the store it guards is a pointer beside it).
pub(crate) struct FifoLock {
    state: AtomicU8,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    /// The waiters by the order they asked (ids only grow), each with the waker of its last
    /// poll: a map, so that the waiters of a wide batch that is dropped leave it in
    /// `log n` each rather than by a scan of the whole queue.
    waiting: BTreeMap<u64, Waker>,
    /// The waiter a release handed the lock to, until its future takes it.
    handed: Option<u64>,
    next_id: u64,
}

/// The lock, held until dropped.
pub(crate) struct FifoGuard<'l> {
    lock: &'l FifoLock,
}

impl FifoLock {
    pub(crate) fn new() -> FifoLock {
        FifoLock {
            state: AtomicU8::new(FREE),
            queue: Mutex::new(Queue::default()),
        }
    }

    /// The lock if it is free; never while anyone waits (a release hands it to them).
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<FifoGuard<'_>> {
        self.state
            .compare_exchange(FREE, HELD, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| FifoGuard { lock: self })
    }

    /// Waits for the lock, after everyone who asked before.
    pub(crate) fn lock(&self) -> Acquire<'_> {
        Acquire {
            lock: self,
            id: None,
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Lets go of the lock: to the first waiter if any, free otherwise.
    #[inline]
    fn release(&self) {
        if self
            .state
            .compare_exchange(HELD, FREE, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            let queue = self.queue();
            self.hand_on(queue);
        }
    }

    /// With the queue locked and the lock held by nobody who still uses it: hands it to the
    /// first waiter, or frees it.
    fn hand_on(&self, mut queue: MutexGuard<'_, Queue>) {
        match queue.waiting.pop_first() {
            Some((id, waker)) => {
                queue.handed = Some(id);
                if queue.waiting.is_empty() {
                    // The waiter gets it with nobody behind; a later asker marks it again.
                    self.state.store(HELD, Ordering::Release);
                }
                drop(queue);
                waker.wake();
            }
            None => self.state.store(FREE, Ordering::Release),
        }
    }
}

impl Drop for FifoGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.lock.release();
    }
}

/// Waiting for a [`FifoLock`]: queued at its first poll; dropped while queued, it leaves the
/// queue, and dropped after the lock was handed to it, it hands the lock on.
pub(crate) struct Acquire<'l> {
    lock: &'l FifoLock,
    /// Its place in the queue, once it has one.
    id: Option<u64>,
}

impl<'l> Future for Acquire<'l> {
    type Output = FifoGuard<'l>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<FifoGuard<'l>> {
        let lock = self.lock;
        let mut queue = lock.queue();
        if let Some(id) = self.id {
            if queue.handed == Some(id) {
                queue.handed = None;
                self.id = None;
                return Poll::Ready(FifoGuard { lock });
            }
            if let Some(waker) = queue.waiting.get_mut(&id) {
                waker.clone_from(cx.waker());
            }
            return Poll::Pending;
        }
        // First poll: take it if free; else say someone waits, then queue. Under the queue's
        // lock, so a release that finds CONTENDED waits for this waiter to be queued.
        let mut state = lock.state.load(Ordering::Relaxed);
        loop {
            let (from, to) = match state {
                FREE => (FREE, HELD),
                HELD => (HELD, CONTENDED),
                _ => break,
            };
            match lock
                .state
                .compare_exchange(from, to, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) if from == FREE => return Poll::Ready(FifoGuard { lock }),
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        let id = queue.next_id;
        queue.next_id += 1;
        queue.waiting.insert(id, cx.waker().clone());
        self.id = Some(id);
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let mut queue = self.lock.queue();
        if queue.handed == Some(id) {
            queue.handed = None;
            self.lock.hand_on(queue);
        } else {
            queue.waiting.remove(&id);
            if queue.waiting.is_empty() && queue.handed.is_none() {
                // Nobody waits any more: the holder's release may take the fast path.
                let _ = self.lock.state.compare_exchange(
                    CONTENDED,
                    HELD,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three runs ask while the lock is held: they get it in the order they asked, even though
    /// the holder asks again at once after each release.
    #[tokio::test]
    async fn the_lock_goes_to_waiters_in_the_order_they_asked() {
        let lock = FifoLock::new();
        let order = Mutex::new(Vec::new());
        let greedy = async {
            for _ in 0..3 {
                let _held = lock.lock().await;
                order.lock().unwrap().push("greedy");
                tokio::task::yield_now().await;
            }
        };
        let patient = |name| {
            let (lock, order) = (&lock, &order);
            async move {
                let _held = lock.lock().await;
                order.lock().unwrap().push(name);
            }
        };
        futures::join!(greedy, patient("a"), patient("b"));
        assert_eq!(
            *order.lock().unwrap(),
            ["greedy", "a", "b", "greedy", "greedy"]
        );
    }

    /// A waiter dropped after the lock was handed to it, before it took it, hands it on; one
    /// dropped while queued leaves the queue; the lock is free at the end.
    #[tokio::test]
    async fn a_dropped_waiter_hands_the_lock_on() {
        let lock = FifoLock::new();
        let held = lock.try_lock().expect("free");
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut first = Box::pin(lock.lock());
        let mut second = Box::pin(lock.lock());
        let mut third = Box::pin(lock.lock());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        assert!(third.as_mut().poll(&mut cx).is_pending());
        assert!(lock.try_lock().is_none(), "held, with waiters");
        drop(second);
        drop(held);
        // Handed to `first`, which is dropped before it takes it: `third` gets it.
        drop(first);
        let Poll::Ready(guard) = third.as_mut().poll(&mut cx) else {
            panic!("the lock was handed on to the third waiter");
        };
        assert!(lock.try_lock().is_none());
        drop(guard);
        assert!(lock.try_lock().is_some(), "free once every waiter is gone");
    }

    /// A waiter that leaves an otherwise empty queue lets the holder's release take the fast
    /// path again, and the lock is then free.
    #[test]
    fn a_queue_emptied_by_a_drop_frees_the_lock_on_release() {
        let lock = FifoLock::new();
        let held = lock.try_lock().expect("free");
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut waiter = Box::pin(lock.lock());
        assert!(waiter.as_mut().poll(&mut cx).is_pending());
        drop(waiter);
        drop(held);
        assert!(lock.try_lock().is_some());
    }

    /// Waiters dropped in any order leave the queue, and the ones left get the lock in the
    /// order they asked.
    #[test]
    fn waiters_dropped_out_of_order_leave_the_rest_in_order() {
        let lock = FifoLock::new();
        let held = lock.try_lock().expect("free");
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut waiters: Vec<_> = (0..1_000).map(|_| Some(Box::pin(lock.lock()))).collect();
        for waiter in waiters.iter_mut().flatten() {
            assert!(waiter.as_mut().poll(&mut cx).is_pending());
        }
        // Drop every third waiter, from the back.
        for index in (0..1_000).rev().filter(|i| i % 3 == 0) {
            waiters[index] = None;
        }
        drop(held);
        for index in (0..1_000).filter(|i| i % 3 != 0) {
            let waiter = waiters[index].as_mut().expect("kept");
            let Poll::Ready(guard) = waiter.as_mut().poll(&mut cx) else {
                panic!("waiter {index} is next in line");
            };
            // Nobody behind it has the lock yet.
            if let Some(later) = waiters[index + 1..].iter_mut().flatten().next() {
                assert!(later.as_mut().poll(&mut cx).is_pending());
            }
            drop(guard);
        }
        assert!(lock.try_lock().is_some());
    }

    /// Tasks on four threads hammering one lock never hold it together.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn threads_never_hold_it_together() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicUsize;
        let lock = Arc::new(FifoLock::new());
        let inside = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (lock, inside) = (lock.clone(), inside.clone());
                tokio::spawn(async move {
                    for _ in 0..2_000 {
                        let _held = lock.lock().await;
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        tokio::task::yield_now().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("no task saw the lock held twice");
        }
        assert!(lock.try_lock().is_some());
    }
}
