//! What a durable run hands down through its flows: where to resume, where it is, and how to
//! write a checkpoint after a step.

use std::future::Future;
use std::pin::Pin;

use crate::error::Result;
use crate::store::Store;

/// A boxed future of a backend call, `Send` so that a run can move between threads.
pub type Pending<'s, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 's>>;

/// Writes one checkpoint of a run on a store of type `S`: object-safe, so that flows need no
/// bound on `S` (the run that made it knows `S: Serialize`).
pub trait Saver<S>: Sync {
    /// Saves `store` as the state after a step, the run continuing at `position`; `step` names
    /// the node whose `post` it was and the action it returned.
    fn save<'s>(
        &'s self,
        store: &S,
        position: &[u32],
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
/// step index per level of nested flows.
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
}

impl<'j, S> Journal<'j, S> {
    /// A journal resuming at `resume` (empty: from the start).
    pub(crate) fn new(saver: &'j dyn Saver<S>, resume: Vec<u32>) -> Journal<'j, S> {
        Journal {
            saver,
            resuming: !resume.is_empty(),
            resume,
            path: Vec::new(),
            names: Vec::new(),
            step: None,
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
            self.step = Some((self.names.join("."), action.to_owned()));
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
        let shared = store.access().await;
        self.saver.save(&shared, &self.path, step).await
    }

    /// What writes the run's checkpoints and journal, for the work of one step (a batch's
    /// items journal their results through it, from many futures at once).
    pub fn saver(&self) -> &'j dyn Saver<S> {
        self.saver
    }

    /// Where the run is: the step of each active flow.
    pub(crate) fn position(&self) -> &[u32] {
        &self.path
    }

    /// The step noted since the last checkpoint, if any.
    pub(crate) fn take_step(&mut self) -> Option<(String, String)> {
        self.step.take()
    }
}
