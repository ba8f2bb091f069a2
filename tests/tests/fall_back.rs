//! Port of PocketFlow's `tests/test_fall_back.py` (classes `TestExecFallback` and
//! `TestAsyncExecFallback`).
//!
//! Python passes `max_retries` to the node's constructor. Here `#[node(max_retries = N)]` fixes
//! it per type, and the per-value equivalent of the constructor argument is the run-time knob
//! `node.with_max_retries(n)` (trait `Configure`); without it a node makes one attempt, like
//! Python's default `max_retries=1`. Python's default `wait=0` is our default too: the async
//! tests run on tokio's paused clock and assert that the only time that passes is the 10 ms the
//! async fallback sleeps.
//!
//! Python counts attempts in `self.attempt_count`, mutated by `exec`. Nodes are `&self` during
//! a run here (SPEC section 9), so the counter is an `AtomicU32`.
//!
//! Python's shared dict holds `results` (a list of dicts) and `final_result` (a list in the
//! sync flow test, a string in the async one); here they are typed fields.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pocketflow::ErrorKind;
use pocketflow::prelude::*;
use tokio::time::Instant;

/// One entry of Python's `shared['results']`: `{'attempts': n, 'result': r}`, or `{'result': r}`
/// for the nodes that do not count attempts.
#[derive(Debug, Clone, PartialEq)]
struct Record {
    attempts: Option<u32>,
    result: &'static str,
}

/// What Python stores under `shared['final_result']`.
#[derive(Debug, PartialEq)]
enum FinalResult {
    /// The sync `ResultNode` copies the whole `results` list.
    Records(Vec<Record>),
    /// The async `AsyncResultNode` copies the last result.
    Text(&'static str),
}

#[derive(Debug, Default)]
struct Shared {
    /// `None` until a node's prep creates it, as Python's `if 'results' not in shared`.
    results: Option<Vec<Record>>,
    final_result: Option<FinalResult>,
}

impl Shared {
    /// Python's `shared['results']`, which raises `KeyError` when no prep created it.
    fn results_mut(&mut self) -> Result<&mut Vec<Record>, &'static str> {
        self.results.as_mut().ok_or("KeyError: 'results'")
    }
}

/// Python's `ValueError`, so that a test can check which error a failed run carries.
#[derive(Debug)]
struct ValueError(&'static str);

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ValueError {}

/// The `ValueError` a failed run carries as its `source()`, as Python's `assertRaises(ValueError)`.
fn value_error(err: &pocketflow::Error) -> &ValueError {
    std::error::Error::source(err)
        .expect("a failed phase carries the user's error as its source")
        .downcast_ref::<ValueError>()
        .expect("the source is the ValueError that exec returned")
}

// ---------------------------------------------------------------------------------------------
// TestExecFallback (sync nodes, run with `run_blocking`)
// ---------------------------------------------------------------------------------------------

/// `FallbackNode(should_fail, max_retries)`; `max_retries` is set with `with_max_retries`.
struct FallbackNode {
    should_fail: bool,
    attempt_count: AtomicU32,
}

impl FallbackNode {
    fn new(should_fail: bool) -> Self {
        FallbackNode {
            should_fail,
            attempt_count: AtomicU32::new(0),
        }
    }
}

#[node]
impl FallbackNode {
    fn prep(&self, shared: &mut Shared) {
        shared.results.get_or_insert_with(Vec::new);
    }

    fn exec(&self) -> Result<&'static str, ValueError> {
        self.attempt_count.fetch_add(1, Ordering::SeqCst);
        if self.should_fail {
            return Err(ValueError("Intentional failure"));
        }
        Ok("success")
    }

    fn exec_fallback(&self, _prep: &(), _err: pocketflow::Error) -> &'static str {
        "fallback"
    }

    fn post(&self, shared: &mut Shared, _prep: (), exec: &'static str) -> Result<(), &'static str> {
        let attempts = self.attempt_count.load(Ordering::SeqCst);
        shared.results_mut()?.push(Record {
            attempts: Some(attempts),
            result: exec,
        });
        Ok(())
    }
}

/// Ports `TestExecFallback.test_successful_execution`.
#[test]
fn successful_execution() {
    let mut shared = Shared::default();
    let node = FallbackNode::new(false);

    node.run_blocking(&mut shared).unwrap();

    assert_eq!(
        shared.results,
        Some(vec![Record {
            attempts: Some(1),
            result: "success",
        }])
    );
}

/// Ports `TestExecFallback.test_fallback_after_failure`.
#[test]
fn fallback_after_failure() {
    let mut shared = Shared::default();
    let node = FallbackNode::new(true).with_max_retries(2);

    node.run_blocking(&mut shared).unwrap();

    assert_eq!(
        shared.results,
        Some(vec![Record {
            attempts: Some(2),
            result: "fallback",
        }])
    );
}

/// Ports `TestExecFallback.test_fallback_in_flow`.
#[test]
fn fallback_in_flow() {
    /// Python's local `ResultNode`: copies `results` (or `[]`) into `final_result`.
    struct ResultNode;

    #[node]
    impl ResultNode {
        fn prep(&self, shared: &Shared) -> Vec<Record> {
            shared.results.clone().unwrap_or_default()
        }

        fn exec(&self, prep: Vec<Record>) -> Vec<Record> {
            prep
        }

        fn post(&self, shared: &mut Shared, _prep: Vec<Record>, exec: Vec<Record>) {
            shared.final_result = Some(FinalResult::Records(exec));
        }
    }

    let mut shared = Shared::default();
    let fallback_node = FallbackNode::new(true);
    let result_node = ResultNode;
    let flow = flow! { fallback_node >> result_node };

    flow.run_blocking(&mut shared).unwrap();

    let expected = vec![Record {
        attempts: Some(1),
        result: "fallback",
    }];
    assert_eq!(shared.results, Some(expected.clone()));
    assert_eq!(shared.final_result, Some(FinalResult::Records(expected)));
}

/// Ports `TestExecFallback.test_no_fallback_implementation`.
// Python expects the `ValueError` to propagate; here the run returns a `pocketflow::Error`
// for the exec phase whose `source()` is that `ValueError`.
#[test]
fn no_fallback_implementation() {
    /// Python's local `NoFallbackNode`: exec always fails, and there is no `exec_fallback`.
    struct NoFallbackNode;

    #[node]
    impl NoFallbackNode {
        fn prep(&self, shared: &mut Shared) {
            shared.results.get_or_insert_with(Vec::new);
        }

        fn exec(&self) -> Result<&'static str, ValueError> {
            Err(ValueError("Test error"))
        }

        fn post(
            &self,
            shared: &mut Shared,
            _prep: (),
            exec: &'static str,
        ) -> Result<&'static str, &'static str> {
            shared.results_mut()?.push(Record {
                attempts: None,
                result: exec,
            });
            Ok(exec)
        }
    }

    let mut shared = Shared::default();
    let node = NoFallbackNode;

    let err = node.run_blocking(&mut shared).unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Phase);
    assert_eq!(err.node(), "NoFallbackNode");
    assert_eq!(err.phase(), Some(Phase::Exec));
    assert_eq!(err.attempts(), 1);
    assert_eq!(value_error(&err).0, "Test error");
    // prep ran (it created `results`); post did not.
    assert_eq!(shared.results, Some(vec![]));
}

/// Ports `TestExecFallback.test_retry_before_fallback`.
#[test]
fn retry_before_fallback() {
    let mut shared = Shared::default();
    let node = FallbackNode::new(true).with_max_retries(3);

    node.run_blocking(&mut shared).unwrap();

    assert_eq!(
        shared.results,
        Some(vec![Record {
            attempts: Some(3),
            result: "fallback",
        }])
    );
}

// ---------------------------------------------------------------------------------------------
// TestAsyncExecFallback (async phases, run with `.run(..).await` on tokio's paused clock)
// ---------------------------------------------------------------------------------------------

/// How long `AsyncFallbackNode::exec_fallback` sleeps (Python: `asyncio.sleep(0.01)`).
const FALLBACK_WORK: Duration = Duration::from_millis(10);

/// `AsyncFallbackNode(should_fail, max_retries)`; `max_retries` is set with `with_max_retries`.
struct AsyncFallbackNode {
    should_fail: bool,
    attempt_count: AtomicU32,
}

impl AsyncFallbackNode {
    fn new(should_fail: bool) -> Self {
        AsyncFallbackNode {
            should_fail,
            attempt_count: AtomicU32::new(0),
        }
    }
}

#[node]
impl AsyncFallbackNode {
    async fn prep(&self, shared: &mut Shared) {
        shared.results.get_or_insert_with(Vec::new);
    }

    async fn exec(&self) -> Result<&'static str, ValueError> {
        self.attempt_count.fetch_add(1, Ordering::SeqCst);
        if self.should_fail {
            return Err(ValueError("Intentional async failure"));
        }
        Ok("success")
    }

    async fn exec_fallback(&self, _prep: &(), _err: pocketflow::Error) -> &'static str {
        tokio::time::sleep(FALLBACK_WORK).await; // simulate async work
        "async_fallback"
    }

    async fn post(
        &self,
        shared: &mut Shared,
        _prep: (),
        exec: &'static str,
    ) -> Result<(), &'static str> {
        let attempts = self.attempt_count.load(Ordering::SeqCst);
        shared.results_mut()?.push(Record {
            attempts: Some(attempts),
            result: exec,
        });
        Ok(())
    }
}

/// Ports `TestAsyncExecFallback.test_async_successful_execution`.
#[tokio::test(start_paused = true)]
async fn async_successful_execution() {
    let mut shared = Shared::default();
    let node = AsyncFallbackNode::new(false);
    let started = Instant::now();

    node.run(&mut shared).await.unwrap();

    // The fallback (the only thing that sleeps) did not run.
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(
        shared.results,
        Some(vec![Record {
            attempts: Some(1),
            result: "success",
        }])
    );
}

/// Ports `TestAsyncExecFallback.test_async_fallback_after_failure`.
#[tokio::test(start_paused = true)]
async fn async_fallback_after_failure() {
    let mut shared = Shared::default();
    let node = AsyncFallbackNode::new(true).with_max_retries(2);
    let started = Instant::now();

    node.run(&mut shared).await.unwrap();

    // No wait between the two attempts (Python's default `wait=0`), then the fallback's 10 ms.
    assert_eq!(started.elapsed(), FALLBACK_WORK);
    assert_eq!(
        shared.results,
        Some(vec![Record {
            attempts: Some(2),
            result: "async_fallback",
        }])
    );
}

/// Ports `TestAsyncExecFallback.test_async_fallback_in_flow`.
#[tokio::test(start_paused = true)]
async fn async_fallback_in_flow() {
    /// Python's local `AsyncResultNode`: copies the last result into `final_result`, returns
    /// `"done"`.
    struct AsyncResultNode;

    #[node]
    impl AsyncResultNode {
        async fn prep(&self, shared: &mut Shared) -> Result<&'static str, &'static str> {
            let last = shared.results_mut()?.last().ok_or("IndexError")?;
            Ok(last.result)
        }

        async fn exec(&self, prep: &'static str) -> &'static str {
            prep
        }

        async fn post(
            &self,
            shared: &mut Shared,
            _prep: &'static str,
            exec: &'static str,
        ) -> &'static str {
            shared.final_result = Some(FinalResult::Text(exec));
            "done"
        }
    }

    let mut shared = Shared::default();
    let fallback_node = AsyncFallbackNode::new(true);
    let result_node = AsyncResultNode;
    let flow = flow! { fallback_node >> result_node };
    let started = Instant::now();

    let last_action = flow.run(&mut shared).await.unwrap();

    assert_eq!(started.elapsed(), FALLBACK_WORK);
    assert_eq!(
        shared.results,
        Some(vec![Record {
            attempts: Some(1),
            result: "async_fallback",
        }])
    );
    assert_eq!(
        shared.final_result,
        Some(FinalResult::Text("async_fallback"))
    );
    // Not asserted in Python: the flow returns AsyncResultNode's action.
    assert_eq!(last_action, "done");
}

/// Ports `TestAsyncExecFallback.test_async_no_fallback_implementation`.
// Python expects the `ValueError` to propagate out of `run_async`; here the run returns a
// `pocketflow::Error` for the exec phase whose `source()` is that `ValueError`.
#[tokio::test(start_paused = true)]
async fn async_no_fallback_implementation() {
    /// Python's local `NoFallbackAsyncNode`: exec always fails, and there is no fallback.
    struct NoFallbackAsyncNode;

    #[node]
    impl NoFallbackAsyncNode {
        async fn prep(&self, shared: &mut Shared) {
            shared.results.get_or_insert_with(Vec::new);
        }

        async fn exec(&self) -> Result<&'static str, ValueError> {
            Err(ValueError("Test async error"))
        }

        async fn post(
            &self,
            shared: &mut Shared,
            _prep: (),
            exec: &'static str,
        ) -> Result<&'static str, &'static str> {
            shared.results_mut()?.push(Record {
                attempts: None,
                result: exec,
            });
            Ok(exec)
        }
    }

    let mut shared = Shared::default();
    let node = NoFallbackAsyncNode;
    let started = Instant::now();

    let err = node.run(&mut shared).await.unwrap_err();

    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(err.kind(), ErrorKind::Phase);
    assert_eq!(err.node(), "NoFallbackAsyncNode");
    assert_eq!(err.phase(), Some(Phase::Exec));
    assert_eq!(err.attempts(), 1);
    assert_eq!(value_error(&err).0, "Test async error");
    // prep ran (it created `results`); post did not.
    assert_eq!(shared.results, Some(vec![]));
}

/// Ports `TestAsyncExecFallback.test_async_retry_before_fallback`.
#[tokio::test(start_paused = true)]
async fn async_retry_before_fallback() {
    let mut shared = Shared::default();
    let node = AsyncFallbackNode::new(true).with_max_retries(3);
    let started = Instant::now();

    let result = node.run(&mut shared).await.unwrap();

    // No wait between the three attempts, then the fallback's 10 ms.
    assert_eq!(started.elapsed(), FALLBACK_WORK);
    assert_eq!(
        shared.results,
        Some(vec![Record {
            attempts: Some(3),
            result: "async_fallback",
        }])
    );
    // Python leaves `result` (None) unchecked; post returns `()`, the default action here.
    assert_eq!(result, Action::DEFAULT);
}
