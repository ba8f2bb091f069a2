//! Ports of PocketFlow's `tests/test_batch_flow.py` (class `TestBatchFlow`).
//!
//! Python's tests are synchronous (`flow.run(shared)`), so these use our synchronous entry
//! point, `run_blocking`, from plain `#[test]`s, with plain `fn` phases.
//!
//! A Python `BatchFlow` subclass with a `prep` becomes a `#[batch_flow]` type, and
//! `MyBatchFlow(start=node)` becomes `MyBatchFlow.over(flow! { node })`. Python hands each run a
//! params dict (`{'key': k}`) that the nodes read from `self.params`; nodes are `&self` during a
//! run here and params are borrowed immutably (SPEC section 9), so each dict is a typed struct,
//! the batch flow's item, and the nodes take it as their `params: &P` argument.
//!
//! Python's shared dict becomes [`Shared`]. Its `input_data` dict keeps insertion order (the
//! order of the runs), so it is a vector of pairs; so are the dicts the nodes create, which also
//! records the order in which the runs wrote them. A dict a node creates on first write
//! (`if 'results' not in shared`) is an `Option`, so "never created" stays distinguishable from
//! "empty".

use std::error::Error as _;
use std::fmt;

use pocketflow::ErrorKind;
use pocketflow::prelude::*;

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

/// Python's shared dict. `V` is the type of the values in `results`: numbers for most tests,
/// `True` for `ErrorProcessNode`.
#[derive(Debug)]
struct Shared<V = i64> {
    input_data: Dict<i64>,
    intermediate_results: Option<Dict<i64>>,
    results: Option<Dict<V>>,
}

impl<V> Shared<V> {
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
fn keys<V>(shared: &Shared<V>) -> Vec<Key> {
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

/// Python's `DataProcessNode`: its `prep` writes `results[key] = input_data[key] * 2`.
struct DataProcessNode;

#[node]
impl DataProcessNode {
    fn prep(&self, shared: &mut Shared, params: &Key) -> Result<(), String> {
        let key = params.key;
        let data = get(&shared.input_data, key)?;
        set(&mut shared.results, key, data * 2);
        Ok(())
    }
}

/// Python's `ErrorProcessNode`: its `prep` raises `ValueError` for `error_key` and otherwise
/// writes `results[key] = True`.
struct ErrorProcessNode;

#[node]
impl ErrorProcessNode {
    fn prep(&self, shared: &mut Shared<bool>, params: &Key) -> Result<(), ValueError> {
        let key = params.key;
        if key == "error_key" {
            return Err(ValueError(format!("Error processing key: {key}")));
        }
        set(&mut shared.results, key, true);
        Ok(())
    }
}

/// Ports `TestBatchFlow.test_basic_batch_processing`.
#[test]
fn test_basic_batch_processing() {
    struct SimpleTestBatchFlow;
    #[batch_flow]
    impl SimpleTestBatchFlow {
        fn prep(&self, shared: &Shared) -> Vec<Key> {
            keys(shared)
        }
    }

    let mut shared = Shared::new(vec![("a", 1), ("b", 2), ("c", 3)]);

    let process_node = DataProcessNode;
    let flow = SimpleTestBatchFlow.over(flow! { process_node });
    let action = flow.run_blocking(&mut shared).unwrap();

    // One run per key, in key order.
    assert_eq!(shared.results, Some(vec![("a", 2), ("b", 4), ("c", 6)]));
    // Python's `BatchFlow.run` returns `None`; a batch flow without `post` returns the default
    // action.
    assert_eq!(action, Action::DEFAULT);
}

/// Ports `TestBatchFlow.test_empty_input`.
#[test]
fn test_empty_input() {
    struct EmptyTestBatchFlow;
    #[batch_flow]
    impl EmptyTestBatchFlow {
        fn prep(&self, shared: &Shared) -> Vec<Key> {
            keys(shared)
        }
    }

    let mut shared = Shared::new(vec![]);

    let process_node = DataProcessNode;
    let flow = EmptyTestBatchFlow.over(flow! { process_node });
    let action = flow.run_blocking(&mut shared).unwrap();

    // Python: `shared.get('results', {}) == {}`. No run happened, so `results` was never created.
    assert_eq!(shared.results, None);
    assert_eq!(action, Action::DEFAULT);
}

/// Ports `TestBatchFlow.test_single_item`.
#[test]
fn test_single_item() {
    struct SingleItemBatchFlow;
    #[batch_flow]
    impl SingleItemBatchFlow {
        fn prep(&self, shared: &Shared) -> Vec<Key> {
            keys(shared)
        }
    }

    let mut shared = Shared::new(vec![("single", 5)]);

    let process_node = DataProcessNode;
    let flow = SingleItemBatchFlow.over(flow! { process_node });
    let action = flow.run_blocking(&mut shared).unwrap();

    assert_eq!(shared.results, Some(vec![("single", 10)]));
    assert_eq!(action, Action::DEFAULT);
}

/// Ports `TestBatchFlow.test_error_handling`.
#[test]
fn test_error_handling() {
    struct ErrorTestBatchFlow;
    #[batch_flow]
    impl ErrorTestBatchFlow {
        fn prep(&self, shared: &Shared<bool>) -> Vec<Key> {
            keys(shared)
        }
    }

    let mut shared = Shared::<bool>::new(vec![
        ("normal_key", 1),
        ("error_key", 2),
        ("another_key", 3),
    ]);

    let error_node = ErrorProcessNode;
    let flow = ErrorTestBatchFlow.over(flow! { error_node });
    let err = flow.run_blocking(&mut shared).unwrap_err();

    // Python: `assertRaises(ValueError)`. The ValueError is the error's source.
    assert_eq!(err.kind(), ErrorKind::Phase);
    assert_eq!(err.node(), "ErrorProcessNode");
    assert_eq!(err.path(), ["error_node"]);
    assert_eq!(err.phase(), Some(Phase::Prep));
    assert_eq!(err.attempts(), 0); // prep failed: exec never ran
    // `item()` indexes the items of a batch *node*; the node that failed here is a plain node
    // (the run it failed in is named by its params, in the message).
    assert_eq!(err.item(), None);
    let source = err.source().expect("the user's error is the source");
    assert_eq!(
        source.downcast_ref::<ValueError>(),
        Some(&ValueError("Error processing key: error_key".into()))
    );
    assert_eq!(
        err.to_string(),
        "step `error_node` (node `ErrorProcessNode`) failed in prep, in the run for item 1 (Key { key: \"error_key\" }): Error processing key: error_key"
    );
    // The runs go in key order and the failure ends the batch: `normal_key` was processed,
    // `another_key` never ran.
    assert_eq!(shared.results, Some(vec![("normal_key", true)]));
}

/// Ports `TestBatchFlow.test_nested_flow`.
#[test]
fn test_nested_flow() {
    // Python's `InnerNode` and `OuterNode` do all their work in `exec`, reaching the test's
    // `shared` dict through a closure. `exec` never sees the shared store here (SPEC sections 2
    // and 7), so each node reads what it needs in `prep`, computes in `exec` and writes in
    // `post`; the key comes from the params in both phases, as Python's `self.params`.
    struct InnerNode;
    #[node]
    impl InnerNode {
        fn prep(&self, shared: &Shared, params: &Key) -> Result<i64, String> {
            get(&shared.input_data, params.key)
        }

        fn exec(&self, input: &i64) -> i64 {
            input + 1
        }

        fn post(&self, shared: &mut Shared, _input: i64, intermediate: i64, params: &Key) {
            set(&mut shared.intermediate_results, params.key, intermediate);
        }
    }

    struct OuterNode;
    #[node]
    impl OuterNode {
        fn prep(&self, shared: &Shared, params: &Key) -> Result<i64, String> {
            let intermediate_results = shared
                .intermediate_results
                .as_deref()
                .ok_or("KeyError: 'intermediate_results'")?;
            get(intermediate_results, params.key)
        }

        fn exec(&self, intermediate: &i64) -> i64 {
            intermediate * 2
        }

        fn post(&self, shared: &mut Shared, _intermediate: i64, result: i64, params: &Key) {
            set(&mut shared.results, params.key, result);
        }
    }

    struct NestedBatchFlow;
    #[batch_flow]
    impl NestedBatchFlow {
        fn prep(&self, shared: &Shared) -> Vec<Key> {
            keys(shared)
        }
    }

    // Create inner flow. Python's `InnerNode` returns `None` (the default action) and its edge
    // is `inner_node >> outer_node`; here `post` returns `()`, the default action.
    let inner_node = InnerNode;
    let outer_node = OuterNode;
    let sub_flow = flow! { inner_node >> outer_node };

    let mut shared = Shared::new(vec![("x", 1), ("y", 2)]);

    let (logs, _guard) = pocketflow_tests::capture_logs();
    let flow = NestedBatchFlow.over(sub_flow);
    let action = flow.run_blocking(&mut shared).unwrap();

    assert_eq!(
        shared.results,
        Some(vec![
            ("x", 4), // (1 + 1) * 2
            ("y", 6), // (2 + 1) * 2
        ])
    );
    assert_eq!(shared.intermediate_results, Some(vec![("x", 2), ("y", 3)]));
    assert_eq!(action, Action::DEFAULT);
    // Both runs follow the default edge and end at a node with no edges: no warning.
    assert_eq!(logs.warnings(), Vec::<String>::new());
}

/// Ports `TestBatchFlow.test_custom_parameters`.
#[test]
fn test_custom_parameters() {
    /// Python's per-run params `{'key': k, 'multiplier': i + 1}`. Every Python item has a
    /// multiplier, so the node's `self.params.get('multiplier', 1)` default never applies; the
    /// typed field is always there.
    struct CustomParams {
        key: &'static str,
        multiplier: i64,
    }

    // Python's `CustomParamNode` does its work in `exec` through a closure over `shared`; as in
    // `test_nested_flow`, it reads in `prep`, computes in `exec`, writes in `post`.
    struct CustomParamNode;
    #[node]
    impl CustomParamNode {
        fn prep(&self, shared: &Shared, params: &CustomParams) -> Result<(i64, i64), String> {
            let data = get(&shared.input_data, params.key)?;
            Ok((data, params.multiplier))
        }

        fn exec(&self, &(data, multiplier): &(i64, i64)) -> i64 {
            data * multiplier
        }

        fn post(&self, shared: &mut Shared, _prep: (i64, i64), result: i64, params: &CustomParams) {
            set(&mut shared.results, params.key, result);
        }
    }

    struct CustomParamBatchFlow;
    #[batch_flow]
    impl CustomParamBatchFlow {
        fn prep(&self, shared: &Shared) -> Vec<CustomParams> {
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

    let custom_node = CustomParamNode;
    let flow = CustomParamBatchFlow.over(flow! { custom_node });
    let action = flow.run_blocking(&mut shared).unwrap();

    assert_eq!(
        shared.results,
        Some(vec![
            ("a", 1), // 1 * 1: first item, multiplier = 1
            ("b", 4), // 2 * 2: second item, multiplier = 2
            ("c", 9), // 3 * 3: third item, multiplier = 3
        ])
    );
    assert_eq!(action, Action::DEFAULT);
}
