//! Observing a batch while it runs: items done of total, read from any task or thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The progress of a node: how many of its items (or, for a batch flow, its runs) are done, of
/// how many it has seen so far. Attach one with [`Configure::with_progress`] or
/// [`BatchFlow::with_progress`], keep a clone, and read it from anywhere: a progress bar, a log
/// line, a test. A node that runs several times adds each run's items to the same counts. Only
/// batch nodes and batch flows have items: progress on a plain `#[node]` is a compile error.
///
/// ```
/// use pocketflow::prelude::*;
/// use pocketflow::Progress;
///
/// struct Double;
/// #[batch_node]
/// impl Double {
///     fn prep(&self, _: &()) -> Vec<u32> { vec![1, 2, 3] }
///     fn exec(&self, n: &u32) -> u32 { n * 2 }
/// }
///
/// let progress = Progress::new();
/// let node = Double.with_progress(&progress);
/// assert_eq!((progress.done(), progress.total()), (0, 0));
/// node.run_blocking(&mut ()).unwrap();
/// assert_eq!((progress.done(), progress.total()), (3, 3));
/// assert!(progress.is_finished());
/// ```
///
/// [`Configure::with_progress`]: crate::Configure::with_progress
/// [`BatchFlow::with_progress`]: crate::BatchFlow::with_progress
#[derive(Clone, Debug, Default)]
pub struct Progress {
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    /// New counts at zero of zero.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Items finished (successfully or by their fallback).
    pub fn done(&self) -> u64 {
        self.counts.done.load(Ordering::Relaxed)
    }

    /// Items known so far: the sum of the batch sizes that `prep` returned.
    pub fn total(&self) -> u64 {
        self.counts.total.load(Ordering::Relaxed)
    }

    /// Whether every item known so far is done (and there was at least one).
    pub fn is_finished(&self) -> bool {
        let total = self.total();
        total > 0 && self.done() >= total
    }

    pub(crate) fn add_items(&self, items: usize) {
        self.counts.total.fetch_add(items as u64, Ordering::Relaxed);
    }

    pub(crate) fn item_done(&self) {
        self.counts.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts `items` into `progress`, if the node has one.
#[inline]
pub(crate) fn add_items(progress: Option<&Progress>, items: usize) {
    if let Some(progress) = progress {
        progress.add_items(items);
    }
}

/// Counts one finished item into `progress`, if the node has one.
#[inline]
pub(crate) fn item_done(progress: Option<&Progress>) {
    if let Some(progress) = progress {
        progress.item_done();
    }
}
