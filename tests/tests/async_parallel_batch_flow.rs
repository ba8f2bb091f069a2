//! Ports of PocketFlow's `tests/test_async_parallel_batch_flow.py` (class
//! `TestAsyncParallelBatchFlow`).
//!
//! Python's `AsyncParallelBatchFlow` (`asyncio.gather` over one sub-flow run per params dict)
//! is a `#[batch_flow(parallel)]` here, its `AsyncParallelBatchNode` a `#[batch_node(parallel)]`,
//! and `loop.run_until_complete(flow.run_async(shared))` is `.run(&mut shared).await`.
//!
//! Python hands each run a params dict (`{'batch_id': i}`) that the nodes read from
//! `self.params`; nodes are `&self` during a run here and params are borrowed immutably (SPEC
//! section 9), so the dict is a typed struct, [`Batch`], the batch flow's item, which the nodes
//! take as their `params: &Batch` argument.
//!
//! All runs share the one store, as in Python; unlike Python's racy dict, every `prep` and
//! `post` has it to itself (SPEC section 7).
//!
//! The aggregator is the processor's successor inside each sub-flow, so it runs once per batch
//! and sees only the batches finished so far; Python's final `total` is right only because the
//! last aggregator to read `processed_numbers` is also the last to write `total`, which holds
//! because all processors sleep the same delay and asyncio wakes equal sleeps in FIFO order.
//! On tokio's paused clock equal sleeps end at the same instant in an order the test must not
//! rely on, so here batch `i`'s items sleep `delay` plus `i` ms ([`stagger`]): the batches
//! finish in batch order, one millisecond apart, and the order in which the aggregators write
//! `total` (recorded in `totals_written`, which Python does not have) is fixed and asserted.
//! Python's wall-clock bound (`execution_time < 0.2`) becomes an exact virtual-time assertion.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pocketflow::ErrorKind;
use pocketflow::prelude::*;
use tokio::time::{Instant, sleep};

/// Python's shared dict. `processed_numbers` and `total` are created by the nodes (`None` until
/// then); `processed_numbers`' keys are the batch ids, and Python compares it as a dict, so it is
/// a map. `totals_written` records every value written to `total`, in order.
#[derive(Debug)]
struct Shared {
    batches: Vec<Vec<i64>>,
    processed_numbers: Option<BTreeMap<usize, Vec<i64>>>,
    total: Option<i64>,
    totals_written: Vec<i64>,
}

impl Shared {
    fn new(batches: Vec<Vec<i64>>) -> Self {
        Shared {
            batches,
            processed_numbers: None,
            total: None,
            totals_written: Vec::new(),
        }
    }

    /// Python's `shared['batches'][batch_id]`, an `IndexError` when out of range.
    fn batch(&self, batch: &Batch) -> Result<&[i64], String> {
        self.batches
            .get(batch.batch_id)
            .map(Vec::as_slice)
            .ok_or_else(|| "IndexError: list index out of range".to_owned())
    }

    /// Python's `sum(num * 2 for batch in shared['batches'] for num in batch)`.
    fn expected_total(&self) -> i64 {
        self.batches.iter().flatten().map(|num| num * 2).sum()
    }
}

/// Python's per-run params `{'batch_id': i}`.
#[derive(Debug, PartialEq)]
struct Batch {
    batch_id: usize,
}

/// The items every batch flow of these tests lists: Python's
/// `[{'batch_id': i} for i in range(len(shared['batches']))]`.
fn batch_ids(shared: &Shared) -> Vec<Batch> {
    (0..shared.batches.len())
        .map(|batch_id| Batch { batch_id })
        .collect()
}

/// How much longer than `delay` batch `batch`'s items sleep: `batch_id` ms (see the module docs).
fn stagger(batch: &Batch) -> Duration {
    Duration::from_millis(batch.batch_id as u64)
}

/// Python's `AsyncParallelNumberProcessor(delay=0.1)`: `prep` takes the run's batch, each item
/// sleeps `delay` (plus the batch's [`stagger`]) and is doubled, `post` stores the batch's results
/// under its id and returns `"processed"`. An item carries its sleep, as `exec` sees only the
/// item.
struct AsyncParallelNumberProcessor {
    delay: Duration,
}

#[batch_node(parallel)]
impl AsyncParallelNumberProcessor {
    async fn prep(&self, shared: &Shared, batch: &Batch) -> Result<Vec<(i64, Duration)>, String> {
        let delay = self.delay + stagger(batch);
        Ok(shared.batch(batch)?.iter().map(|&n| (n, delay)).collect())
    }

    async fn exec(&self, (number, delay): &(i64, Duration)) -> i64 {
        sleep(*delay).await; // Simulate async processing
        number * 2
    }

    async fn post(
        &self,
        shared: &mut Shared,
        _items: Vec<(i64, Duration)>,
        doubled: Vec<i64>,
        batch: &Batch,
    ) -> &'static str {
        shared
            .processed_numbers
            .get_or_insert_with(BTreeMap::new)
            .insert(batch.batch_id, doubled);
        "processed"
    }
}

/// Python's `AsyncAggregatorNode`: `prep` concatenates the processed batches in batch-id order,
/// `exec` sleeps 0.01 s and sums them, `post` writes `total` and returns `"aggregated"`. It takes
/// no params, so it runs with any.
struct AsyncAggregatorNode;

#[node]
impl AsyncAggregatorNode {
    async fn prep(&self, shared: &Shared) -> Vec<i64> {
        // To maintain the original order, sort by batch_id (the keys): a BTreeMap iterates
        // in key order.
        let processed = shared.processed_numbers.iter().flat_map(BTreeMap::values);
        processed.flatten().copied().collect()
    }

    async fn exec(&self, all_results: &[i64]) -> i64 {
        sleep(Duration::from_millis(10)).await;
        all_results.iter().sum()
    }

    async fn post(&self, shared: &mut Shared, _all_results: Vec<i64>, total: i64) -> &'static str {
        shared.total = Some(total);
        shared.totals_written.push(total);
        "aggregated"
    }
}

/// Python's `ValueError`.
#[derive(Debug, PartialEq)]
struct ValueError(String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

/// Ports `TestAsyncParallelBatchFlow.test_parallel_batch_flow`.
#[tokio::test(start_paused = true)]
async fn test_parallel_batch_flow() {
    struct TestParallelBatchFlow;
    #[batch_flow(parallel)]
    impl TestParallelBatchFlow {
        async fn prep(&self, shared: &Shared) -> Vec<Batch> {
            batch_ids(shared)
        }
    }

    let mut shared = Shared::new(vec![
        vec![1, 2, 3], // batch_id: 0
        vec![4, 5, 6], // batch_id: 1
        vec![7, 8, 9], // batch_id: 2
    ]);

    let processor = AsyncParallelNumberProcessor {
        delay: Duration::from_millis(100),
    };
    let aggregator = AsyncAggregatorNode;

    let (logs, _guard) = pocketflow_tests::capture_logs();
    let flow = TestParallelBatchFlow.over(flow! { processor - "processed" >> aggregator });

    let start = Instant::now();
    let action = flow.run(&mut shared).await.unwrap();
    let execution_time = start.elapsed();

    // Verify each batch was processed correctly
    let expected_batch_results = BTreeMap::from([
        (0, vec![2, 4, 6]),    // [1,2,3] * 2
        (1, vec![8, 10, 12]),  // [4,5,6] * 2
        (2, vec![14, 16, 18]), // [7,8,9] * 2
    ]);
    assert_eq!(shared.processed_numbers, Some(expected_batch_results));

    // Verify total
    let expected_total = shared.expected_total();
    assert_eq!(expected_total, 90);
    assert_eq!(shared.total, Some(expected_total));
    // Each run's aggregator summed the batches finished so far (the same totals Python writes).
    assert_eq!(shared.totals_written, [12, 42, 90]);

    // Verify parallel execution (Python: `< 0.2` s of wall clock). The last batch's items end at
    // 100 + 2 ms, its aggregator 10 ms later; one run after another would take 333 ms.
    assert_eq!(execution_time, Duration::from_millis(112));

    // Python's batch flow returns `None`; one without `post` returns the default action.
    assert_eq!(action, Action::DEFAULT);
    // "aggregated" leaves a node with no edges: each run ends quietly.
    assert_eq!(logs.warnings(), Vec::<String>::new());
}

/// Ports `TestAsyncParallelBatchFlow.test_error_handling`.
#[tokio::test(start_paused = true)]
async fn test_error_handling() {
    /// Python's `ErrorProcessor(AsyncParallelNumberProcessor)`: its `exec_async` raises
    /// `ValueError` for 2 and returns any other item unchanged. Python's override does not sleep;
    /// here the other items still sleep the inherited `delay`, so that batch 1's run is still in
    /// flight when batch 0's item fails. Python's `gather` leaves such a sibling running; here it
    /// is cancelled (SPEC section 9), which `completed` (not in Python) shows.
    struct ErrorProcessor {
        delay: Duration,
        completed: Arc<AtomicUsize>,
    }
    #[batch_node(parallel)]
    impl ErrorProcessor {
        async fn prep(&self, shared: &Shared, batch: &Batch) -> Result<Vec<i64>, String> {
            Ok(shared.batch(batch)?.to_vec())
        }

        async fn exec(&self, number: &i64) -> Result<i64, ValueError> {
            if *number == 2 {
                return Err(ValueError(format!("Error processing item {number}")));
            }
            sleep(self.delay).await;
            self.completed.fetch_add(1, Ordering::SeqCst);
            Ok(*number)
        }

        async fn post(
            &self,
            shared: &mut Shared,
            _items: Vec<i64>,
            results: Vec<i64>,
            batch: &Batch,
        ) -> &'static str {
            shared
                .processed_numbers
                .get_or_insert_with(BTreeMap::new)
                .insert(batch.batch_id, results);
            "processed"
        }
    }

    struct ErrorBatchFlow;
    #[batch_flow(parallel)]
    impl ErrorBatchFlow {
        async fn prep(&self, shared: &Shared) -> Vec<Batch> {
            batch_ids(shared)
        }
    }

    let mut shared = Shared::new(vec![
        vec![1, 2, 3], // Contains error-triggering value
        vec![4, 5, 6],
    ]);

    let completed = Arc::new(AtomicUsize::new(0));
    let processor = ErrorProcessor {
        delay: Duration::from_millis(100),
        completed: completed.clone(),
    };
    let flow = ErrorBatchFlow.over(flow! { processor });

    let start = Instant::now();
    let err = flow.run(&mut shared).await.unwrap_err();

    // Python: `assertRaises(ValueError)`.
    assert_eq!(err.kind(), ErrorKind::Phase);
    assert_eq!(err.node(), "ErrorProcessor");
    assert_eq!(err.path(), ["processor"]);
    assert_eq!(err.phase(), Some(Phase::Exec));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.item(), Some(1)); // the number 2 is at index 1 of batch 0
    let source = err.source().expect("the user's error is the source");
    assert_eq!(
        source.downcast_ref::<ValueError>(),
        Some(&ValueError("Error processing item 2".into()))
    );
    assert_eq!(
        err.to_string(),
        "step `processor` (node `ErrorProcessor`) failed in exec on item 1 after 1 attempt, \
         in the run for item 0 (Batch { batch_id: 0 }): Error processing item 2"
    );
    // The failure ends the whole batch flow at once: no run reached its `post`.
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(shared.processed_numbers, None);
    // The sleeping items of both runs were dropped, not left running: long after their delay,
    // none has completed.
    sleep(Duration::from_secs(1)).await;
    assert_eq!(completed.load(Ordering::SeqCst), 0);
}

/// Ports `TestAsyncParallelBatchFlow.test_multiple_batch_sizes`.
#[tokio::test(start_paused = true)]
async fn test_multiple_batch_sizes() {
    struct VaryingBatchFlow;
    #[batch_flow(parallel)]
    impl VaryingBatchFlow {
        async fn prep(&self, shared: &Shared) -> Vec<Batch> {
            batch_ids(shared)
        }
    }

    let mut shared = Shared::new(vec![
        vec![1],           // batch_id: 0
        vec![2, 3, 4],     // batch_id: 1
        vec![5, 6],        // batch_id: 2
        vec![7, 8, 9, 10], // batch_id: 3
    ]);

    let processor = AsyncParallelNumberProcessor {
        delay: Duration::from_millis(50),
    };
    let aggregator = AsyncAggregatorNode;
    let flow = VaryingBatchFlow.over(flow! { processor - "processed" >> aggregator });

    let start = Instant::now();
    let action = flow.run(&mut shared).await.unwrap();

    // Verify each batch was processed correctly
    let expected_batch_results = BTreeMap::from([
        (0, vec![2]),              // [1] * 2
        (1, vec![4, 6, 8]),        // [2,3,4] * 2
        (2, vec![10, 12]),         // [5,6] * 2
        (3, vec![14, 16, 18, 20]), // [7,8,9,10] * 2
    ]);
    assert_eq!(shared.processed_numbers, Some(expected_batch_results));

    // Verify total
    let expected_total = shared.expected_total();
    assert_eq!(expected_total, 110);
    assert_eq!(shared.total, Some(expected_total));
    // Each run's aggregator summed the batches finished so far (the same totals Python writes).
    assert_eq!(shared.totals_written, [2, 20, 42, 110]);

    // All four runs at once: the last batch's items end at 50 + 3 ms, its aggregator 10 ms later.
    assert_eq!(start.elapsed(), Duration::from_millis(63));
    assert_eq!(action, Action::DEFAULT);
}

/// What a parallel batch flow's rustdoc says: between one run's `post` and its next node's
/// `prep`, another run's `post` may run. Run 0's `post` holds the store from 1 to 11 ms; run
/// 1's asks for it at 5 ms and waits; when run 0's `post` ends, the store goes to run 1 first,
/// and run 0's next `prep` reads what run 1 wrote in the one shared slot.
#[tokio::test(start_paused = true)]
async fn another_runs_post_may_come_between_a_post_and_the_next_prep() {
    #[derive(Default)]
    struct Slot {
        last: Option<usize>,
        seen: Vec<(usize, Option<usize>)>,
    }

    struct Write;
    #[node]
    impl Write {
        fn prep(&self, _: &Slot, run: &usize) -> usize {
            *run
        }
        async fn exec(&self, run: &usize) {
            sleep(Duration::from_millis(1 + 4 * *run as u64)).await;
        }
        async fn post(&self, slot: &mut Slot, run: usize, _: ()) {
            slot.last = Some(run);
            sleep(Duration::from_millis(10)).await;
        }
    }

    struct Read;
    #[node]
    impl Read {
        fn prep(&self, slot: &mut Slot, run: &usize) {
            let last = slot.last;
            slot.seen.push((*run, last));
        }
    }

    struct Two;
    #[batch_flow(parallel)]
    impl Two {
        fn prep(&self, _: &Slot) -> Vec<usize> {
            vec![0, 1]
        }
    }

    let (write, read) = (Write, Read);
    let each = Two.over(flow! { write >> read });
    let mut slot = Slot::default();
    each.run(&mut slot).await.unwrap();
    // Run 0 reads run 1's write: keep a run's values under its item, not in one slot.
    assert_eq!(slot.seen, [(0, Some(1)), (1, Some(1))]);
}
