//! The handle through which a run reaches the shared store (SPEC section 7).
//!
//! A run starts with the caller's `&mut S`: that is the exclusive case, and every access is a
//! plain reborrow with no lock. Parallel batch flows turn the store into a [`SharedStore`] for
//! the duration of their sub-flow runs; each `prep` and `post` then holds the store's lock for
//! its own duration, so two of them never overlap and no update is lost.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

use self::fifo::{FifoGuard, FifoLock};

mod fifo;

/// Access to the shared store for one node run: exclusive (a plain `&mut S`) or shared with
/// the sibling runs of a parallel batch flow (a lock over that `&mut S`).
///
/// Nodes built with the macros never see this type; it appears only in [`Node::run_node`]
/// for those who implement [`Node`] by hand, who reach the store through
/// [`access`](Store::access).
///
/// ```
/// use pocketflow::prelude::*;
/// use pocketflow::Store;
///
/// /// A node written by hand: counts its runs.
/// struct Count;
/// impl NodeInfo for Count {
///     type Action = Action;
///     const NAME: &'static str = "Count";
/// }
/// impl<P: Sync> Node<u32, P> for Count {
///     async fn run_node(&self, mut store: Store<'_, u32>, _: &P) -> pocketflow::Result<Action> {
///         *store.access().await += 1;
///         Ok(Action::DEFAULT)
///     }
/// }
///
/// let mut runs = 0;
/// Count.run_blocking(&mut runs).unwrap();
/// assert_eq!(runs, 1);
/// ```
///
/// [`Node`]: crate::Node
/// [`Node::run_node`]: crate::Node::run_node
pub struct Store<'a, S> {
    access: Access<'a, S>,
}

enum Access<'a, S> {
    Exclusive(&'a mut S),
    Shared(&'a SharedStore<'a, S>),
}

impl<'a, S> Store<'a, S> {
    /// The store of a top-level or sequential run: no lock is ever taken.
    pub(crate) fn exclusive(shared: &'a mut S) -> Store<'a, S> {
        Store {
            access: Access::Exclusive(shared),
        }
    }

    /// The store of one of several concurrent runs: every access takes `shared`'s lock.
    pub(crate) fn shared(shared: &'a SharedStore<'a, S>) -> Store<'a, S> {
        Store {
            access: Access::Shared(shared),
        }
    }

    /// A shorter-lived handle to the same store, for running one step of a flow.
    pub fn reborrow(&mut self) -> Store<'_, S> {
        match &mut self.access {
            Access::Exclusive(shared) => Store::exclusive(shared),
            Access::Shared(shared) => Store::shared(shared),
        }
    }

    /// The store as concurrent runs share it: a new lock over the caller's `&mut S`, or, when
    /// this run is itself one of several sharing a store, that same lock.
    pub(crate) fn share(&mut self) -> Sharing<'_, S> {
        match &mut self.access {
            Access::Exclusive(shared) => Sharing::Owned(SharedStore::new(shared)),
            Access::Shared(shared) => Sharing::Borrowed(shared),
        }
    }

    /// Whether accesses take a lock (the store is shared by concurrent runs).
    pub fn is_shared(&self) -> bool {
        matches!(self.access, Access::Shared(_))
    }

    /// The store itself when the run is exclusive: no lock, no `.await`.
    pub(crate) fn direct(&mut self) -> Option<&mut S> {
        match &mut self.access {
            Access::Exclusive(shared) => Some(shared),
            Access::Shared(_) => None,
        }
    }

    /// Exclusive access to the store until the returned guard is dropped: immediate in the
    /// exclusive case, after waiting for the lock in the shared case.
    pub async fn access(&mut self) -> StoreGuard<'_, S> {
        match &mut self.access {
            Access::Exclusive(shared) => StoreGuard {
                access: GuardAccess::Direct(shared),
            },
            Access::Shared(shared) => shared.lock().await,
        }
    }
}

/// A store shared by the concurrent runs of a parallel batch: its own lock, or an enclosing
/// batch's.
pub(crate) enum Sharing<'a, S> {
    Owned(SharedStore<'a, S>),
    Borrowed(&'a SharedStore<'a, S>),
}

impl<S> Sharing<'_, S> {
    /// Whether no run is inside a `prep` or `post` of the shared store now.
    pub(crate) fn is_settled(&self) -> bool {
        match self {
            Sharing::Owned(shared) => shared.is_settled(),
            Sharing::Borrowed(shared) => shared.is_settled(),
        }
    }

    /// A handle for one of the concurrent runs.
    pub(crate) fn store(&self) -> Store<'_, S> {
        match self {
            Sharing::Owned(shared) => Store::shared(shared),
            Sharing::Borrowed(shared) => Store::shared(shared),
        }
    }
}

/// Exclusive access to the store, from [`Store::access`]; it derefs to the store, and may be
/// held across `.await`s.
///
/// ```
/// use pocketflow::prelude::*;
/// use pocketflow::Store;
///
/// struct Append;
/// impl NodeInfo for Append {
///     type Action = Action;
///     const NAME: &'static str = "Append";
/// }
/// impl<P: Sync> Node<Vec<&'static str>, P> for Append {
///     async fn run_node(&self, mut store: Store<'_, Vec<&'static str>>, _: &P) -> pocketflow::Result<Action> {
///         let mut names = store.access().await;
///         names.push("grace");
///         Ok(Action::new(if names.len() == 2 { "two" } else { "more" }))
///     }
/// }
///
/// let mut names = vec!["ada"];
/// assert_eq!(Append.run_blocking(&mut names).unwrap(), "two");
/// ```
pub struct StoreGuard<'g, S> {
    access: GuardAccess<'g, S>,
}

enum GuardAccess<'g, S> {
    Direct(&'g mut S),
    Locked {
        store: NonNull<S>,
        _lock: FifoGuard<'g>,
        _phase: InPhase<'g>,
        _borrow: PhantomData<&'g mut S>,
    },
}

// SAFETY: a guard is a `&mut S` in effect (the lock makes it unique), so it may cross threads
// when `&mut S` may: when `S: Send`; and may be shared when `&mut S` may: when `S: Sync`.
unsafe impl<S: Send> Send for StoreGuard<'_, S> {}
// SAFETY: see above.
unsafe impl<S: Sync> Sync for StoreGuard<'_, S> {}

impl<S> Deref for StoreGuard<'_, S> {
    type Target = S;
    fn deref(&self) -> &S {
        match &self.access {
            GuardAccess::Direct(shared) => shared,
            // SAFETY: the pointer came from a `&mut S` that the `SharedStore` holds for its whole
            // life, and this guard holds the store's lock, so no other reference to `S` is live.
            GuardAccess::Locked { store, .. } => unsafe { store.as_ref() },
        }
    }
}

impl<S> DerefMut for StoreGuard<'_, S> {
    fn deref_mut(&mut self) -> &mut S {
        match &mut self.access {
            GuardAccess::Direct(shared) => shared,
            // SAFETY: as in `deref`; `&mut self` makes this the only use of the guard.
            GuardAccess::Locked { store, .. } => unsafe { store.as_mut() },
        }
    }
}

/// Counts a phase holding the store for as long as it lives.
struct InPhase<'g>(&'g AtomicUsize);

impl Drop for InPhase<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A shared store behind an async lock, for runs that proceed concurrently on one task
/// (the sub-flow runs of a parallel batch flow).
///
/// It holds the caller's `&mut S` for its whole life; [`lock`](SharedStore::lock) hands out
/// one exclusive guard at a time, and a guard may be held across `.await`s.
pub(crate) struct SharedStore<'a, S> {
    // Handed out in the order it was asked for (FIFO): with `futures::lock::Mutex` a run could
    // be passed over again and again by siblings under slow async posts.
    lock: FifoLock,
    // The phases holding the store now: 0 or 1. Not the lock's state: a released lock goes
    // straight to the next waiter, which may never be polled again.
    in_phase: AtomicUsize,
    // A pointer rather than `Mutex<&'a mut S>`: `&'a SharedStore<'a, S>` must shorten to
    // `&'b SharedStore<'b, S>` when a nested flow reborrows it, and a `Mutex<&'a mut S>` is
    // invariant in `'a`.
    store: NonNull<S>,
    _borrow: PhantomData<&'a mut S>,
}

// SAFETY: the store is only reached through a guard, one at a time, as with `Mutex<S>`, which
// is `Send` and `Sync` when `S: Send`.
unsafe impl<S: Send> Send for SharedStore<'_, S> {}
// SAFETY: see above.
unsafe impl<S: Send> Sync for SharedStore<'_, S> {}

impl<'a, S> SharedStore<'a, S> {
    /// Puts `shared` behind a lock for as long as the returned value lives.
    pub(crate) fn new(shared: &'a mut S) -> SharedStore<'a, S> {
        SharedStore {
            lock: FifoLock::new(),
            in_phase: AtomicUsize::new(0),
            store: NonNull::from(shared),
            _borrow: PhantomData,
        }
    }

    /// Whether no run is inside a `prep` or `post` now: the runs sharing the store can be
    /// dropped without leaving a phase half done.
    pub(crate) fn is_settled(&self) -> bool {
        self.in_phase.load(Ordering::Relaxed) == 0
    }

    /// Waits for exclusive access to the store, after every run that asked before.
    pub(crate) async fn lock(&self) -> StoreGuard<'_, S> {
        // A free lock is taken at once, with no future: `try_lock` fails while any run waits
        // (a released lock goes straight to the first waiter), so this keeps the order runs
        // asked in. Waiting spends no cooperative budget (the lock is not tokio's): the budget
        // is for the user's work, and two units per phase made parallel_flow 40% slower.
        let lock = match self.lock.try_lock() {
            Some(lock) => lock,
            None => self.lock.lock().await,
        };
        self.in_phase.fetch_add(1, Ordering::Relaxed);
        StoreGuard {
            access: GuardAccess::Locked {
                store: self.store,
                _lock: lock,
                _phase: InPhase(&self.in_phase),
                _borrow: PhantomData,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_guard_held_across_awaits_excludes_the_other_runs() {
        let mut counter = 0u32;
        let shared = SharedStore::new(&mut counter);
        async fn run(store: &SharedStore<'_, u32>) {
            let mut guard = store.lock().await;
            let seen = *guard;
            tokio::time::sleep(Duration::from_millis(1)).await;
            tokio::task::yield_now().await;
            *guard = seen + 1;
        }
        futures::future::join_all((0..100).map(|_| run(&shared))).await;
        assert_eq!(counter, 100);
    }

    /// A run that releases the store and asks again at once does not pass a run that asked
    /// before it (with `futures::lock::Mutex` it did: the waiter is only woken, and loses the
    /// race to the barging run every time).
    #[tokio::test]
    async fn the_store_goes_to_runs_in_the_order_they_asked() {
        let mut order = Vec::new();
        let shared = SharedStore::new(&mut order);
        let greedy = async {
            for _ in 0..3 {
                let mut guard = shared.lock().await;
                guard.push("greedy");
                tokio::task::yield_now().await;
            }
        };
        // Polled after `greedy` took the store: it asks while `greedy` holds it.
        let patient = async {
            shared.lock().await.push("patient");
        };
        futures::join!(greedy, patient);
        assert_eq!(order, ["greedy", "patient", "greedy", "greedy"]);
    }

    #[tokio::test]
    async fn a_store_is_settled_when_no_phase_holds_it() {
        let mut value = 0;
        let shared = SharedStore::new(&mut value);
        assert!(shared.is_settled());
        let guard = shared.lock().await;
        assert!(!shared.is_settled());
        drop(guard);
        assert!(shared.is_settled());
    }

    #[tokio::test]
    async fn concurrent_guards_take_turns() {
        let mut total = 0;
        let shared = SharedStore::new(&mut total);
        futures::join!(async { *shared.lock().await += 1 }, async {
            *shared.lock().await += 2
        },);
        assert_eq!(total, 3);
    }

    #[tokio::test]
    async fn an_exclusive_store_is_not_shared() {
        let mut count = 1;
        let mut store = Store::exclusive(&mut count);
        assert!(!store.is_shared());
        *store.access().await += 1;
        assert_eq!(count, 2);
    }

    #[tokio::test]
    async fn a_reborrowed_shared_store_still_locks() {
        let mut value = vec![1];
        let shared = SharedStore::new(&mut value);
        let mut store = Store::shared(&shared);
        assert!(store.is_shared());
        {
            let mut inner = store.reborrow();
            inner.access().await.push(2);
        }
        store.access().await.push(3);
        assert_eq!(value, [1, 2, 3]);
    }
}
