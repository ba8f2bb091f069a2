//! What durable runs promise users who leave days of work in them (SPEC section 10, after
//! "Inspection"): an edit is never lost, a finished run hands back its store, nothing is
//! committed that cannot be read back, and a batch node never reads another step's journal.
//! Each test here failed before runs carried a version.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use pocketflow::durable::{Checkpoints, DurableErrorKind, Memory, Outcome, Status};
use pocketflow::prelude::*;
use pocketflow::{ErrorKind, Interrupt};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Doc {
    draft: String,
    approved: Option<bool>,
    published: u32,
    score: f64,
}

struct Write;
#[node]
impl Write {
    fn post(&self, doc: &mut Doc) {
        doc.draft = "hello".into();
    }
}

/// Holds a phase open once, when asked: the test acts while the phase is in flight.
#[derive(Default)]
struct Gate {
    hold: AtomicBool,
    entered: Notify,
    release: Notify,
}

impl Gate {
    fn close(&self) {
        self.hold.store(true, Ordering::SeqCst);
    }

    async fn pass(&self) {
        if self.hold.swap(false, Ordering::SeqCst) {
            self.entered.notify_one();
            self.release.notified().await;
        }
    }

    /// Once the phase is in flight: `act`, then let the phase go on.
    async fn while_held(&self, act: impl std::future::Future<Output = ()>) {
        self.entered.notified().await;
        act.await;
        self.release.notify_one();
    }
}

/// Waits for approval; its `prep` can be held open (a slow read) while the test edits the run.
#[derive(Default)]
struct Ask {
    gate: Arc<Gate>,
}

#[node]
impl Ask {
    async fn prep(&self, doc: &Doc) -> Result<bool, Interrupt> {
        let approved = doc.approved;
        self.gate.pass().await;
        approved.ok_or_else(|| Interrupt::new("approve the draft"))
    }
}

struct Publish;
#[node]
impl Publish {
    fn post(&self, doc: &mut Doc) {
        doc.published += 1;
    }
}

/// A run resumed at an interrupted node loads the store; an `update` lands while its `prep`
/// reads; the run must not write the store it loaded back over the edit.
#[tokio::test]
async fn an_update_while_a_step_runs_is_never_written_over() {
    let db = Memory::new();
    let (write, ask, publish) = (Write, Ask::default(), Publish);
    let gate = ask.gate.clone();
    let review = flow! { write >> ask >> publish };
    let run = review.durable(&db, "doc-42");
    let outcome = run.run(&mut Doc::default()).await.unwrap();
    assert!(matches!(outcome, Outcome::Interrupted(_)), "{outcome:?}");

    gate.close();
    let mut handed_back = Doc::default();
    let resumed = async { run.run(&mut handed_back).await };
    let edit = gate.while_held(async {
        run.update(|doc: &mut Doc| doc.approved = Some(true))
            .await
            .unwrap();
    });
    let (resumed, ()) = tokio::join!(resumed, edit);
    let error = resumed.unwrap_err();
    // The run lost to the edit: it hands back the saved store, the edit in it.
    assert_eq!(handed_back.approved, Some(true));
    assert_eq!(handed_back.draft, "hello");
    assert_eq!(error.kind(), ErrorKind::Durable);
    assert_eq!(error.durable_kind(), Some(DurableErrorKind::Conflict));
    assert!(error.to_string().contains("was edited"), "{error}");
    let saved = db.load("doc-42").await.unwrap().unwrap();
    assert!(
        saved.store.contains(r#""approved":true"#),
        "{}",
        saved.store
    );

    // The next run sees the edit and goes on.
    let mut doc = Doc::default();
    assert_eq!(
        run.run(&mut doc).await.unwrap(),
        Outcome::Finished(Action::DEFAULT)
    );
    assert_eq!((doc.approved, doc.published), (Some(true), 1));
}

/// Edits the draft in its `post`, then waits for approval there.
struct Revise;
#[node]
impl Revise {
    fn post(&self, doc: &mut Doc) -> Result<(), Interrupt> {
        doc.draft.push_str(", revised");
        match doc.approved {
            Some(true) => Ok(()),
            _ => Err(Interrupt::new("approve the revision")),
        }
    }
}

/// SPEC 10: whatever its status, a run hands back its saved store; a `post` that edits the
/// store and then interrupts leaves its edit unsaved, so it is not handed back either.
#[tokio::test]
async fn a_run_that_stops_hands_back_what_it_saved() {
    let db = Memory::new();
    let (write, revise, publish) = (Write, Revise, Publish);
    let review = flow! { write >> revise >> publish };
    let run = review.durable(&db, "revise");
    for _ in 0..2 {
        let mut doc = Doc::default();
        let outcome = run.run(&mut doc).await.unwrap();
        assert!(matches!(outcome, Outcome::Interrupted(_)), "{outcome:?}");
        let saved: Doc = run.store_at(1).await.unwrap();
        assert_eq!(doc, saved);
        assert_eq!(doc.draft, "hello");
    }
    run.update(|doc: &mut Doc| doc.approved = Some(true))
        .await
        .unwrap();
    let mut doc = Doc::default();
    run.run(&mut doc).await.unwrap();
    assert_eq!((doc.draft.as_str(), doc.published), ("hello, revised", 1));
}

/// Edits the draft in its `post`, then waits there while the test acts.
#[derive(Default)]
struct EditThenWait {
    gate: Arc<Gate>,
}

#[node]
impl EditThenWait {
    async fn post(&self, doc: &mut Doc) {
        doc.draft.push_str(" (uncommitted)");
        self.gate.pass().await;
    }
}

/// A run that loses to an edit the caller's type cannot read hands back its own last commit:
/// never the edit its unfinished step made in memory.
#[tokio::test]
async fn a_run_beaten_by_an_unreadable_edit_hands_back_its_own_last_commit() {
    let db = Memory::new();
    let (write, edit) = (Write, EditThenWait::default());
    let gate = edit.gate.clone();
    let flow = flow! { write >> edit };
    let run = flow.durable(&db, "unreadable");
    gate.close();
    let mut handed_back = Doc::default();
    let running = async { run.run(&mut handed_back).await };
    let breaks = gate.while_held(async {
        run.update_json(|value| value["draft"] = serde_json::json!(5))
            .await
            .unwrap();
    });
    let (ran, ()) = tokio::join!(running, breaks);
    assert_eq!(
        ran.unwrap_err().durable_kind(),
        Some(DurableErrorKind::Conflict)
    );
    assert_eq!(handed_back.draft, "hello");
}

/// A flow of another shape is refused the run, and still hands back the run's saved store.
#[tokio::test]
async fn a_run_refused_for_its_shape_hands_back_the_saved_store() {
    let db = Memory::new();
    let (write, revise, publish) = (Write, Revise, Publish);
    let review = flow! { write >> revise >> publish };
    let outcome = review.durable(&db, "shape").run(&mut Doc::default()).await;
    assert!(
        matches!(outcome, Ok(Outcome::Interrupted(_))),
        "{outcome:?}"
    );
    let (write, publish) = (Write, Publish);
    let other = flow! { write >> publish };
    let mut doc = Doc {
        draft: "not saved".into(),
        ..Doc::default()
    };
    let error = other.durable(&db, "shape").run(&mut doc).await.unwrap_err();
    assert_eq!(error.durable_kind(), Some(DurableErrorKind::ShapeChanged));
    assert_eq!(doc.draft, "hello");
}

/// Sums its items' doubles; `exec` can be held open while the test edits the run.
#[derive(Default)]
struct Double {
    gate: Arc<Gate>,
    preps: Arc<AtomicU32>,
}

#[batch_node]
impl Double {
    fn prep(&self, doc: &Doc) -> Vec<u32> {
        self.preps.fetch_add(1, Ordering::SeqCst);
        vec![doc.published, 1, 2]
    }
    async fn exec(&self, item: &u32) -> u32 {
        self.gate.pass().await;
        item * 2
    }
    fn post(&self, doc: &mut Doc, _: Vec<u32>, doubles: Vec<u32>) {
        doc.draft = format!("{doubles:?}");
    }
}

/// An edit while a batch node's items are in flight: the batch's results and its post belong
/// to the store before the edit, so the run stops without committing, and the next run
/// starts the batch again from `prep`, on the edited store.
#[tokio::test]
async fn an_update_during_a_batch_stops_its_commit_and_its_journal() {
    let db = Memory::new();
    let (publish, double) = (Publish, Double::default());
    let (gate, preps) = (double.gate.clone(), double.preps.clone());
    let flow = flow! { publish >> double };
    let run = flow.durable(&db, "batch");
    gate.close();
    let running = async { run.run(&mut Doc::default()).await };
    let edit = gate.while_held(async {
        run.update(|doc: &mut Doc| doc.published = 10)
            .await
            .unwrap();
    });
    let (ran, ()) = tokio::join!(running, edit);
    assert_eq!(
        ran.unwrap_err().durable_kind(),
        Some(DurableErrorKind::Conflict)
    );
    let saved = db.load("batch").await.unwrap().unwrap();
    assert!(db.items("batch", saved.version).await.unwrap().is_empty());

    let mut doc = Doc::default();
    run.run(&mut doc).await.unwrap();
    assert_eq!(doc.draft, "[20, 2, 4]");
    assert_eq!(preps.load(Ordering::SeqCst), 2);
}

/// Running a finished run again hands back its final store, as SPEC says for any status.
#[tokio::test]
async fn a_finished_run_hands_back_its_store() {
    let db = Memory::new();
    let (write, ask, publish) = (Write, Ask::default(), Publish);
    let review = flow! { write >> ask >> publish };
    let run = review.durable(&db, "done");
    let mut doc = Doc {
        approved: Some(true),
        ..Doc::default()
    };
    run.run(&mut doc).await.unwrap();
    // A process that recovers after the final commit passes an empty store.
    let mut recovered = Doc::default();
    assert_eq!(
        run.run(&mut recovered).await.unwrap(),
        Outcome::Finished(Action::DEFAULT)
    );
    assert_eq!(recovered, doc);
    assert_eq!(recovered.published, 1);
}

/// Scores the draft; what it writes is the test's to choose.
#[derive(Clone)]
struct Score {
    score: Arc<std::sync::Mutex<f64>>,
}

impl Score {
    fn set(&self, score: f64) {
        *self.score.lock().unwrap() = score;
    }
}

#[node]
impl Score {
    fn post(&self, doc: &mut Doc) {
        doc.score = *self.score.lock().unwrap();
    }
}

/// A NaN in the store fails the step that wrote it, naming it, with nothing committed: the
/// run stays readable and is retried from that step once the node is fixed.
#[tokio::test]
async fn a_store_json_cannot_hold_fails_its_step_and_commits_nothing() {
    let db = Memory::new();
    let scores = Score {
        score: Arc::new(std::sync::Mutex::new(f64::NAN)),
    };
    let (write, score, publish) = (Write, scores.clone(), Publish);
    let flow = flow! { write >> score >> publish };
    let run = flow.durable(&db, "nan");
    let error = run.run(&mut Doc::default()).await.unwrap_err();
    assert_eq!(error.durable_kind(), Some(DurableErrorKind::Unreadable));
    let message = error.to_string();
    assert!(message.contains("step `score`"), "{message}");
    assert!(message.contains("`score` is NaN"), "{message}");
    let saved = db.load("nan").await.unwrap().unwrap();
    assert_eq!((saved.status, saved.step), (Status::Failed, 1));
    let kept: Doc = serde_json::from_str(&saved.store).unwrap();
    assert_eq!((kept.draft.as_str(), kept.score), ("hello", 0.0));
    // The saved run still reads: an update works, and a fixed node goes on from `score`.
    run.update(|doc: &mut Doc| doc.draft.push('!'))
        .await
        .unwrap();
    scores.set(0.5);
    let mut doc = Doc::default();
    run.run(&mut doc).await.unwrap();
    assert_eq!(
        (doc.draft.as_str(), doc.score, doc.published),
        ("hello!", 0.5, 1)
    );

    // The last post of a run too: its final store is checked before it is committed.
    scores.set(f64::INFINITY);
    let (write, score) = (Write, scores.clone());
    let flow = flow! { write >> score };
    let last = flow
        .durable(&db, "nan-last")
        .run(&mut Doc::default())
        .await
        .unwrap_err();
    assert_eq!(last.durable_kind(), Some(DurableErrorKind::Unreadable));
    assert_eq!(
        db.load("nan-last").await.unwrap().unwrap().status,
        Status::Failed
    );

    // And a store passed in that JSON cannot hold is refused before anything is saved.
    let nan = Doc {
        score: f64::NAN,
        ..Doc::default()
    };
    let error = Write.durable(&db, "nan-in").run(&mut nan.clone()).await;
    assert_eq!(
        error.unwrap_err().durable_kind(),
        Some(DurableErrorKind::Unreadable)
    );
    assert!(db.load("nan-in").await.unwrap().is_none());
}

/// Halves its items, and has nothing sensible for 0: a result JSON cannot hold fails the node
/// on that item.
struct Halve;

#[batch_node]
impl Halve {
    fn prep(&self, _: &Doc) -> Vec<f64> {
        vec![2.0, 0.0]
    }
    fn exec(&self, item: &f64) -> f64 {
        if *item == 0.0 { f64::NAN } else { item / 2.0 }
    }
    fn post(&self, doc: &mut Doc, _: Vec<f64>, halves: Vec<f64>) {
        doc.score = halves.iter().sum();
    }
}

#[tokio::test]
async fn a_batch_result_json_cannot_hold_fails_the_node_on_its_item() {
    let db = Memory::new();
    let error = Halve
        .durable(&db, "halves")
        .run(&mut Doc::default())
        .await
        .unwrap_err();
    assert_eq!(error.durable_kind(), Some(DurableErrorKind::Unreadable));
    assert_eq!(error.item(), Some(1));
    let message = error.to_string();
    assert!(message.contains("result of item 1"), "{message}");
    assert!(message.contains("NaN"), "{message}");
    let saved = db.load("halves").await.unwrap().unwrap();
    assert_eq!((saved.status, saved.step), (Status::Failed, 0));
}

/// Multiplies its items by `factor`; the first `prep` can be held open, as a process that lost
/// the race on a run id would be, still running while the winner moves on.
#[derive(Default)]
struct Scale {
    factor: u64,
    gate: Arc<Gate>,
    interrupt: Arc<AtomicBool>,
    preps: Arc<AtomicU32>,
}

impl Scale {
    fn new(factor: u64) -> Scale {
        Scale {
            factor,
            ..Scale::default()
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Numbers {
    first: Vec<u64>,
    second: Vec<u64>,
}

#[batch_node]
impl Scale {
    async fn prep(&self, numbers: &Numbers) -> Result<Vec<u64>, Interrupt> {
        self.preps.fetch_add(1, Ordering::SeqCst);
        if self.interrupt.load(Ordering::SeqCst) {
            return Err(Interrupt::new("not yet"));
        }
        self.gate.pass().await;
        Ok(if numbers.first.is_empty() {
            vec![1, 2, 3]
        } else {
            numbers.first.clone()
        })
    }
    async fn exec(&self, item: &u64) -> u64 {
        item * self.factor
    }
    fn post(&self, numbers: &mut Numbers, _: Vec<u64>, out: Vec<u64>) {
        if numbers.first.is_empty() {
            numbers.first = out;
        } else {
            numbers.second = out;
        }
    }
}

/// A second process that lost the race on a run id journals after the winner moved on: its
/// rows must not become the next batch node's journal (its `prep` skipped, its `post` handed
/// another node's items).
#[tokio::test]
async fn a_late_journal_write_is_never_read_by_another_step() {
    let db = Memory::new();
    let (tens, plus) = (Scale::new(10), Scale::new(3));
    let (gate, interrupt, preps) = (
        tens.gate.clone(),
        plus.interrupt.clone(),
        plus.preps.clone(),
    );
    let flow = flow! { tens >> plus };
    gate.close();
    interrupt.store(true, Ordering::SeqCst);

    let loser = async { flow.durable(&db, "race").run(&mut Numbers::default()).await };
    let mut won = None;
    // The winner takes the same run from its start checkpoint, commits `tens` and stops
    // before `plus`; then the loser's `prep` returns and it journals `tens`'s items.
    let winner = gate.while_held(async {
        won = Some(flow.durable(&db, "race").run(&mut Numbers::default()).await);
    });
    let (lost, ()) = tokio::join!(loser, winner);
    assert!(matches!(won.unwrap().unwrap(), Outcome::Interrupted(_)));
    assert_eq!(
        lost.unwrap_err().durable_kind(),
        Some(DurableErrorKind::Conflict)
    );

    interrupt.store(false, Ordering::SeqCst);
    let before = preps.load(Ordering::SeqCst);
    let mut numbers = Numbers::default();
    flow.durable(&db, "race").run(&mut numbers).await.unwrap();
    assert_eq!(
        preps.load(Ordering::SeqCst),
        before + 1,
        "plus ran its own prep"
    );
    assert_eq!(numbers.first, [10, 20, 30]);
    assert_eq!(numbers.second, [30, 60, 90]);
}

/// A store that no longer reads as the flow's type says which type and which field, and
/// `update_json` is the way out.
#[tokio::test]
async fn an_unreadable_store_names_its_type_and_path_and_update_json_repairs_it() {
    let db = Memory::new();
    let (write, ask, publish) = (Write, Ask::default(), Publish);
    let review = flow! { write >> ask >> publish };
    let run = review.durable(&db, "old-type");
    run.run(&mut Doc::default()).await.unwrap();
    // As an older program would have saved it: `approved` as a string.
    run.update_json(|doc| doc["approved"] = "yes".into())
        .await
        .unwrap();

    let error = run.run(&mut Doc::default()).await.unwrap_err();
    assert_eq!(error.durable_kind(), Some(DurableErrorKind::Unreadable));
    let message = error.to_string();
    assert!(message.contains("durable_trust::Doc`"), "{message}");
    assert!(message.contains("at `approved`"), "{message}");
    assert!(message.contains("update_json"), "{message}");
    let error = run
        .update(|doc: &mut Doc| doc.approved = Some(true))
        .await
        .unwrap_err();
    assert_eq!(error.durable_kind(), Some(DurableErrorKind::Unreadable));

    run.update_json(|doc| doc["approved"] = (doc["approved"] == "yes").into())
        .await
        .unwrap();
    let mut doc = Doc::default();
    assert_eq!(
        run.run(&mut doc).await.unwrap(),
        Outcome::Finished(Action::DEFAULT)
    );
    assert_eq!((doc.approved, doc.published), (Some(true), 1));
}

#[tokio::test]
async fn editing_a_run_that_does_not_exist_is_not_found() {
    let db = Memory::new();
    let error = Write
        .durable(&db, "nobody")
        .update(|doc: &mut Doc| doc.published = 1)
        .await
        .unwrap_err();
    assert_eq!(error.durable_kind(), Some(DurableErrorKind::NotFound));
}

/// Doubles its items. `prep` gives the first process its items only when the test lets it,
/// and the items differ per call (a listing that changed between two reads); `exec` holds on
/// items 2 and 10 while `holding` is on (a process that dies there).
#[derive(Default)]
struct Varied {
    preps: Arc<AtomicU32>,
    prep_gate: Arc<Gate>,
    exec_held: Arc<Notify>,
    holding: Arc<AtomicBool>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Pairs {
    items: Vec<u64>,
    doubled: Vec<u64>,
}

#[batch_node]
impl Varied {
    async fn prep(&self, _: &Pairs) -> Vec<u64> {
        if self.preps.fetch_add(1, Ordering::SeqCst) == 0 {
            self.prep_gate.pass().await;
            vec![10, 20, 30]
        } else {
            vec![1, 2, 3]
        }
    }
    async fn exec(&self, item: &u64) -> u64 {
        if self.holding.load(Ordering::SeqCst) && (*item == 2 || *item == 10) {
            self.exec_held.notify_one();
            std::future::pending::<()>().await;
        }
        item * 2
    }
    fn post(&self, pairs: &mut Pairs, items: Vec<u64>, doubled: Vec<u64>) {
        pairs.items = items;
        pairs.doubled = doubled;
    }
}

/// Two processes load one version of a run and reach the same batch node; their `prep`s give
/// different items. Only the first to claim the step journals it: the other's items never
/// land beside the first one's results, and the run ends with every result its own item's.
#[tokio::test]
async fn two_processes_at_one_version_never_mix_their_journals() {
    use std::pin::pin;

    use futures::future::{Either, select};

    let db = Memory::new();
    let varied = Varied::default();
    let (preps, gate, held, holding) = (
        varied.preps.clone(),
        varied.prep_gate.clone(),
        varied.exec_held.clone(),
        varied.holding.clone(),
    );
    let flow = flow! { varied };
    holding.store(true, Ordering::SeqCst);
    gate.close();
    let (run_first, run_second) = (flow.durable(&db, "mixed"), flow.durable(&db, "mixed"));
    let (mut first_store, mut second_store) = (Pairs::default(), Pairs::default());
    {
        let mut second = pin!(run_second.run(&mut second_store));
        // The second process holds in `prep`, having loaded the run's first version.
        assert!(matches!(
            select(second.as_mut(), pin!(gate.entered.notified())).await,
            Either::Right(_)
        ));
        // The first runs `prep` (items 1, 2, 3), journals item 1's result, and dies in item 2.
        let mut first = pin!(run_first.run(&mut first_store));
        assert!(matches!(
            select(first.as_mut(), pin!(held.notified())).await,
            Either::Right(_)
        ));
        // The second's `prep` returns items 10, 20, 30; it journals them only if it claims.
        gate.release.notify_one();
        let _ = select(second.as_mut(), pin!(held.notified())).await;
    }
    holding.store(false, Ordering::SeqCst);
    let mut pairs = Pairs::default();
    flow.durable(&db, "mixed").run(&mut pairs).await.unwrap();
    let doubled: Vec<u64> = pairs.items.iter().map(|item| item * 2).collect();
    assert_eq!(pairs.doubled, doubled, "results of other items: {pairs:?}");
    assert_eq!(preps.load(Ordering::SeqCst), 2);
}
