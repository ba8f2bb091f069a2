//! Port of PocketFlow's `tests/test_flow_composition.py` (class `TestFlowComposition`).
//!
//! Python nests flows with `Flow(start=other_flow)` and wires flows with `>>` like nodes. Here a
//! flow built with `flow!` is a node, so it is named in an enclosing `flow!` like any other.
//!
//! Python's `post` returning `None` means "default"; here `()` means [`Action::DEFAULT`]
//! (SPEC section 9), so Python's `assertIsNone(last_action)` becomes
//! `assert_eq!(last_action, Action::DEFAULT)`.

use pocketflow::prelude::*;

/// The shared store. Python's test reads it with `shared.get(..)`, which is `None` for a key
/// never written, so the keys are `Option`s.
#[derive(Debug, Default)]
struct Shared {
    current: Option<i64>,
    last_signal_emitted: Option<String>,
    path_taken: Option<String>,
}

impl Shared {
    /// Python's `shared['current']`, which raises `KeyError` when no node wrote it.
    fn current_mut(&mut self) -> Result<&mut i64, &'static str> {
        self.current.as_mut().ok_or("KeyError: 'current'")
    }
}

/// `NumberNode(number)`: prep sets `current`; post returns the default action.
struct NumberNode {
    number: i64,
}

#[node]
impl NumberNode {
    fn prep(&self, shared: &mut Shared) {
        shared.current = Some(self.number);
    }
}

/// `AddNode(number)`: prep adds to `current`; post returns the default action.
struct AddNode {
    number: i64,
}

#[node]
impl AddNode {
    fn prep(&self, shared: &mut Shared) -> Result<(), &'static str> {
        *shared.current_mut()? += self.number;
        Ok(())
    }
}

/// `MultiplyNode(number)`: prep multiplies `current`; post returns the default action.
struct MultiplyNode {
    number: i64,
}

#[node]
impl MultiplyNode {
    fn prep(&self, shared: &mut Shared) -> Result<(), &'static str> {
        *shared.current_mut()? *= self.number;
        Ok(())
    }
}

/// `SignalNode(signal)`: post records `signal` in `last_signal_emitted` and returns it.
struct SignalNode {
    signal: &'static str,
}

#[node]
impl SignalNode {
    fn post(&self, shared: &mut Shared) -> &'static str {
        shared.last_signal_emitted = Some(self.signal.to_owned());
        self.signal
    }
}

/// `PathNode(path_id)`: prep records `path_id` in `path_taken`; post returns the default action.
struct PathNode {
    path_id: &'static str,
}

#[node]
impl PathNode {
    fn prep(&self, shared: &mut Shared) {
        shared.path_taken = Some(self.path_id.to_owned());
    }
}

/// Ports `test_flow_as_node`.
// Python: `f1 = Flow(start=NumberNode(5)); f1 >> AddNode(10) >> MultiplyNode(2)`. Python's
// `f1 >> AddNode(10)` wires the add after `f1` *as a successor of the flow object*, yet `f1` is
// the start of `f2` (`Flow(start=f1)`), whose orchestration follows `f1`'s successors; so the
// path is NumberNode(5) (inside f1) -> AddNode(10) -> MultiplyNode(2). Here those edges are
// written in `f2`, the flow that follows them; `f3 = Flow(start=f2)` wraps it.
#[tokio::test]
async fn flow_as_node() {
    let mut shared = Shared::default();
    let number = NumberNode { number: 5 };
    let f1 = flow! { number };
    let add = AddNode { number: 10 };
    let multiply = MultiplyNode { number: 2 };
    let f2 = flow! { f1 >> add >> multiply };
    let f3 = flow! { f2 };

    let last_action = f3.run(&mut shared).await.unwrap();

    assert_eq!(shared.current, Some(30)); // (5 + 10) * 2
    // Not asserted in Python: the outer flow returns MultiplyNode's default action.
    assert_eq!(last_action, Action::DEFAULT);
}

/// Ports `test_nested_flow`.
// Python: `inner_flow = Flow(start=NumberNode(5)); inner_flow >> AddNode(3)`,
// `middle_flow = Flow(start=inner_flow); middle_flow >> MultiplyNode(4)`,
// `wrapper_flow = Flow(start=middle_flow)`. A successor wired on a flow object is followed by
// the flow that flow starts: `AddNode(3)` runs in middle_flow (after inner_flow) and
// `MultiplyNode(4)` runs in wrapper_flow (after middle_flow). The `flow!`s below put each edge
// in that flow.
#[test]
fn nested_flow() {
    let mut shared = Shared::default();
    let number = NumberNode { number: 5 };
    let inner_flow = flow! { number };
    let add = AddNode { number: 3 };
    let middle_flow = flow! { inner_flow >> add };
    let multiply = MultiplyNode { number: 4 };
    let wrapper_flow = flow! { middle_flow >> multiply };

    let last_action = wrapper_flow.run_blocking(&mut shared).unwrap();

    assert_eq!(shared.current, Some(32)); // (5 + 3) * 4
    // Not asserted in Python: the outer flow returns MultiplyNode's default action.
    assert_eq!(last_action, Action::DEFAULT);
}

/// Ports `test_flow_chaining_flows`.
// flow1: NumberNode(10) -> AddNode(10); flow2: MultiplyNode(2); `flow1 >> flow2` follows
// flow1's last action (AddNode's default) to flow2; wrapper_flow starts with flow1.
#[tokio::test]
async fn flow_chaining_flows() {
    let mut shared = Shared::default();
    let numbernode = NumberNode { number: 10 };
    let add = AddNode { number: 10 };
    let flow1 = flow! { numbernode >> add };
    let multiply = MultiplyNode { number: 2 };
    let flow2 = flow! { multiply };
    let wrapper_flow = flow! { flow1 >> flow2 };

    let last_action = wrapper_flow.run(&mut shared).await.unwrap();

    assert_eq!(shared.current, Some(40)); // (10 + 10) * 2
    // Not asserted in Python: the outer flow returns flow2's (MultiplyNode's) default action.
    assert_eq!(last_action, Action::DEFAULT);
}

/// Ports `test_composition_with_action_propagation`.
// The inner flow ends with SignalNode("inner_done"), so the inner flow's action is
// `"inner_done"` and the outer flow branches on it. Python sets the outer start with
// `outer_flow.start(inner_flow)`; here `inner_flow` is the first name in the outer `flow!`.
#[test]
fn composition_with_action_propagation() {
    let mut shared = Shared::default();

    let inner_start_node = NumberNode { number: 100 };
    let inner_end_node = SignalNode {
        signal: "inner_done",
    };
    let inner_flow = flow! { inner_start_node >> inner_end_node };

    let path_a_node = PathNode { path_id: "A" };
    let path_b_node = PathNode { path_id: "B" };

    let outer_flow = flow! {
        inner_flow - "inner_done" >> path_b_node;
        inner_flow - "other_action" >> path_a_node;
    };

    // inner_start -> inner_end -> path_b
    let last_action_outer = outer_flow.run_blocking(&mut shared).unwrap();

    assert_eq!(shared.current, Some(100));
    assert_eq!(shared.last_signal_emitted.as_deref(), Some("inner_done"));
    assert_eq!(shared.path_taken.as_deref(), Some("B"));
    // Python: `assertIsNone(last_action_outer)`; path_b_node's post returns the default action.
    assert_eq!(last_action_outer, Action::DEFAULT);
}

mod shared_nodes {
    //! One node or flow value in several places (SPEC section 5): `&N` and `Arc<N>` are nodes.

    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use pocketflow::prelude::*;

    /// Logs its name and the item; counts its runs on the node itself.
    struct Step {
        name: &'static str,
        runs: AtomicU32,
    }

    fn step(name: &'static str) -> Step {
        Step {
            name,
            runs: AtomicU32::new(0),
        }
    }

    #[node]
    impl Step {
        fn exec(&self) {
            self.runs.fetch_add(1, Ordering::Relaxed);
        }
        fn post(&self, log: &mut Vec<String>, _: (), _: (), item: &u32) {
            log.push(format!("{}{item}", self.name));
        }
    }

    struct Each;
    #[batch_flow]
    impl Each {
        fn prep(&self, _: &Vec<String>) -> Vec<u32> {
            vec![1, 2]
        }
    }

    struct EachAtOnce;
    #[batch_flow(parallel)]
    impl EachAtOnce {
        fn prep(&self, _: &Vec<String>) -> Vec<u32> {
            vec![3, 4]
        }
    }

    #[test]
    fn one_sub_flow_serves_a_sequential_and_a_parallel_batch_flow() {
        let (load, save) = (step("load"), step("save"));
        let base = flow! { load >> save };
        let (one_by_one, at_once) = (Each.over(&base), EachAtOnce.over(&base));
        let both = flow! { one_by_one >> at_once };
        let mut log = Vec::new();
        both.run_blocking(&mut log).unwrap();
        log[4..].sort();
        assert_eq!(
            log,
            [
                "load1", "save1", "load2", "save2", "load3", "load4", "save3", "save4"
            ]
        );
    }

    #[tokio::test]
    async fn a_node_by_reference_or_arc_is_a_step_of_several_flows() {
        let shared = Arc::new(step("shared"));
        let (first, again) = (Arc::clone(&shared), &*shared);
        let other = step("other");
        let twice = flow! { first >> other >> again };
        let mut log = Vec::new();
        twice.run_with(&mut log, &7).await.unwrap();
        assert_eq!(log, ["shared7", "other7", "shared7"]);
        // The very node ran both times: its state is one.
        assert_eq!(shared.runs.load(Ordering::Relaxed), 2);
        assert!(twice.to_mermaid().contains("first --> other"));
    }
}

mod lifetimes {
    //! A node generic over a lifetime whose `post` takes a shorter-lived value than `prep`
    //! returns compiles, as the call itself does.

    use pocketflow::prelude::*;

    struct Greeting<'a> {
        name: &'a str,
    }

    #[node]
    impl<'a> Greeting<'a> {
        fn prep(&self, _: &Vec<String>) -> &'static str {
            "hello"
        }
        fn exec(&self, word: &&'static str) -> String {
            format!("{word} {}", self.name)
        }
        fn post(&self, log: &mut Vec<String>, word: &'a str, line: String) {
            log.push(format!("{word}: {line}"));
        }
    }

    #[test]
    fn a_post_may_take_a_value_for_less_than_it_lives() {
        let name = String::from("ada");
        let greeting = Greeting { name: &name };
        let mut log = Vec::new();
        greeting.run_blocking(&mut log).unwrap();
        assert_eq!(log, ["hello: hello ada"]);
    }
}
