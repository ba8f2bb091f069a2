//! Typed actions and edges: enum variants, the default action, unmatched actions, the empty label.

use pocketflow::prelude::*;
use pocketflow_tests::capture_logs;

#[derive(Action, Clone, Copy, Debug, PartialEq)]
enum Verdict {
    Approve,
    #[default]
    Revise,
    Reject,
}

/// Returns the verdicts of `script` in turn (`None` is the default action).
struct Judge {
    script: Vec<Option<Verdict>>,
}
#[node]
impl Judge {
    fn post(&self, turn: &mut Vec<&'static str>) -> Option<Verdict> {
        let verdict = self.script[turn.len()];
        turn.push("judge");
        verdict
    }
}

struct Mark(&'static str);
#[node]
impl Mark {
    fn post(&self, turn: &mut Vec<&'static str>) -> &'static str {
        turn.push(self.0);
        self.0
    }
}

#[test]
fn typed_edges_match_variants_and_none_follows_the_default_edge() {
    let judge = Judge {
        script: vec![None, Some(Verdict::Revise), Some(Verdict::Approve)],
    };
    let publish = Mark("publish");
    let bin = Mark("bin");
    let flow = flow! {
        judge - Verdict::Approve >> publish;
        judge - Verdict::Reject >> bin;
        judge >> judge;
    };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "publish");
    assert_eq!(turn, ["judge", "judge", "judge", "publish"]);
}

#[test]
fn an_unmatched_typed_action_ends_the_flow_with_a_warning() {
    let (logs, _guard) = capture_logs();
    let judge = Judge {
        script: vec![Some(Verdict::Reject)],
    };
    let publish = Mark("publish");
    let flow = flow! { judge - Verdict::Approve >> publish };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "reject");
    assert_eq!(turn, ["judge"]);
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(r#"flow ends: step `judge` returned action "reject", which has no edge; its edges are ["Verdict::Approve"]"#),
        "{}",
        warnings[0]
    );
}

#[test]
fn a_node_without_edges_ends_the_flow_quietly() {
    let (logs, _guard) = capture_logs();
    let first = Mark("first");
    let last = Mark("last");
    let flow = flow! { first - "first" >> last };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "last");
    assert_eq!(turn, ["first", "last"]);
    assert!(logs.warnings().is_empty(), "{:?}", logs.warnings());
}

#[test]
fn the_empty_string_is_an_ordinary_label() {
    let empty = Mark("");
    let next = Mark("next");
    let flow = flow! { empty - "" >> next };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "next");
    assert_eq!(turn, ["", "next"]);

    // ...and it does not follow a plain edge, which is for the default action only
    let empty = Mark("");
    let next = Mark("next");
    let flow = flow! { empty >> next };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "");
    assert_eq!(turn, [""]);
}
