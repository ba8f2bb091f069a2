//! Port of PocketFlow's `tests/test_flow_basic.py` (class `TestFlowBasic`).
//!
//! Python builds flows at run time with `Flow()`, `pipeline.start(node)`, `.next(..)` and the
//! `>>` / `- "action" >>` operators on node objects. Here the wiring is written once in
//! `flow!`, whose first name is the start node; each test notes which Python construct its
//! `flow!` stands for.
//!
//! Python's `post` returning `None` (a falsy action) means "default". Here `post` returning
//! `()` or `None` means [`Action::DEFAULT`] (SPEC section 9), so where Python asserts that the
//! last action `is None`, these tests assert that it is `Action::DEFAULT`.

use pocketflow::prelude::*;

/// The shared store: Python's `shared_storage['current']`.
#[derive(Debug, Default)]
struct Shared {
    current: i64,
}

/// `NumberNode(number)`: prep sets `current`; post returns the default action.
struct NumberNode {
    number: i64,
}

#[node]
impl NumberNode {
    fn prep(&self, shared: &mut Shared) {
        shared.current = self.number;
    }
}

/// `AddNode(number)`: prep adds to `current`; post returns the default action.
struct AddNode {
    number: i64,
}

#[node]
impl AddNode {
    fn prep(&self, shared: &mut Shared) {
        shared.current += self.number;
    }
}

/// `MultiplyNode(number)`: prep multiplies `current`; post returns the default action.
struct MultiplyNode {
    number: i64,
}

#[node]
impl MultiplyNode {
    fn prep(&self, shared: &mut Shared) {
        shared.current *= self.number;
    }
}

/// `CheckPositiveNode`: branches on the sign of `current`.
struct CheckPositiveNode;

#[node]
impl CheckPositiveNode {
    fn post(&self, shared: &mut Shared) -> &'static str {
        if shared.current >= 0 {
            "positive"
        } else {
            "negative"
        }
    }
}

/// `NoOpNode`: a placeholder that does nothing.
struct NoOpNode;

#[node]
impl NoOpNode {}

/// `EndSignalNode(signal)`: post returns `signal`.
struct EndSignalNode {
    signal: &'static str,
}

#[node]
impl EndSignalNode {
    fn post(&self, _shared: &mut Shared) -> &'static str {
        self.signal
    }
}

/// The local `ActionNode` of the two `test_flow_ends_warning_*` tests: post returns
/// `"specific_action"`. Python's `test_flow_ends_warning_default_missing` then replaces the
/// instance's `post` with a lambda returning `None`; Rust cannot patch a method on one value,
/// so that switch is a field: `returns_none: true` is the patched node.
struct ActionNode {
    returns_none: bool,
}

#[node]
impl ActionNode {
    fn post(&self, _shared: &mut Shared) -> Option<&'static str> {
        if self.returns_none {
            None
        } else {
            Some("specific_action")
        }
    }
}

/// Ports `test_start_method_initialization`.
// Python creates `Flow()` and sets its start node with `pipeline.start(n1)`; a flow here has
// no `start()` method: the first (here the only) name in `flow!` is the start node.
#[tokio::test]
async fn start_method_initialization() {
    let mut shared = Shared::default();
    let n1 = NumberNode { number: 5 };
    let pipeline = flow! { n1 };

    let last_action = pipeline.run(&mut shared).await.unwrap();

    assert_eq!(shared.current, 5);
    // Python: `assertIsNone(last_action)`; NumberNode's post returns the default action.
    assert_eq!(last_action, Action::DEFAULT);
}

/// Ports `test_start_method_chaining`.
// Python chains `pipeline.start(NumberNode(5)).next(AddNode(3)).next(MultiplyNode(2))`, one
// `next` (a default edge) at a time; here each `.next(..)` is its own `a >> b;` statement and
// the start node is the first name.
#[test]
fn start_method_chaining() {
    let mut shared = Shared::default();
    let number = NumberNode { number: 5 };
    let add = AddNode { number: 3 };
    let multiply = MultiplyNode { number: 2 };
    let pipeline = flow! {
        number >> add;
        add >> multiply;
    };

    let last_action = pipeline.run_blocking(&mut shared).unwrap();

    assert_eq!(shared.current, 16);
    // Python: `assertIsNone(last_action)`; MultiplyNode's post returns the default action.
    assert_eq!(last_action, Action::DEFAULT);
}

/// Ports `test_sequence_with_rshift`.
// Python: `pipeline.start(n1) >> n2 >> n3`, i.e. one `>>` chain starting at the start node.
#[tokio::test]
async fn sequence_with_rshift() {
    let mut shared = Shared::default();
    let n1 = NumberNode { number: 5 };
    let n2 = AddNode { number: 3 };
    let n3 = MultiplyNode { number: 2 };
    let pipeline = flow! { n1 >> n2 >> n3 };

    let last_action = pipeline.run(&mut shared).await.unwrap();

    assert_eq!(shared.current, 16);
    // Python: `assertIsNone(last_action)`; n3's post returns the default action.
    assert_eq!(last_action, Action::DEFAULT);
}

/// Ports `test_branching_positive`.
#[test]
fn branching_positive() {
    let mut shared = Shared::default();
    let start_node = NumberNode { number: 5 };
    let check_node = CheckPositiveNode;
    let add_if_positive = AddNode { number: 10 };
    let add_if_negative = AddNode { number: -20 };
    let pipeline = flow! {
        start_node >> check_node;
        check_node - "positive" >> add_if_positive;
        check_node - "negative" >> add_if_negative;
    };

    // start_node -> check_node -> add_if_positive
    let last_action = pipeline.run_blocking(&mut shared).unwrap();

    assert_eq!(shared.current, 15); // 5 + 10
    // Python: `assertIsNone(last_action)`; add_if_positive's post returns the default action.
    assert_eq!(last_action, Action::DEFAULT);
}

/// Ports `test_branching_negative`.
#[tokio::test]
async fn branching_negative() {
    let mut shared = Shared::default();
    let start_node = NumberNode { number: -5 };
    let check_node = CheckPositiveNode;
    let add_if_positive = AddNode { number: 10 };
    let add_if_negative = AddNode { number: -20 };
    let pipeline = flow! {
        start_node >> check_node;
        check_node - "positive" >> add_if_positive;
        check_node - "negative" >> add_if_negative;
    };

    // start_node -> check_node -> add_if_negative
    let last_action = pipeline.run(&mut shared).await.unwrap();

    assert_eq!(shared.current, -25); // -5 + -20
    // Python: `assertIsNone(last_action)`; add_if_negative's post returns the default action.
    assert_eq!(last_action, Action::DEFAULT);
}

/// Ports `test_cycle_until_negative_ends_with_signal`.
#[test]
fn cycle_until_negative_ends_with_signal() {
    let mut shared = Shared::default();
    let n1 = NumberNode { number: 10 };
    let check = CheckPositiveNode;
    let subtract3 = AddNode { number: -3 };
    let end_node = EndSignalNode {
        signal: "cycle_done",
    };
    let pipeline = flow! {
        n1 >> check;
        check - "positive" >> subtract3;
        check - "negative" >> end_node;
        subtract3 >> check;
    };

    // n1->check->sub3->check->sub3->check->sub3->check->sub3->check->end_node
    let last_action = pipeline.run_blocking(&mut shared).unwrap();

    assert_eq!(shared.current, -2); // 10 -> 7 -> 4 -> 1 -> -2
    assert_eq!(last_action, "cycle_done");
}

/// Ports `test_flow_ends_warning_default_missing`.
// Python patches `start_node.post` to return `None` and expects exactly one UserWarning
// containing `Flow ends: 'None' not found in ['specific_action']`. Here `None` means the
// default action (SPEC section 9), so the flow looks for a `"default"` edge, finds only
// `"specific_action"`, and ends with one tracing WARN that names the step, the action
// (`"default"`, where Python prints `'None'`) and the edges.
#[tokio::test]
async fn flow_ends_warning_default_missing() {
    let (logs, _guard) = pocketflow_tests::capture_logs();
    let mut shared = Shared::default();
    // `returns_none: true` stands for Python's `start_node.post = lambda ...: None`.
    let start_node = ActionNode { returns_none: true };
    let next_node = NoOpNode;
    let pipeline = flow! {
        start_node - "specific_action" >> next_node;
    };

    let last_action = pipeline.run(&mut shared).await.unwrap();

    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let warning = &warnings[0];
    assert!(warning.contains("flow ends"), "{warning}");
    assert!(warning.contains("start_node"), "{warning}");
    assert!(warning.contains(r#"action "default""#), "{warning}");
    assert!(warning.contains(r#"["specific_action"]"#), "{warning}");
    // Python: `assertIsNone(last_action)`; `None` from post is the default action here.
    assert_eq!(last_action, Action::DEFAULT);
}

/// Ports `test_flow_ends_warning_specific_missing`.
// Python expects exactly one UserWarning containing
// `Flow ends: 'specific_action' not found in ['default']`; here that is one tracing WARN
// naming the step, the action and the edges.
#[test]
fn flow_ends_warning_specific_missing() {
    let (logs, _guard) = pocketflow_tests::capture_logs();
    let mut shared = Shared::default();
    let start_node = ActionNode {
        returns_none: false,
    };
    let next_node = NoOpNode;
    let pipeline = flow! {
        start_node >> next_node;
    };

    let last_action = pipeline.run_blocking(&mut shared).unwrap();

    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let warning = &warnings[0];
    assert!(warning.contains("flow ends"), "{warning}");
    assert!(warning.contains("start_node"), "{warning}");
    assert!(warning.contains(r#"action "specific_action""#), "{warning}");
    assert!(warning.contains(r#"["default"]"#), "{warning}");
    assert_eq!(last_action, "specific_action");
}

/// A shared type that borrows, written with its lifetime elided (`&Words<'_>`), in a node and
/// in a flow, plainly and as the whole of a `&str` shared type.
pub struct Words<'x> {
    words: Vec<&'x str>,
    count: usize,
}

struct CountWords;

#[node]
impl CountWords {
    fn prep(&self, shared: &Words<'_>) -> usize {
        shared.words.len()
    }

    fn post(&self, shared: &mut Words<'_>, count: usize, _: ()) {
        shared.count = count;
    }
}

struct FirstWord;

#[node]
impl FirstWord {
    fn post(&self, shared: &mut (&str, usize)) {
        shared.1 = shared.0.split(' ').next().map_or(0, str::len);
    }
}

#[test]
fn a_shared_type_with_an_elided_lifetime_runs() {
    let text = String::from("a borrowed sentence");
    let mut words = Words {
        words: text.split(' ').collect(),
        count: 0,
    };
    let count = CountWords;
    flow! { count }.run_blocking(&mut words).unwrap();
    assert_eq!(words.count, 3);
    let mut first = (text.as_str(), 0);
    FirstWord.run_blocking(&mut first).unwrap();
    assert_eq!(first.1, 1);
}
