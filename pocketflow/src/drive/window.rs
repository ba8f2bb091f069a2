//! Running a batch's work concurrently on the calling task, as a sliding window.

use std::future::Future;

use std::task::Poll;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::error::Result;

/// Runs the tasks `task(0)`, ..., `task(count - 1)` concurrently on the calling task with at
/// most `limit` in flight (a sliding window: the next task starts as soon as any finishes), and
/// returns their outputs in task order. The first error is returned at once, and dropping the
/// window cancels the tasks still in flight.
///
/// Each task returns its own index with its output, so that the window keeps each task's future
/// exactly as `task` built it: a wrapper would cost every task another copy of its future.
///
/// The window is polled outside tokio's cooperative budget: it is one task doing the work of
/// many, and on a current-thread runtime the budget would otherwise make it yield to the
/// scheduler every 128 timer completions, doubling the time of a large fan-out.
///
/// On the first error, the tasks still in flight are dropped once `settled()` says none of them
/// is inside a phase that holds the shared store (polling them until then), so that fail-fast
/// never leaves a sibling's `post` half done.
pub(crate) async fn run_window<T, Task>(
    count: usize,
    limit: usize,
    mut task: impl FnMut(usize) -> Task,
    settled: impl Fn() -> bool,
) -> Result<Vec<T>>
where
    Task: Future<Output = (usize, Result<T>)>,
{
    let mut slots: Vec<Option<T>> = Vec::with_capacity(count);
    slots.resize_with(count, || None);
    let mut in_flight: FuturesUnordered<Task> =
        (0..count.min(limit.max(1))).map(&mut task).collect();
    let mut next = in_flight.len();
    tokio::task::unconstrained(async {
        while let Some((index, output)) = in_flight.next().await {
            match output {
                Ok(output) => slots[index] = Some(output),
                Err(error) => {
                    settle(&mut in_flight, settled).await;
                    return Err(error);
                }
            }
            if next < count {
                in_flight.push(task(next));
                next += 1;
            }
        }
        Ok(())
    })
    .await?;
    // Every slot is filled: the loop only ends once every task has completed successfully.
    Ok(slots.into_iter().flatten().collect())
}

/// Polls the tasks in flight, discarding what they return, until `settled()`.
async fn settle<Task: Future>(in_flight: &mut FuturesUnordered<Task>, settled: impl Fn() -> bool) {
    std::future::poll_fn(|cx| {
        loop {
            if settled() {
                return Poll::Ready(());
            }
            match in_flight.poll_next_unpin(cx) {
                Poll::Ready(Some(_)) => continue,
                Poll::Ready(None) => return Poll::Ready(()),
                Poll::Pending if settled() => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await;
}
