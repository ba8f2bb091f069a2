//! What a durable run hands down through its flows: where to resume, where it is, and how to
//! write a checkpoint after a step.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::store::Store;

/// A boxed future of a backend call, `Send` so that a run can move between threads.
pub type Pending<'s, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 's>>;

/// Writes one checkpoint of a run on a store of type `S`: object-safe, so that flows need no
/// bound on `S` (the run that made it knows `S: Serialize`).
pub trait Saver<S>: Sync {
    /// Saves `store` as the state after a step, the run continuing at `position` (as
    /// the journal writes it); `step` names the node whose `post` it was and the
    /// action it returned.
    fn save<'s>(
        &'s self,
        store: &S,
        position: String,
        step: Option<(String, String)>,
    ) -> Pending<'s, ()>;

    /// Journals `value` in `slot` of the step in progress (see `Checkpoints::save_item`).
    fn save_item<'s>(&'s self, slot: u64, value: String) -> Pending<'s, ()>;

    /// Journals several pieces of the step in progress at once.
    fn save_items(&self, items: Vec<(u64, String)>) -> Pending<'_, ()>;

    /// What the step in progress journaled before the run stopped.
    fn items(&self) -> Pending<'_, Vec<(u64, String)>>;
}

/// The position of a durable run as its flows enter, leave and step through their nodes: one
/// step index per level of nested flows, and the item index at the level of a sequential batch
/// flow, whose items travel in every checkpoint taken inside it (a resumed batch flow calls no
/// `prep`).
///
/// A checkpoint is written once per node `post`, by the innermost flow that has a next step
/// after it: a flow that ends leaves the writing to the flow around it (or to the run, when it
/// is the outermost), so the position always names the next node to run.
pub struct Journal<'j, S> {
    saver: &'j dyn Saver<S>,
    /// The saved position to resume at, consumed level by level as flows enter.
    resume: Vec<u32>,
    resuming: bool,
    /// The step index each active flow is at.
    path: Vec<u32>,
    /// The variable name of each of those steps.
    names: Vec<&'static str>,
    /// The node whose `post` the next checkpoint commits (`outer.inner` through nested flows),
    /// and its action.
    step: Option<(String, String)>,
    /// The items of each sequential batch flow the run is inside, innermost last.
    batches: Vec<BatchItems>,
    /// The items of the batch flows the saved position is inside, taken as they enter.
    resume_batches: Vec<BatchItems>,
}

/// The items of a batch flow at `depth` of a position, as JSON.
#[derive(Serialize, Deserialize)]
pub(crate) struct BatchItems {
    depth: usize,
    items: Vec<Value>,
}

/// A position as it is saved: the path alone (`[2,0,1]`) until a batch flow is entered, then
/// with the items of each batch flow on the path.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum SavedPosition<Path, Batches> {
    Path(Path),
    InBatches { path: Path, batches: Batches },
}

/// A saved position, read back: the path, and the items of the batch flows on it.
pub(crate) fn read_position(saved: &str) -> serde_json::Result<(Vec<u32>, Vec<BatchItems>)> {
    Ok(
        match serde_json::from_str::<SavedPosition<Vec<u32>, Vec<BatchItems>>>(saved)? {
            SavedPosition::Path(path) => (path, Vec::new()),
            SavedPosition::InBatches { path, batches } => (path, batches),
        },
    )
}

impl<'j, S> Journal<'j, S> {
    /// A journal resuming at `resume` (empty: from the start), inside the batch flows whose
    /// items are `resume_batches`.
    pub(crate) fn new(
        saver: &'j dyn Saver<S>,
        (resume, resume_batches): (Vec<u32>, Vec<BatchItems>),
    ) -> Journal<'j, S> {
        Journal {
            saver,
            resuming: !resume.is_empty(),
            resume,
            path: Vec::new(),
            names: Vec::new(),
            step: None,
            batches: Vec::new(),
            resume_batches,
        }
    }

    /// A flow starts: returns its depth, and the step to resume at if the run resumes inside it.
    pub fn enter(&mut self) -> (usize, Option<u32>) {
        let depth = self.path.len();
        self.path.push(0);
        self.names.push("");
        if !self.resuming {
            return (depth, None);
        }
        let resume = self.resume.get(depth).copied();
        if depth + 1 >= self.resume.len() {
            self.resuming = false;
        }
        (depth, resume)
    }

    /// The flow at `depth` runs its step `index`, named `name`.
    pub fn at(&mut self, depth: usize, index: u32, name: &'static str) {
        self.path.truncate(depth + 1);
        self.names.truncate(depth + 1);
        if let (Some(at), Some(named)) = (self.path.get_mut(depth), self.names.get_mut(depth)) {
            *at = index;
            *named = name;
        }
    }

    /// The current step returned `action`. The innermost flow notes first: the flows around a
    /// nested flow that ended keep its node as the step the next checkpoint commits.
    pub fn note(&mut self, action: &str) {
        if self.step.is_none() {
            // A batch flow's level has no name: its steps are named as in errors, by flow steps.
            let names: Vec<&str> = self
                .names
                .iter()
                .copied()
                .filter(|n| !n.is_empty())
                .collect();
            self.step = Some((names.join("."), action.to_owned()));
        }
    }

    /// The flow at `depth` goes on with its step `next`: writes the checkpoint of the step just
    /// taken, with the store as it is now.
    pub async fn commit(
        &mut self,
        depth: usize,
        next: u32,
        store: &mut Store<'_, S>,
    ) -> Result<()> {
        self.path.truncate(depth + 1);
        self.names.truncate(depth + 1);
        if let Some(at) = self.path.get_mut(depth) {
            *at = next;
        }
        let step = self.step.take();
        let position = self.position()?;
        let shared = store.access().await;
        self.saver.save(&shared, position, step).await
    }

    /// A sequential batch flow starts, as a level of the position: returns its depth, and,
    /// when the run resumes inside it, its saved items and the item to resume at.
    pub fn enter_batch(&mut self) -> (usize, Option<(Vec<Value>, u32)>) {
        let (depth, resume) = self.enter();
        let saved = match self.resume_batches.iter().position(|b| b.depth == depth) {
            Some(found) => self.resume_batches.swap_remove(found).items,
            None => return (depth, None),
        };
        (depth, Some((saved, resume.unwrap_or(0))))
    }

    /// The sequential batch flow at `depth` runs over `items` (JSON): every checkpoint
    /// inside it carries them.
    pub fn batch_items(&mut self, depth: usize, items: Vec<Value>) {
        self.batches.retain(|batch| batch.depth < depth);
        self.batches.push(BatchItems { depth, items });
    }

    /// The batch flow at `depth` runs item `index`.
    pub fn at_item(&mut self, depth: usize, index: u32) {
        self.path.truncate(depth + 1);
        self.names.truncate(depth + 1);
        if let Some(at) = self.path.get_mut(depth) {
            *at = index;
        }
    }

    /// The batch flow at `depth` is done, `post` included: the position leaves it, and
    /// checkpoints after it do not carry its items.
    pub fn leave_batch(&mut self, depth: usize) {
        self.batches.retain(|batch| batch.depth < depth);
        self.path.truncate(depth);
        self.names.truncate(depth);
    }

    /// What writes the run's checkpoints and journal, for the work of one step (a batch's
    /// items journal their results through it, from many futures at once).
    pub fn saver(&self) -> &'j dyn Saver<S> {
        self.saver
    }

    /// Where the run is, as a checkpoint saves it: the step of each active flow (the item of
    /// each batch flow), and those batch flows' items.
    pub(crate) fn position(&self) -> Result<String> {
        let saved = if self.batches.is_empty() {
            serde_json::to_string(&SavedPosition::<_, ()>::Path(&self.path))
        } else {
            serde_json::to_string(&SavedPosition::InBatches {
                path: &self.path,
                batches: &self.batches,
            })
        };
        saved.map_err(|e| Error::durable(format!("the run's position cannot be saved: {e}").into()))
    }

    /// The step noted since the last checkpoint, if any.
    pub(crate) fn take_step(&mut self) -> Option<(String, String)> {
        self.step.take()
    }
}
