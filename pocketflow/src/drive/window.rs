//! Running a batch's work concurrently on the calling task, as a sliding window.

use std::collections::BTreeMap;
use std::future::Future;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::error::Result;

/// Runs the tasks `task(0)`, ..., `task(count - 1)` concurrently on the calling task with at
/// most `limit` in flight (a sliding window: the next task starts as soon as any finishes), and
/// returns their outputs in task order. The first error is returned at once, and dropping the
/// window cancels the tasks still in flight.
///
/// The outputs are kept in [`InOrder`]: one `Vec` in task order, never a second one beside it.
///
/// Each task returns its own index with its output, so that the window keeps each task's future
/// exactly as `task` built it: a wrapper would cost every task another copy of its future.
///
/// The window is polled outside tokio's cooperative budget: it is one task doing the work of
/// many, and on a current-thread runtime the budget would otherwise make it yield to the
/// scheduler every 128 timer completions, doubling the time of a large fan-out.
pub(crate) async fn run_window<T, Task>(
    count: usize,
    limit: usize,
    mut task: impl FnMut(usize) -> Task,
) -> Result<Vec<T>>
where
    Task: Future<Output = (usize, Result<T>)>,
{
    let mut outputs = InOrder::with_capacity(count);
    let mut in_flight: FuturesUnordered<Task> =
        (0..count.min(limit.max(1))).map(&mut task).collect();
    let mut next = in_flight.len();
    tokio::task::unconstrained(async {
        while let Some((index, output)) = in_flight.next().await {
            outputs.insert(index, output?);
            if next < count {
                in_flight.push(task(next));
                next += 1;
            }
        }
        Ok(())
    })
    .await?;
    // Every output is in: the loop only ends once every task has completed successfully.
    debug_assert!(outputs.early.is_empty() && outputs.done.len() == count);
    Ok(outputs.done)
}

/// Outputs arriving in any order, kept in task order: `done` holds the outputs of tasks
/// `0..done.len()`, and an output that finishes ahead of an earlier one waits in `early` until
/// every output before it is in.
///
/// Rather than a slot per task filled in place (`Vec<Option<T>>`, which needs a second `Vec<T>`
/// to hand over, and is twice the size of a `u64` output): when tasks finish about in the order
/// they started, as they do in a window that starts them in order, `early` stays small and the
/// outputs cost their own size alone. `done` is reserved up front but its pages are only touched
/// as it fills. Tasks finishing far out of order cost a map entry each until the gap closes.
struct InOrder<T> {
    done: Vec<T>,
    early: BTreeMap<usize, T>,
}

impl<T> InOrder<T> {
    fn with_capacity(count: usize) -> Self {
        Self {
            done: Vec::with_capacity(count),
            early: BTreeMap::new(),
        }
    }

    /// Takes task `index`'s output; each index comes once.
    fn insert(&mut self, index: usize, output: T) {
        if index != self.done.len() {
            self.early.insert(index, output);
            return;
        }
        self.done.push(output);
        while let Some(output) = self.early.remove(&self.done.len()) {
            self.done.push(output);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, Phase};
    use std::time::Duration;

    /// Task `index` of `count` sleeps `count - index` ms: the last started finishes first.
    async fn backwards(count: usize, index: usize) -> (usize, Result<usize>) {
        tokio::time::sleep(Duration::from_millis((count - index) as u64)).await;
        (index, Ok(index * 10))
    }

    #[tokio::test(start_paused = true)]
    async fn outputs_finishing_in_reverse_order_come_back_in_task_order() {
        for limit in [1, 3, usize::MAX] {
            let outputs = run_window(50, limit, |index| backwards(50, index)).await;
            let expected: Vec<usize> = (0..50).map(|index| index * 10).collect();
            assert_eq!(outputs.unwrap(), expected, "limit {limit}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_behind_early_outputs_is_returned() {
        let outputs = run_window(20, usize::MAX, |index| async move {
            let (index, output) = backwards(20, index).await;
            let output = if index == 5 {
                Err(Error::phase_failed(
                    "Backwards",
                    Phase::Exec,
                    0,
                    "no".into(),
                ))
            } else {
                output
            };
            (index, output)
        })
        .await;
        assert!(outputs.is_err());
    }

    #[test]
    fn in_order_holds_back_outputs_until_the_gap_before_them_closes() {
        let mut outputs = InOrder::with_capacity(6);
        for (index, output) in [(2, 'c'), (0, 'a'), (5, 'f'), (1, 'b'), (4, 'e'), (3, 'd')] {
            outputs.insert(index, output);
        }
        assert!(outputs.early.is_empty());
        assert_eq!(outputs.done, ['a', 'b', 'c', 'd', 'e', 'f']);
    }
}
