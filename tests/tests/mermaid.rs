//! `flow.to_mermaid()`: exact text for plain, labelled, typed, nested and batch flows.

use pocketflow::prelude::*;

struct Step;

#[node]
impl Step {
    fn post(&self, _: &mut ()) -> &'static str {
        "done"
    }
}

#[derive(Action, Clone, Copy)]
enum Verdict {
    Approve,
    #[default]
    NeedsReview,
}

struct Review;

#[node]
impl Review {
    fn post(&self, _: &mut ()) -> Verdict {
        Verdict::Approve
    }
}

#[test]
fn a_lone_node_is_one_box() {
    let only = Step;
    assert_eq!(
        flow! { only }.to_mermaid(),
        "flowchart TD\n    only[\"only\"]\n"
    );
}

#[test]
fn edges_come_in_source_order_with_their_labels() {
    let (load, review, publish) = (Step, Review, Step);
    let flow = flow! {
        load >> review;
        review - Verdict::Approve >> publish;
        review - Verdict::NeedsReview >> review;
    };
    assert_eq!(
        flow.to_mermaid(),
        r#"flowchart TD
    load["load"]
    review["review"]
    publish["publish"]
    load --> review
    review -- "approve" --> publish
    review -- "needs_review" --> review
"#
    );
}

/// `end` is a Mermaid keyword: its node gets the id `end_`, keeping its name.
#[test]
fn nested_flows_are_subgraphs() {
    let (a, b) = (Step, Step);
    let inner = flow! { a - "done" >> b };
    let (start, end) = (Step, Step);
    let outer = flow! {
        start >> inner;
        inner - "done" >> end;
    };
    assert_eq!(
        outer.to_mermaid(),
        r#"flowchart TD
    start["start"]
    subgraph inner ["inner"]
        inner_a["a"]
        inner_b["b"]
        inner_a -- "done" --> inner_b
    end
    end_["end"]
    start --> inner
    inner -- "done" --> end_
"#
    );
}

struct Twice;

#[batch_flow]
impl Twice {
    fn prep(&self, _: &()) -> [u8; 2] {
        [1, 2]
    }
}

struct PerItem;

#[node]
impl PerItem {
    fn prep(&self, _: &(), _item: &u8) {}
}

#[test]
fn a_batch_flow_is_a_subgraph_around_its_sub_flow() {
    let (first, second) = (PerItem, PerItem);
    let each = Twice.over(flow! { first >> second });
    let done = Step;
    let flow = flow! { each >> done };
    assert_eq!(
        flow.to_mermaid(),
        r#"flowchart TD
    subgraph each ["each: Twice over each item"]
        subgraph each_each ["each"]
            each_each_first["first"]
            each_each_second["second"]
            each_each_first --> each_each_second
        end
    end
    done["done"]
    each --> done
"#
    );
}
