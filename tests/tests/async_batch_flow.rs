//! Ports of PocketFlow's `tests/test_async_batch_flow.py` (class `TestAsyncBatchFlow`).
//!
//! Python's `AsyncBatchFlow` (`prep_async`, sub-flow runs one after another) is a `#[batch_flow]`
//! here, its `AsyncNode`s are `#[node]`s with `async fn` phases, and
//! `asyncio.run(flow.run_async(shared))` is `.run(&mut shared).await`. Python's sync and async
//! batch flows are one thing here: the sync port is `batch_flow.rs`.
//!
//! The stored framework (commit 0a0bf44) has `AsyncBatchFlow._run_async` dedented to module
//! level, so its `AsyncBatchFlow` runs the sub-flow once with empty params and all five tests
//! fail there. These ports test the intended behaviour (commit 53f85a6): one sub-flow run per
//! batch item, in item order.
//!
//! Python hands each run a params dict (`{'key': k}`) that the nodes read from `self.params`;
//! nodes are `&self` during a run here and params are borrowed immutably (SPEC section 9), so each
//! dict is a typed struct, the batch flow's item, and the nodes take it as their `params: &P`
//! argument.
//!
//! `asyncio.sleep(0.01)` becomes `tokio::time::sleep(10ms)` on tokio's paused clock, which also
//! lets each test check, exactly, that the runs went one after another.
//!
//! Python's shared dict becomes [`Shared`]; its dicts keep insertion order, so they are vectors
//! of pairs (which also records the order of the runs), and a dict a node creates on first write
//! is an `Option`, so "never created" stays distinguishable from "empty".

use std::error::Error as _;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pocketflow::ErrorKind;
use pocketflow::prelude::*;
use tokio::time::{Instant, sleep};

const TICK: Duration = Duration::from_millis(10);

/// A Python dict with string keys, in insertion order.
type Dict<V> = Vec<(&'static str, V)>;

/// Python's `dict[key] = value` on a dict that is created first when missing.
fn set<V>(dict: &mut Option<Dict<V>>, key: &'static str, value: V) {
    let dict = dict.get_or_insert_with(Vec::new);
    match dict.iter_mut().find(|(k, _)| *k == key) {
        Some((_, slot)) => *slot = value,
        None => dict.push((key, value)),
    }
}

/// Python's `dict[key]`, a `KeyError` when the key is missing.
fn get(dict: &[(&'static str, i64)], key: &str) -> Result<i64, String> {
    dict.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("KeyError: '{key}'"))
}

/// Python's shared dict.
#[derive(Debug)]
struct Shared {
    input_data: Dict<i64>,
    intermediate_results: Option<Dict<i64>>,
    results: Option<Dict<i64>>,
}

impl Shared {
    fn new(input_data: Dict<i64>) -> Self {
        Shared {
            input_data,
            intermediate_results: None,
            results: None,
        }
    }
}

/// Python's per-run params `{'key': k}`.
#[derive(Debug, PartialEq)]
struct Key {
    key: &'static str,
}

/// The items every batch flow of these tests lists: Python's
/// `[{'key': k} for k in shared['input_data'].keys()]`.
fn keys(shared: &Shared) -> Vec<Key> {
    shared
        .input_data
        .iter()
        .map(|&(key, _)| Key { key })
        .collect()
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

/// Python's `AsyncDataProcessNode`: `prep_async` copies `input_data[key]` into `results[key]`
/// and returns it; `post_async` sleeps, doubles it in `results` and returns `"processed"`.
struct AsyncDataProcessNode;

#[node]
impl AsyncDataProcessNode {
    async fn prep(&self, shared: &mut Shared, params: &Key) -> Result<i64, String> {
        let key = params.key;
        let data = get(&shared.input_data, key)?;
        set(&mut shared.results, key, data);
        Ok(data)
    }

    async fn post(&self, shared: &mut Shared, data: i64, _exec: (), params: &Key) -> &'static str {
        sleep(TICK).await; // Simulate async work
        set(&mut shared.results, params.key, data * 2); // Double the value
        "processed"
    }
}

/// Python's `AsyncErrorNode`: `post_async` raises `ValueError` for `error_key` and otherwise
/// returns `"processed"`. Python's node has no state; `posted` (not in Python) records the keys
/// its `post` ran for, so that the test can see which runs happened.
#[derive(Default)]
struct AsyncErrorNode {
    posted: Arc<Mutex<Vec<&'static str>>>,
}

#[node]
impl AsyncErrorNode {
    async fn post(
        &self,
        _shared: &mut Shared,
        _prep: (),
        _exec: (),
        params: &Key,
    ) -> Result<&'static str, ValueError> {
        let key = params.key;
        self.posted.lock().unwrap().push(key);
        if key == "error_key" {
            return Err(ValueError(format!("Async error processing key: {key}")));
        }
        Ok("processed")
    }
}

/// Ports `TestAsyncBatchFlow.test_basic_async_batch_processing`.
#[tokio::test(start_paused = true)]
async fn test_basic_async_batch_processing() {
    struct SimpleTestAsyncBatchFlow;
    #[batch_flow]
    impl SimpleTestAsyncBatchFlow {
        async fn prep(&self, shared: &Shared) -> Vec<Key> {
            keys(shared)
        }
    }

    let mut shared = Shared::new(vec![("a", 1), ("b", 2), ("c", 3)]);

    let process_node = AsyncDataProcessNode;
    let flow = SimpleTestAsyncBatchFlow.over(flow! { process_node });
    let start = Instant::now();
    let action = flow.run(&mut shared).await.unwrap();

    assert_eq!(
        shared.results,
        Some(vec![
            ("a", 2), // 1 * 2
            ("b", 4), // 2 * 2
            ("c", 6), // 3 * 2
        ])
    );
    // One run per key, one after another: three 10 ms posts.
    assert_eq!(start.elapsed(), 3 * TICK);
    // Python's batch flow returns `None`; one without `post` returns the default action.
    assert_eq!(action, Action::DEFAULT);
}

/// Ports `TestAsyncBatchFlow.test_empty_async_batch`.
#[tokio::test(start_paused = true)]
async fn test_empty_async_batch() {
    struct EmptyTestAsyncBatchFlow;
    #[batch_flow]
    impl EmptyTestAsyncBatchFlow {
        async fn prep(&self, shared: &Shared) -> Vec<Key> {
            keys(shared)
        }
    }

    let mut shared = Shared::new(vec![]);

    let process_node = AsyncDataProcessNode;
    let flow = EmptyTestAsyncBatchFlow.over(flow! { process_node });
    let start = Instant::now();
    let action = flow.run(&mut shared).await.unwrap();

    // Python: `shared.get('results', {}) == {}`. No run happened, so `results` was never created.
    assert_eq!(shared.results, None);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(action, Action::DEFAULT);
}

/// Ports `TestAsyncBatchFlow.test_async_error_handling`.
#[tokio::test(start_paused = true)]
async fn test_async_error_handling() {
    struct ErrorTestAsyncBatchFlow;
    #[batch_flow]
    impl ErrorTestAsyncBatchFlow {
        async fn prep(&self, shared: &Shared) -> Vec<Key> {
            keys(shared)
        }
    }

    let mut shared = Shared::new(vec![
        ("normal_key", 1),
        ("error_key", 2),
        ("another_key", 3),
    ]);

    let error_node = AsyncErrorNode::default();
    let posted = error_node.posted.clone();
    let flow = ErrorTestAsyncBatchFlow.over(flow! { error_node });
    let err = flow.run(&mut shared).await.unwrap_err();

    // Python: `assertRaises(ValueError)`, raised from `post_async` (so no retry or fallback).
    assert_eq!(err.kind(), ErrorKind::Phase);
    assert_eq!(err.node(), "AsyncErrorNode");
    assert_eq!(err.path(), ["error_node"]);
    assert_eq!(err.phase(), Some(Phase::Post));
    assert_eq!(err.attempts(), 0); // only exec counts attempts
    // `item()` indexes the items of a batch *node*; the node that failed here is a plain node
    // (the run it failed in is named by its params, in the message).
    assert_eq!(err.item(), None);
    let source = err.source().expect("the user's error is the source");
    assert_eq!(
        source.downcast_ref::<ValueError>(),
        Some(&ValueError("Async error processing key: error_key".into()))
    );
    assert_eq!(
        err.to_string(),
        "step `error_node` (node `AsyncErrorNode`) failed in post, in the run for item 1 \
         (Key { key: \"error_key\" }): Async error processing key: error_key"
    );
    // The runs go in key order and the failure ends the batch: `another_key` never ran.
    assert_eq!(*posted.lock().unwrap(), ["normal_key", "error_key"]);
    assert_eq!(shared.results, None);
}

/// Ports `TestAsyncBatchFlow.test_nested_async_flow`.
#[tokio::test(start_paused = true)]
async fn test_nested_async_flow() {
    struct AsyncInnerNode;
    #[node]
    impl AsyncInnerNode {
        async fn post(
            &self,
            shared: &mut Shared,
            _prep: (),
            _exec: (),
            params: &Key,
        ) -> Result<&'static str, String> {
            let key = params.key;
            let input = get(&shared.input_data, key)?;
            set(&mut shared.intermediate_results, key, input + 1);
            sleep(TICK).await;
            Ok("next")
        }
    }

    struct AsyncOuterNode;
    #[node]
    impl AsyncOuterNode {
        async fn post(
            &self,
            shared: &mut Shared,
            _prep: (),
            _exec: (),
            params: &Key,
        ) -> Result<&'static str, String> {
            let key = params.key;
            let intermediate_results = shared
                .intermediate_results
                .as_deref()
                .ok_or("KeyError: 'intermediate_results'")?;
            let intermediate = get(intermediate_results, key)?;
            set(&mut shared.results, key, intermediate * 2);
            sleep(TICK).await;
            Ok("done")
        }
    }

    struct NestedAsyncBatchFlow;
    #[batch_flow]
    impl NestedAsyncBatchFlow {
        async fn prep(&self, shared: &Shared) -> Vec<Key> {
            keys(shared)
        }
    }

    // Create inner flow
    let inner_node = AsyncInnerNode;
    let outer_node = AsyncOuterNode;
    let sub_flow = flow! { inner_node - "next" >> outer_node };

    let mut shared = Shared::new(vec![("x", 1), ("y", 2)]);

    let (logs, _guard) = pocketflow_tests::capture_logs();
    let flow = NestedAsyncBatchFlow.over(sub_flow);
    let start = Instant::now();
    let action = flow.run(&mut shared).await.unwrap();

    assert_eq!(
        shared.results,
        Some(vec![
            ("x", 4), // (1 + 1) * 2
            ("y", 6), // (2 + 1) * 2
        ])
    );
    assert_eq!(shared.intermediate_results, Some(vec![("x", 2), ("y", 3)]));
    // Two runs of two 10 ms posts, one after another.
    assert_eq!(start.elapsed(), 4 * TICK);
    assert_eq!(action, Action::DEFAULT);
    // "done" leaves `outer_node`, which has no edges: each run ends quietly.
    assert_eq!(logs.warnings(), Vec::<String>::new());
}

/// Ports `TestAsyncBatchFlow.test_custom_async_parameters`.
#[tokio::test(start_paused = true)]
async fn test_custom_async_parameters() {
    /// Python's per-run params `{'key': k, 'multiplier': i + 1}`. Every Python item has a
    /// multiplier, so the node's `self.params.get('multiplier', 1)` default never applies; the
    /// typed field is always there.
    struct CustomParams {
        key: &'static str,
        multiplier: i64,
    }

    struct CustomParamAsyncNode;
    #[node]
    impl CustomParamAsyncNode {
        async fn post(
            &self,
            shared: &mut Shared,
            _prep: (),
            _exec: (),
            params: &CustomParams,
        ) -> Result<&'static str, String> {
            let key = params.key;
            let multiplier = params.multiplier;
            sleep(TICK).await;
            let data = get(&shared.input_data, key)?;
            set(&mut shared.results, key, data * multiplier);
            Ok("done")
        }
    }

    struct CustomParamAsyncBatchFlow;
    #[batch_flow]
    impl CustomParamAsyncBatchFlow {
        async fn prep(&self, shared: &Shared) -> Vec<CustomParams> {
            shared
                .input_data
                .iter()
                .enumerate()
                .map(|(i, &(key, _))| CustomParams {
                    key,
                    multiplier: i as i64 + 1,
                })
                .collect()
        }
    }

    let mut shared = Shared::new(vec![("a", 1), ("b", 2), ("c", 3)]);

    let custom_node = CustomParamAsyncNode;
    let flow = CustomParamAsyncBatchFlow.over(flow! { custom_node });
    let start = Instant::now();
    let action = flow.run(&mut shared).await.unwrap();

    assert_eq!(
        shared.results,
        Some(vec![
            ("a", 1), // 1 * 1: first item, multiplier = 1
            ("b", 4), // 2 * 2: second item, multiplier = 2
            ("c", 9), // 3 * 3: third item, multiplier = 3
        ])
    );
    assert_eq!(start.elapsed(), 3 * TICK);
    assert_eq!(action, Action::DEFAULT);
}
