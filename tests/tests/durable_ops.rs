//! Operating durable runs (SPEC section 10.1): reading past steps, forking, and resuming a run
//! in a flow whose shape changed since it was saved (`accept_shape`).

use pocketflow::Interrupt;
use pocketflow::durable::{Checkpoints, DurableErrorKind, Memory, Outcome};
use pocketflow::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Doc {
    steps: Vec<String>,
    approved: bool,
}

/// Logs its name.
struct Step(&'static str);

#[node]
impl Step {
    fn post(&self, doc: &mut Doc) {
        doc.steps.push(self.0.to_owned());
    }
}

/// Waits for a person, then logs.
struct Ask;

#[node]
impl Ask {
    fn prep(&self, doc: &Doc) -> Result<(), Interrupt> {
        if doc.approved {
            Ok(())
        } else {
            Err(Interrupt::new("approve"))
        }
    }
    fn post(&self, doc: &mut Doc) {
        doc.steps.push("ask".to_owned());
    }
}

async fn finish<N: Node<Doc> + Sync>(flow: &N, db: &Memory, id: &str) -> Doc {
    let mut doc = Doc::default();
    match flow.durable(db, id).run(&mut doc).await.unwrap() {
        Outcome::Finished(_) => doc,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_fork_goes_on_from_its_step_on_its_own_id_and_leaves_the_original_alone() {
    let db = Memory::new();
    let (a, b, c) = (Step("a"), Step("b"), Step("c"));
    let flow = flow! { a >> b >> c };
    finish(&flow, &db, "original").await;
    let original = flow.durable(&db, "original");
    let before = original.history().await.unwrap();

    let fork = original.fork(1, "fork").await.unwrap();
    assert_eq!(fork.id(), "fork");
    let first = &fork.history().await.unwrap()[0];
    assert_eq!((first.step, first.node.as_deref()), (1, Some("a")));
    fork.update(|doc: &mut Doc| doc.steps.push("edited".into()))
        .await
        .unwrap();
    let mut doc = Doc::default();
    fork.run(&mut doc).await.unwrap();
    assert_eq!(doc.steps, ["a", "edited", "b", "c"]);

    assert_eq!(original.history().await.unwrap(), before);
    let kept: Doc = original.store_at(3).await.unwrap();
    assert_eq!(kept.steps, ["a", "b", "c"]);
    let started: Doc = original.store_at(0).await.unwrap();
    assert!(started.steps.is_empty());
}

#[tokio::test]
async fn a_fork_to_an_id_in_use_or_from_a_step_never_taken_is_an_error() {
    let db = Memory::new();
    let (a, b) = (Step("a"), Step("b"));
    let flow = flow! { a >> b };
    finish(&flow, &db, "one").await;
    finish(&flow, &db, "two").await;
    let one = flow.durable(&db, "one");

    let taken = one.fork(1, "two").await.unwrap_err();
    assert_eq!(taken.durable_kind(), Some(DurableErrorKind::Conflict));
    assert!(
        taken.to_string().contains("run `two` exists already"),
        "{taken}"
    );
    let missing = one.fork(9, "three").await.unwrap_err();
    assert_eq!(missing.durable_kind(), Some(DurableErrorKind::NotFound));
    assert!(db.load("three").await.unwrap().is_none());
    let never = one.store_at::<Doc>(9).await.unwrap_err();
    assert_eq!(never.durable_kind(), Some(DurableErrorKind::NotFound));
    // A store that no longer reads as the type asked for.
    let wrong = one.store_at::<Vec<u32>>(1).await.unwrap_err();
    assert_eq!(wrong.durable_kind(), Some(DurableErrorKind::Unreadable));
}

/// Runs `flow` on run `id` with `accept_shape(true)`: it must refuse with `ShapeChanged`, its
/// message containing `naming`, and write nothing.
async fn refused<N: Node<Doc> + Sync>(flow: &N, db: &Memory, id: &str, naming: &str) {
    let before = db.load(id).await.unwrap().unwrap();
    let error = flow
        .durable(db, id)
        .accept_shape(true)
        .run(&mut Doc::default())
        .await
        .unwrap_err();
    assert_eq!(error.durable_kind(), Some(DurableErrorKind::ShapeChanged));
    assert!(error.to_string().contains(naming), "{error}");
    assert_eq!(db.load(id).await.unwrap().unwrap(), before);
}

/// Runs `old` as run `id` until it waits at `ask`, and approves it.
async fn waiting_at_ask<N: Node<Doc> + Sync>(old: &N, db: &Memory, id: &str) {
    let run = old.durable(db, id);
    let outcome = run.run(&mut Doc::default()).await.unwrap();
    assert!(matches!(outcome, Outcome::Interrupted(_)), "{outcome:?}");
    run.update(|doc: &mut Doc| doc.approved = true)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_run_resumes_in_a_flow_with_a_node_added_after_its_place() {
    let db = Memory::new();
    let (write, ask, publish) = (Step("write"), Ask, Step("publish"));
    waiting_at_ask(&flow! { write >> ask >> publish }, &db, "doc").await;

    let (write, ask, notify, publish) = (Step("write"), Ask, Step("notify"), Step("publish"));
    let new = flow! { write >> ask >> notify >> publish };
    let refused = new.durable(&db, "doc").run(&mut Doc::default()).await;
    assert_eq!(
        refused.unwrap_err().durable_kind(),
        Some(DurableErrorKind::ShapeChanged)
    );
    let run = new.durable(&db, "doc").accept_shape(true);
    let mut doc = Doc::default();
    assert!(matches!(
        run.run(&mut doc).await.unwrap(),
        Outcome::Finished(_)
    ));
    assert_eq!(doc.steps, ["write", "ask", "notify", "publish"]);
    // The run carries the new shape: a run of the new flow has it too.
    let fresh = new.durable(&db, "fresh").run(&mut Doc::default()).await;
    assert!(matches!(fresh, Ok(Outcome::Interrupted(_))));
    let (resumed, fresh) = (
        db.load("doc").await.unwrap(),
        db.load("fresh").await.unwrap(),
    );
    assert_eq!(resumed.unwrap().shape, fresh.unwrap().shape);
}

#[tokio::test]
async fn a_run_resumes_where_a_node_before_its_place_was_removed() {
    let db = Memory::new();
    let (write, check, ask, publish) = (Step("write"), Step("check"), Ask, Step("publish"));
    waiting_at_ask(&flow! { write >> check >> ask >> publish }, &db, "doc").await;
    // `ask` moves from step 2 to step 1.
    let (write, ask, publish) = (Step("write"), Ask, Step("publish"));
    let new = flow! { write >> ask >> publish };
    let mut doc = Doc::default();
    new.durable(&db, "doc")
        .accept_shape(true)
        .run(&mut doc)
        .await
        .unwrap();
    assert_eq!(doc.steps, ["write", "check", "ask", "publish"]);
}

#[tokio::test]
async fn a_run_whose_node_was_renamed_or_removed_is_shape_changed_naming_it() {
    let db = Memory::new();
    let (write, ask, publish) = (Step("write"), Ask, Step("publish"));
    let old = flow! { write >> ask >> publish };
    waiting_at_ask(&old, &db, "renamed").await;
    waiting_at_ask(&old, &db, "removed").await;
    let (write, approve, publish) = (Step("write"), Ask, Step("publish"));
    let renamed = flow! { write >> approve >> publish };
    let message = "saved at step `ask`, which the new flow does not have";
    refused(&renamed, &db, "renamed", message).await;
    // The run still resumes in the flow that saved it.
    let doc = finish(&old, &db, "renamed").await;
    assert_eq!(doc.steps, ["write", "ask", "publish"]);

    let (write, publish) = (Step("write"), Step("publish"));
    let removed = flow! { write >> publish };
    refused(&removed, &db, "removed", "`ask`").await;
}

/// Three documents, one after another.
struct Docs;

#[batch_flow]
impl Docs {
    fn prep(&self, _: &Doc) -> Vec<u32> {
        vec![1, 2, 3]
    }
}

/// Logs its name and the document; waits for approval at document 2.
struct DocStep {
    name: &'static str,
    asks: bool,
}

#[node]
impl DocStep {
    fn prep(&self, doc: &Doc, item: &u32) -> Result<(), Interrupt> {
        if self.asks && *item == 2 && !doc.approved {
            return Err(Interrupt::new("approve document 2"));
        }
        Ok(())
    }
    fn post(&self, doc: &mut Doc, _: (), _: (), item: &u32) {
        doc.steps.push(format!("{}{item}", self.name));
    }
}

fn doc_step(name: &'static str, asks: bool) -> DocStep {
    DocStep { name, asks }
}

#[tokio::test]
async fn a_run_inside_a_batch_flow_whose_sub_flow_changed_resumes_by_name_or_says_which() {
    let db = Memory::new();
    let (draft, check) = (doc_step("draft", false), doc_step("check", true));
    let old = Docs.over(flow! { draft >> check });
    let run = old.durable(&db, "docs");
    assert!(matches!(
        run.run(&mut Doc::default()).await.unwrap(),
        Outcome::Interrupted(_)
    ));
    run.update(|doc: &mut Doc| doc.approved = true)
        .await
        .unwrap();

    // A step renamed in the sub-flow: the run cannot go on there.
    let (draft, review) = (doc_step("draft", false), doc_step("review", true));
    let renamed = Docs.over(flow! { draft >> review });
    refused(&renamed, &db, "docs", "`check`").await;

    // A step added to the sub-flow after `check`: document 2 goes on at `check`, and the
    // documents after it run the new sub-flow whole.
    let (draft, check, sign) = (
        doc_step("draft", false),
        doc_step("check", true),
        doc_step("sign", false),
    );
    let added = Docs.over(flow! { draft >> check >> sign });
    let mut doc = Doc::default();
    added
        .durable(&db, "docs")
        .accept_shape(true)
        .run(&mut doc)
        .await
        .unwrap();
    assert_eq!(
        doc.steps,
        [
            "draft1", "check1", "draft2", "check2", "sign2", "draft3", "check3", "sign3"
        ]
    );
}

#[tokio::test]
async fn a_run_resumed_by_name_that_stops_again_resumes_by_name_after() {
    let db = Memory::new();
    let (write, check, ask, publish) = (Step("write"), Step("check"), Ask, Step("publish"));
    let old = flow! { write >> check >> ask >> publish };
    let run = old.durable(&db, "doc");
    assert!(matches!(
        run.run(&mut Doc::default()).await.unwrap(),
        Outcome::Interrupted(_)
    ));
    // `ask` moves from step 2 to step 1; the run stops there again, saved under the new shape.
    let (write, ask, publish) = (Step("write"), Ask, Step("publish"));
    let new = flow! { write >> ask >> publish };
    let run = new.durable(&db, "doc").accept_shape(true);
    assert!(matches!(
        run.run(&mut Doc::default()).await.unwrap(),
        Outcome::Interrupted(_)
    ));
    // Resumed now, it goes on at `ask` by name: not at index 2, which is `publish` here.
    run.update(|doc: &mut Doc| doc.approved = true)
        .await
        .unwrap();
    let mut doc = Doc::default();
    new.durable(&db, "doc").run(&mut doc).await.unwrap();
    assert_eq!(doc.steps, ["write", "check", "ask", "publish"]);
}

#[tokio::test]
async fn a_run_saved_inside_a_nested_flow_that_became_a_node_is_shape_changed() {
    let db = Memory::new();
    let (draft, ask) = (Step("draft"), Ask);
    let inner = flow! { draft >> ask };
    let (write, publish) = (Step("write"), Step("publish"));
    waiting_at_ask(&flow! { write >> inner >> publish }, &db, "doc").await;
    // Nothing committed: `inner` did not count as the step the run waited in.
    let (write, inner, publish) = (Step("write"), Step("inner"), Step("publish"));
    let flat = flow! { write >> inner >> publish };
    refused(&flat, &db, "doc", "nested flow").await;
}
