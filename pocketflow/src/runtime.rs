//! What a run needs from the tokio runtime it runs on, asked for without tokio's panics: a timer
//! for retry waits and timeouts, and, for `run_blocking`, a thread it may block.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::task::{Context, Poll, Waker};

use crate::error::{BoxError, Error, Result};

/// Runs `run` to completion on a new current-thread runtime of its own, for `run_blocking`.
///
/// - No runtime on this thread: the runtime runs here.
/// - A task of a runtime: an error, since blocking would stall that runtime's other tasks (on a
///   current-thread runtime, every one of them).
/// - A thread tokio lent to `spawn_blocking`: blocking is what it is for. tokio still counts
///   the thread as its own there, and would refuse a second runtime in a task it might be
///   mistaken for (see [`inside_async_task`]), so the runtime runs on a scoped thread of its own.
pub(crate) fn block_on<F>(run: F) -> Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(new_runtime()?.block_on(run));
    }
    if inside_async_task() {
        return Err(Error::runtime(
            "run_blocking was called inside an async task; use `.run(&mut shared).await` there, \
             or call run_blocking inside `tokio::task::spawn_blocking`"
                .into(),
        ));
    }
    std::thread::scope(|scope| {
        let runner = scope.spawn(|| new_runtime().map(|runtime| runtime.block_on(run)));
        // A panic of the run goes on to the caller, as it would from `block_on` on this thread.
        runner
            .join()
            .unwrap_or_else(|panic| panic::resume_unwind(panic))
    })
}

fn new_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::runtime(format!("cannot start a tokio runtime: {e}").into()))
}

/// Whether the caller is a task polled by a tokio runtime, rather than a `spawn_blocking`
/// thread (both see the runtime's `Handle`). tokio gives every task a finite cooperative
/// budget for each poll and a blocking thread an unlimited one, and has no public way to ask
/// which; so this spends units until one is refused (a task) or more than any budget holds
/// were granted (a blocking thread, or a task the user made `unconstrained`), then gives every
/// unit back, newest first, each restoring the budget it found.
fn inside_async_task() -> bool {
    // tokio's budget is a `u8`; 128 units a poll today.
    const MORE_THAN_ANY_BUDGET: usize = u8::MAX as usize + 1;
    let mut cx = Context::from_waker(Waker::noop());
    let mut granted = Vec::with_capacity(MORE_THAN_ANY_BUDGET);
    let mut refused = false;
    while granted.len() < MORE_THAN_ANY_BUDGET {
        match tokio::task::coop::poll_proceed(&mut cx) {
            Poll::Ready(unit) => granted.push(unit),
            Poll::Pending => {
                refused = true;
                break;
            }
        }
    }
    while let Some(unit) = granted.pop() {
        drop(unit);
    }
    refused
}

/// Starts a timer (a `sleep` or `timeout`) with `start`, or says why tokio cannot run one.
///
/// tokio panics when a timer is made outside a runtime or on a runtime built without
/// `enable_time()`; a run returns this error instead. The first case is seen before the call;
/// the second only through tokio's panic, which is caught here (its message is still printed by
/// the panic hook, and a build with `panic = "abort"` aborts as tokio intends).
pub(crate) fn timer<T>(start: impl FnOnce() -> T) -> Result<T, MissingTimer> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(MissingTimer { runtime: false });
    }
    panic::catch_unwind(AssertUnwindSafe(start)).map_err(|_| MissingTimer { runtime: true })
}

/// A retry wait or an `exec` timeout found no tokio timer to run on.
#[derive(Debug)]
pub(crate) struct MissingTimer {
    /// Whether there was a runtime, only without its timer.
    runtime: bool,
}

impl MissingTimer {
    pub(crate) fn to_error(&self, node: &'static str) -> Error {
        Error::runtime_at(node, BoxError::from(self.to_string()))
    }
}

impl std::fmt::Display for MissingTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.runtime {
            f.write_str(
                "its timeout or retry wait needs tokio's timer, and this runtime was built \
                 without it; add `enable_time()` (or `enable_all()`) to the runtime builder",
            )
        } else {
            f.write_str(
                "its timeout or retry wait needs tokio's timer, and no tokio runtime is \
                 running; run the flow inside one (`#[tokio::main]`) or with `run_blocking`",
            )
        }
    }
}

impl std::error::Error for MissingTimer {}
