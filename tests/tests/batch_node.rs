//! Ports of PocketFlow's `tests/test_batch_node.py` (class `TestBatchNode`).
//!
//! Python's tests are synchronous (`node.run(shared)`, `Flow.run(shared)`), so these use our
//! synchronous entry point, `run_blocking`, from plain `#[test]`s. Python's shared dict becomes
//! [`Shared`]; a key the Python test reads with `shared['key']` (a `KeyError` when it was never
//! written) is an `Option`, so "never written" stays distinguishable from an empty or zero value.

use pocketflow::prelude::*;

#[derive(Default)]
struct Shared {
    input_array: Vec<i64>,
    chunk_results: Option<Vec<i64>>,
    total: Option<i64>,
}

/// Python's `ArrayChunkNode(BatchNode)`: splits `input_array` into chunks of `chunk_size` and
/// sums each chunk.
struct ArrayChunkNode {
    chunk_size: usize,
}

#[batch_node]
impl ArrayChunkNode {
    fn prep(&self, shared: &Shared) -> Vec<Vec<i64>> {
        // Get array from shared storage and split into chunks (the last one may be shorter).
        shared
            .input_array
            .chunks(self.chunk_size)
            .map(<[i64]>::to_vec)
            .collect()
    }

    fn exec(&self, chunk: &[i64]) -> i64 {
        // Process the chunk and return its sum.
        chunk.iter().sum()
    }

    fn post(&self, shared: &mut Shared, _chunks: Vec<Vec<i64>>, sums: Vec<i64>) -> &'static str {
        // Store chunk results in shared storage.
        shared.chunk_results = Some(sums);
        "default"
    }
}

/// Python's `SumReduceNode(Node)`: its `prep` sums the chunk results and writes `total`.
struct SumReduceNode;

#[node]
impl SumReduceNode {
    fn prep(&self, shared: &mut Shared) {
        let chunk_results = shared.chunk_results.as_deref().unwrap_or_default();
        let total = chunk_results.iter().sum();
        shared.total = Some(total);
    }
}

/// Runs `chunk_node >> reduce_node` as a flow on `array`; returns the shared store.
fn map_reduce(array: Vec<i64>, chunk_size: usize) -> Shared {
    let mut shared_storage = Shared {
        input_array: array,
        ..Shared::default()
    };
    let chunk_node = ArrayChunkNode { chunk_size };
    let reduce_node = SumReduceNode;
    let pipeline = flow! { chunk_node >> reduce_node };
    let action = pipeline.run_blocking(&mut shared_storage).unwrap();
    // The flow returns the last action: the reduce node's default one.
    assert_eq!(action, Action::DEFAULT);
    shared_storage
}

/// Ports `TestBatchNode.test_array_chunking`.
#[test]
fn test_array_chunking() {
    let mut shared_storage = Shared {
        input_array: (0..25).collect(), // [0,1,2,...,24]
        ..Shared::default()
    };

    let chunk_node = ArrayChunkNode { chunk_size: 10 };
    let action = chunk_node.run_blocking(&mut shared_storage).unwrap();
    assert_eq!(action, "default");

    let results = shared_storage.chunk_results.unwrap();
    assert_eq!(results, [45, 145, 110]);
    // A lone node never touches what only the reduce node writes.
    assert_eq!(shared_storage.total, None);
}

/// Ports `TestBatchNode.test_map_reduce_sum`.
#[test]
fn test_map_reduce_sum() {
    // Create test array: [0,1,2,...,99]
    let array: Vec<i64> = (0..100).collect();
    let expected_sum: i64 = array.iter().sum();
    assert_eq!(expected_sum, 4950);

    let shared_storage = map_reduce(array, 10);

    assert_eq!(shared_storage.total, Some(expected_sum));
}

/// Ports `TestBatchNode.test_uneven_chunks`.
#[test]
fn test_uneven_chunks() {
    let array: Vec<i64> = (0..25).collect();
    let expected_sum: i64 = array.iter().sum();
    assert_eq!(expected_sum, 300);

    let shared_storage = map_reduce(array, 10);

    assert_eq!(shared_storage.total, Some(expected_sum));
    assert_eq!(shared_storage.chunk_results, Some(vec![45, 145, 110]));
}

/// Ports `TestBatchNode.test_custom_chunk_size`.
#[test]
fn test_custom_chunk_size() {
    let array: Vec<i64> = (0..100).collect();
    let expected_sum: i64 = array.iter().sum();
    assert_eq!(expected_sum, 4950);

    // Use chunk_size=15 instead of default 10
    let shared_storage = map_reduce(array, 15);

    assert_eq!(shared_storage.total, Some(expected_sum));
    // ceil(100 / 15) = 7 chunks, the last one [90..99].
    assert_eq!(
        shared_storage.chunk_results,
        Some(vec![105, 330, 555, 780, 1005, 1230, 945])
    );
}

/// Ports `TestBatchNode.test_single_element_chunks`.
#[test]
fn test_single_element_chunks() {
    let array: Vec<i64> = (0..5).collect();
    let expected_sum: i64 = array.iter().sum();
    assert_eq!(expected_sum, 10);

    let shared_storage = map_reduce(array, 1);

    assert_eq!(shared_storage.total, Some(expected_sum));
    assert_eq!(shared_storage.chunk_results, Some(vec![0, 1, 2, 3, 4]));
}

/// Ports `TestBatchNode.test_empty_array`.
#[test]
fn test_empty_array() {
    let shared_storage = map_reduce(Vec::new(), 10);

    assert_eq!(shared_storage.total, Some(0));
    // The empty batch still reaches `post`, with no results.
    assert_eq!(shared_storage.chunk_results, Some(vec![]));
}
