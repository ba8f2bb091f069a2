//! Ports of PocketFlow's `tests/test_async_parallel_batch_node.py` (class
//! `TestAsyncParallelBatchNode`).
//!
//! Python's `AsyncParallelBatchNode` (`asyncio.gather` over the items' `exec_async`) is a
//! `#[batch_node(parallel)]` with `async fn exec` here, and
//! `loop.run_until_complete(processor.run_async(shared))` is `.run(&mut shared).await`. Python's
//! subclasses that override only `exec_async` become separate node types with the same `prep`
//! and `post`.
//!
//! `asyncio.sleep` becomes `tokio::time::sleep` on tokio's paused clock, so Python's wall-clock
//! bound (`execution_time < 0.2`) becomes an exact virtual-time assertion, and the completion
//! order of `test_concurrent_execution` is fixed by giving every item its own sleep duration.

use std::error::Error as _;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use pocketflow::ErrorKind;
use pocketflow::prelude::*;
use tokio::time::{Instant, sleep};

/// Python's shared dict. `processed_numbers` is written by `post` (`None` until then).
#[derive(Debug, Default)]
struct Shared {
    input_numbers: Vec<i64>,
    processed_numbers: Option<Vec<i64>>,
}

impl Shared {
    fn new(input_numbers: Vec<i64>) -> Self {
        Shared {
            input_numbers,
            processed_numbers: None,
        }
    }
}

/// Python's `AsyncParallelNumberProcessor(delay=0.1)`: each item sleeps `delay` and is doubled;
/// `post` stores the results and returns `"processed"`.
struct AsyncParallelNumberProcessor {
    delay: Duration,
}

impl Default for AsyncParallelNumberProcessor {
    fn default() -> Self {
        AsyncParallelNumberProcessor {
            delay: Duration::from_millis(100),
        }
    }
}

#[batch_node(parallel)]
impl AsyncParallelNumberProcessor {
    async fn prep(&self, shared: &Shared) -> Vec<i64> {
        shared.input_numbers.clone()
    }

    async fn exec(&self, number: &i64) -> i64 {
        sleep(self.delay).await; // Simulate async processing
        number * 2
    }

    async fn post(
        &self,
        shared: &mut Shared,
        _numbers: Vec<i64>,
        doubled: Vec<i64>,
    ) -> &'static str {
        shared.processed_numbers = Some(doubled);
        "processed"
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

/// Ports `TestAsyncParallelBatchNode.test_parallel_processing`.
#[tokio::test(start_paused = true)]
async fn test_parallel_processing() {
    let mut shared = Shared::new((0..5).collect());

    let processor = AsyncParallelNumberProcessor {
        delay: Duration::from_millis(100),
    };

    // Run the processor
    let start = Instant::now();
    let action = processor.run(&mut shared).await.unwrap();
    let execution_time = start.elapsed();

    // Check results
    let expected = vec![0, 2, 4, 6, 8]; // Each number doubled
    assert_eq!(shared.processed_numbers, Some(expected));
    assert_eq!(action, "processed");

    // Since processing is parallel, the total time is the delay of a single operation, not
    // delay * number_of_items (Python: `< 0.2` s of wall clock; here exactly 100 ms, where one
    // item after another would take 500 ms).
    assert_eq!(execution_time, Duration::from_millis(100));
}

/// Ports `TestAsyncParallelBatchNode.test_empty_input`.
#[tokio::test(start_paused = true)]
async fn test_empty_input() {
    let mut shared = Shared::new(vec![]);

    let processor = AsyncParallelNumberProcessor::default();
    let start = Instant::now();
    let action = processor.run(&mut shared).await.unwrap();

    // `post` still runs, with no results; `exec` never runs, so no time passes.
    assert_eq!(shared.processed_numbers, Some(vec![]));
    assert_eq!(action, "processed");
    assert_eq!(start.elapsed(), Duration::ZERO);
}

/// Ports `TestAsyncParallelBatchNode.test_single_item`.
#[tokio::test(start_paused = true)]
async fn test_single_item() {
    let mut shared = Shared::new(vec![42]);

    let processor = AsyncParallelNumberProcessor::default();
    let start = Instant::now();
    let action = processor.run(&mut shared).await.unwrap();

    assert_eq!(shared.processed_numbers, Some(vec![84]));
    assert_eq!(action, "processed");
    assert_eq!(start.elapsed(), Duration::from_millis(100));
}

/// Ports `TestAsyncParallelBatchNode.test_large_batch`.
#[tokio::test(start_paused = true)]
async fn test_large_batch() {
    let input_size = 100;
    let mut shared = Shared::new((0..input_size).collect());

    let processor = AsyncParallelNumberProcessor {
        delay: Duration::from_millis(10),
    };
    let start = Instant::now();
    let action = processor.run(&mut shared).await.unwrap();

    let expected: Vec<i64> = (0..input_size).map(|x| x * 2).collect();
    assert_eq!(shared.processed_numbers, Some(expected));
    assert_eq!(action, "processed");
    // All 100 items in flight at once (no `limit`): one 10 ms delay in all.
    assert_eq!(start.elapsed(), Duration::from_millis(10));
}

/// Ports `TestAsyncParallelBatchNode.test_error_handling`.
#[tokio::test(start_paused = true)]
async fn test_error_handling() {
    /// Python's `ErrorProcessor(AsyncParallelNumberProcessor)`: its `exec_async` raises
    /// `ValueError` for 2 and returns any other item unchanged, without sleeping.
    struct ErrorProcessor;
    #[batch_node(parallel)]
    impl ErrorProcessor {
        async fn prep(&self, shared: &Shared) -> Vec<i64> {
            shared.input_numbers.clone()
        }

        async fn exec(&self, number: &i64) -> Result<i64, ValueError> {
            if *number == 2 {
                return Err(ValueError(format!("Error processing item {number}")));
            }
            Ok(*number)
        }

        async fn post(
            &self,
            shared: &mut Shared,
            _numbers: Vec<i64>,
            results: Vec<i64>,
        ) -> &'static str {
            shared.processed_numbers = Some(results);
            "processed"
        }
    }

    let mut shared = Shared::new(vec![1, 2, 3]);

    let processor = ErrorProcessor;
    let start = Instant::now();
    let err = processor.run(&mut shared).await.unwrap_err();

    // Python: `assertRaises(ValueError)` (max_retries=1, no fallback: the error propagates).
    assert_eq!(err.kind(), ErrorKind::Phase);
    assert_eq!(err.node(), "ErrorProcessor");
    assert!(err.path().is_empty(), "{:?}", err.path());
    assert_eq!(err.phase(), Some(Phase::Exec));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.item(), Some(1)); // the number 2 is at index 1
    let source = err.source().expect("the user's error is the source");
    assert_eq!(
        source.downcast_ref::<ValueError>(),
        Some(&ValueError("Error processing item 2".into()))
    );
    assert_eq!(
        err.to_string(),
        "node `ErrorProcessor` failed in exec on item 1 after 1 attempt: Error processing item 2"
    );
    // The failure ends the node before `post`.
    assert_eq!(shared.processed_numbers, None);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

/// Ports `TestAsyncParallelBatchNode.test_concurrent_execution`.
#[tokio::test(start_paused = true)]
async fn test_concurrent_execution() {
    /// Python's `OrderTrackingProcessor(AsyncParallelNumberProcessor)`: even items sleep 0.1 s,
    /// odd ones 0.05 s, then record themselves in `execution_order` and return unchanged.
    /// Python's equal sleeps (0 and 2, 1 and 3) finish in an order only the event loop decides;
    /// here each item also sleeps its own number of milliseconds more, so every item finishes
    /// at a different instant of the paused clock and the whole order is fixed.
    struct OrderTrackingProcessor {
        execution_order: Mutex<Vec<i64>>,
    }
    #[batch_node(parallel)]
    impl OrderTrackingProcessor {
        async fn prep(&self, shared: &Shared) -> Vec<i64> {
            shared.input_numbers.clone()
        }

        async fn exec(&self, number: &i64) -> i64 {
            let delay = if number % 2 == 0 { 100 } else { 50 } + *number as u64;
            sleep(Duration::from_millis(delay)).await;
            self.execution_order.lock().unwrap().push(*number);
            *number
        }

        async fn post(
            &self,
            shared: &mut Shared,
            _numbers: Vec<i64>,
            results: Vec<i64>,
        ) -> &'static str {
            shared.processed_numbers = Some(results);
            "processed"
        }
    }

    let mut shared = Shared::new((0..4).collect()); // [0, 1, 2, 3]

    let processor = OrderTrackingProcessor {
        execution_order: Mutex::new(Vec::new()),
    };
    let start = Instant::now();
    let action = processor.run(&mut shared).await.unwrap();

    // Odd numbers finish before even numbers due to shorter delay (51, 53, 100, 102 ms).
    let execution_order = processor.execution_order.lock().unwrap().clone();
    assert_eq!(execution_order, [1, 3, 0, 2]);
    let index = |n: i64| execution_order.iter().position(|&x| x == n).unwrap();
    assert!(index(1) < index(0));
    assert!(index(3) < index(2));
    // The results are still in item order.
    assert_eq!(shared.processed_numbers, Some(vec![0, 1, 2, 3]));
    assert_eq!(action, "processed");
    // All four ran at once: the slowest item's 102 ms, not the 306 ms of one after another.
    assert_eq!(start.elapsed(), Duration::from_millis(102));
}
