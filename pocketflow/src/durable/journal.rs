//! What a durable run hands down through its flows: where to resume, where it is, and how to
//! write a checkpoint after a step.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::context::ItemJournal;
use crate::drive::group::is_group_step;
use crate::error::Result;
use crate::store::Store;

pub use crate::context::Pending;

/// Writes the checkpoints of a run on a store of type `S`: object-safe, so that flows need no
/// bound on `S` (the run that made it knows `S: Serialize`).
pub trait Saver<S>: Sync {
    /// Writes `store` as the state after `step` (the node whose `post` it was and the action it
    /// returned), the run going on at `position`.
    fn checkpoint<'s>(
        &'s self,
        store: &S,
        position: &Position,
        step: Option<Step>,
    ) -> Pending<'s, ()>;

    /// Where batch nodes journal their items in this run (see `Checkpoints::save_item`).
    fn item_journal(&self) -> Option<&dyn ItemJournal> {
        None
    }

    /// How many steps the run has committed.
    fn steps(&self) -> u64;
}

/// Takes the steps of one run of a parallel batch flow: that batch flow's checkpointer writes
/// the checkpoints of its runs together, later (see `durable::parallel`).
pub(crate) trait Publish: Sync {
    /// The run goes on at `position` after `step`, whose `post` just let go of the store: said
    /// before anything else touches the store.
    fn publish(&self, position: &Position, step: Option<Step>) -> Result<()>;
}

/// The item journal of a parallel batch flow's runs: it keeps nothing, since their batch nodes
/// are one step of the run (every run would share its slots), but their items and results go
/// through the journaling driver all the same, so that one JSON cannot hold fails there as it
/// does anywhere in a durable run.
struct Discard;

impl ItemJournal for Discard {
    fn claim(&self) -> Pending<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    fn save_item(&self, _: u64, _: String) -> Pending<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    fn save_items(&self, _: Vec<(u64, String)>) -> Pending<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    fn items(&self) -> Pending<'_, Vec<(u64, String)>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// Who writes the checkpoints of a journal's steps.
enum Writer<'j, S> {
    /// The run's saver, after each step, with the store.
    Now(&'j dyn Saver<S>),
    /// A parallel batch flow's checkpointer, later, from the places its runs publish. Those
    /// runs' batch nodes journal into [`Discard`].
    Later(&'j dyn Publish),
}

/// The step a checkpoint commits: the node whose `post` it was (`outer.inner` through nested
/// flows) and the action it returned, and how many posts the checkpoint commits (more than one
/// when a parallel batch flow's posts are written together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub(crate) node: String,
    pub(crate) action: Option<String>,
    pub(crate) posts: u64,
}

/// Where a run goes on: one step index per level of nested flows (the item, at the level of a
/// sequential batch flow), the name of the step at each of those levels (empty at a level of
/// items or of a group's runs), and the batch flows on that path with their items (a resumed
/// batch flow calls no `prep`) and, for a parallel one, where each of its runs is.
///
/// Saved as `{"path":[..],"names":[..]}`, with `"batches":[{"depth":..,"items":[..]}]` inside
/// batch flows. Positions saved before steps were named are a bare path (`[2,0,1]`), read
/// still: the names let a run resume in a flow of another shape (`accept_shape`), by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Position {
    pub(crate) path: Vec<u32>,
    pub(crate) names: Vec<String>,
    pub(crate) batches: Vec<BatchItems>,
}

impl Position {
    /// Keeps the first `len` levels.
    fn truncate(&mut self, len: usize) {
        self.path.truncate(len);
        self.names.truncate(len);
    }

    /// Level `depth` is at step `index`, named `name`.
    fn set(&mut self, depth: usize, index: u32, name: &str) {
        if let Some(at) = self.path.get_mut(depth) {
            *at = index;
        }
        self.names.resize(self.path.len(), String::new());
        if let Some(named) = self.names.get_mut(depth) {
            name.clone_into(named);
        }
    }
}

/// The items of a batch flow at `depth` of a position, as JSON; for a parallel batch flow,
/// its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BatchItems {
    pub(crate) depth: usize,
    /// Shared by every checkpoint taken inside the batch flow: a clone is a count. Not written
    /// in a position whose `items_at` says where they are (so that a program from before that
    /// field fails to read it, rather than resuming with no items).
    #[serde(default = "no_items", skip_serializing_if = "<[Value]>::is_empty")]
    pub(crate) items: Arc<[Value]>,
    /// The step whose checkpoint holds the items, when this one does not: a batch flow's items
    /// are written once per process, not in every checkpoint inside it (see `durable::items`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) items_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) runs: Option<Runs>,
}

fn no_items() -> Arc<[Value]> {
    Arc::from([])
}

/// The runs of a parallel batch flow: the items whose sub-flow finished, and where each run in
/// flight goes on inside its sub-flow (a run not listed starts from its beginning).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Runs {
    #[serde(with = "super::items::done_ranges")]
    pub(crate) done: Vec<u32>,
    pub(crate) at: Vec<(u32, Position)>,
}

/// A position as saved: a bare path (as before steps were named), or the whole.
#[derive(Deserialize)]
#[serde(untagged)]
enum SavedPosition {
    Path(Vec<u32>),
    Whole {
        path: Vec<u32>,
        #[serde(default)]
        names: Vec<String>,
        #[serde(default)]
        batches: Vec<BatchItems>,
    },
}

/// A position as written.
#[derive(Serialize)]
struct WrittenPosition<'p> {
    path: &'p [u32],
    names: &'p [String],
    #[serde(skip_serializing_if = "<[BatchItems]>::is_empty")]
    batches: &'p [BatchItems],
}

impl Serialize for Position {
    fn serialize<Ser: serde::Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        WrittenPosition {
            path: &self.path,
            names: &self.names,
            batches: &self.batches,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Position {
    fn deserialize<De: serde::Deserializer<'de>>(deserializer: De) -> Result<Self, De::Error> {
        Ok(match SavedPosition::deserialize(deserializer)? {
            SavedPosition::Path(path) => Position {
                path,
                ..Position::default()
            },
            SavedPosition::Whole {
                path,
                names,
                batches,
            } => Position {
                path,
                names,
                batches,
            },
        })
    }
}

/// The position of a durable run as its flows enter, leave and step through their nodes (see
/// [`Position`]).
///
/// A checkpoint is written once per node `post`, by the innermost flow that has a next step
/// after it: a flow that ends leaves the writing to the flow around it (or to the run, when it
/// is the outermost), so the position always names the next node to run.
pub struct Journal<'j, S> {
    writer: Writer<'j, S>,
    /// The saved position to resume at, consumed level by level as flows enter.
    resume: Position,
    resuming: bool,
    /// Where the run is now.
    at: Position,
    /// The variable name of each step on the path (none at a batch flow's level).
    names: Vec<&'static str>,
    /// The steps of the flow at each level, by index (none at a level of items or runs).
    steps: Vec<&'static [&'static str]>,
    /// Whether the run resumes in a flow of another shape than it was saved by: each level
    /// then resumes at its saved step's name, not its index.
    pub(crate) by_name: bool,
    /// The step the next checkpoint commits.
    step: Option<Step>,
    /// Where the runs of the parallel batch flow entered last were when the run stopped, kept
    /// from `enter_batch` until its runs start.
    resumed_runs: Runs,
    /// How many batch flows the run is inside that it does not follow (each one step): while
    /// any, the journal does nothing (see `durable::context`).
    pub(crate) muted: u32,
}

impl<'j, S> Journal<'j, S> {
    /// A journal resuming at `resume` (empty: from the start), its checkpoints written by
    /// `saver` after each step.
    pub(crate) fn new(saver: &'j dyn Saver<S>, resume: Position) -> Journal<'j, S> {
        Journal::with_writer(Writer::Now(saver), resume)
    }

    /// The journal of one run of a parallel batch flow, which publishes its steps to `runs`.
    pub(crate) fn in_parallel_run(runs: &'j dyn Publish, resume: Position) -> Journal<'j, S> {
        Journal::with_writer(Writer::Later(runs), resume)
    }

    fn with_writer(writer: Writer<'j, S>, resume: Position) -> Journal<'j, S> {
        Journal {
            writer,
            resuming: !resume.path.is_empty(),
            resume,
            at: Position::default(),
            names: Vec::new(),
            steps: Vec::new(),
            by_name: false,
            step: None,
            resumed_runs: Runs::default(),
            muted: 0,
        }
    }

    /// A flow whose steps are `steps` starts: returns its depth, and the step to resume at if
    /// the run resumes inside it (by name when the run resumes in a flow of another shape: an
    /// error naming the saved step when this flow has none of that name).
    ///
    /// A saved position names its steps: a flow level resumes at its step's name whenever it
    /// has one, so that a position saved under one shape and carried on under another (a run
    /// resumed with `accept_shape` that stops again before its next step) still resumes right.
    /// A position saved before steps were named resumes by index, in the flow that saved it.
    pub fn enter(&mut self, steps: &'static [&'static str]) -> Result<(usize, Option<u32>)> {
        let resuming = self.resuming;
        let (depth, resume) = self.push_level(steps);
        if !resuming || steps.is_empty() {
            return Ok((depth, resume));
        }
        match self.resume.names.get(depth).map(String::as_str) {
            // Saved before steps were named.
            None if self.by_name => Err(shape_changed(None, steps)),
            None => Ok((depth, resume)),
            // The level was a batch flow's or a group's, not this flow's.
            Some("") => Err(shape_changed(Some(""), steps)),
            Some(saved) => match steps.iter().position(|step| *step == saved) {
                Some(index) => Ok((depth, Some(index as u32))),
                None => Err(shape_changed(Some(saved), steps)),
            },
        }
    }

    /// A level starts (a flow's, or a batch flow's): its depth, and the index it resumes at.
    fn push_level(&mut self, steps: &'static [&'static str]) -> (usize, Option<u32>) {
        let depth = self.at.path.len();
        self.at.path.push(0);
        self.at.names.push(String::new());
        self.names.push("");
        self.steps.push(steps);
        if !self.resuming {
            return (depth, None);
        }
        let resume = self.resume.path.get(depth).copied();
        if depth + 1 >= self.resume.path.len() {
            self.resuming = false;
        }
        (depth, resume)
    }

    /// The outermost flow's step in progress, or last run.
    pub(crate) fn top_step(&self) -> Option<&'static str> {
        self.names.first().copied().filter(|name| !name.is_empty())
    }

    /// The flow at `depth` runs its step `index`, named `name`.
    pub fn at(&mut self, depth: usize, index: u32, name: &'static str) {
        self.at.truncate(depth + 1);
        self.names.truncate(depth + 1);
        self.steps.truncate(depth + 1);
        self.at.set(depth, index, name);
        if let Some(named) = self.names.get_mut(depth) {
            *named = name;
        }
    }

    /// The current step returned `action`. The innermost flow notes first: the flows around a
    /// nested flow that ended keep its node as the step the next checkpoint commits.
    pub fn note(&mut self, action: &str) {
        if self.step.is_none() {
            self.step = Some(Step {
                node: self.step_name(),
                action: Some(action.to_owned()),
                posts: 1,
            });
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
        self.at.truncate(depth + 1);
        self.names.truncate(depth + 1);
        self.steps.truncate(depth + 1);
        let name = self
            .steps
            .get(depth)
            .and_then(|steps| steps.get(next as usize));
        self.at.set(depth, next, name.copied().unwrap_or(""));
        // A run still on its way down the saved position has taken a step above it: the flow
        // has fewer levels there than the run was saved with.
        if std::mem::take(&mut self.resuming) && self.by_name {
            return Err(shape_changed(None, &[]));
        }
        let step = self.step.take();
        if step.as_ref().is_some_and(|step| step.posts == 0) {
            return Ok(());
        }
        match self.writer {
            // Before the lock, with no `.await` since the step's `post` let go of the store.
            Writer::Later(runs) => runs.publish(&self.at, step),
            Writer::Now(saver) => {
                let shared = store.access().await;
                saver.checkpoint(&shared, &self.at, step).await
            }
        }
    }

    /// A batch flow starts, as a level of the position: returns its depth, and, when the run
    /// resumes inside it, its saved items and the item to resume at (sequential); its runs
    /// (parallel) are kept for [`take_resumed_runs`](Self::take_resumed_runs).
    ///
    /// An error when the run resumes in a flow of another shape and this level was a flow's
    /// step when it was saved.
    pub fn enter_batch(&mut self) -> Result<(usize, Option<SavedBatch>)> {
        let resuming = self.resuming;
        let (depth, resume) = self.push_level(&[]);
        if resuming
            && self.by_name
            && let Some(saved) = self.resume.names.get(depth).filter(|name| !name.is_empty())
        {
            return Err(shape_changed(Some(saved), &[]));
        }
        let Some(found) = self.resume.batches.iter().position(|b| b.depth == depth) else {
            return Ok((depth, None));
        };
        let saved = self.resume.batches.swap_remove(found);
        self.resumed_runs = saved.runs.unwrap_or_default();
        Ok((depth, Some((saved.items, resume.unwrap_or(0)))))
    }

    /// Where the runs of the parallel batch flow entered last were when the run stopped.
    pub(crate) fn take_resumed_runs(&mut self) -> Runs {
        std::mem::take(&mut self.resumed_runs)
    }

    /// The batch flow at `depth` runs over `items` (JSON): every checkpoint inside it carries
    /// them.
    pub fn batch_items(&mut self, depth: usize, items: Arc<[Value]>) {
        self.at.batches.retain(|batch| batch.depth < depth);
        self.at.batches.push(BatchItems {
            depth,
            items,
            items_at: None,
            runs: None,
        });
    }

    /// The batch flow at `depth` runs item `index`.
    pub fn at_item(&mut self, depth: usize, index: u32) {
        self.at.truncate(depth + 1);
        self.names.truncate(depth + 1);
        self.steps.truncate(depth + 1);
        self.at.set(depth, index, "");
    }

    /// The batch flow at `depth` is done, `post` included: the position leaves it, and
    /// checkpoints after it do not carry its items.
    pub fn leave_batch(&mut self, depth: usize) {
        self.at.batches.retain(|batch| batch.depth < depth);
        self.at.truncate(depth);
        self.names.truncate(depth);
        self.steps.truncate(depth);
        // A parallel group's join is no post: its members' posts are all committed (its
        // checkpointer wrote the last of them), so the step after it commits nothing of its
        // own, and a run that stops before the next step resumes the group with every member
        // done.
        if self.names.last().is_some_and(|name| is_group_step(name)) && self.step.is_none() {
            self.step = Some(Step {
                node: self.step_name(),
                action: Some(crate::action::Action::DEFAULT.as_str().to_owned()),
                posts: 0,
            });
        }
    }

    /// What writes the run's checkpoints after each step, if this journal's steps are not
    /// left to a parallel batch flow's checkpointer.
    pub(crate) fn saver(&self) -> Option<&'j dyn Saver<S>> {
        match self.writer {
            Writer::Now(saver) => Some(saver),
            Writer::Later(_) => None,
        }
    }

    /// Where batch nodes journal their items in this run: the run's item journal, or, in the
    /// runs of a parallel batch flow, one that keeps nothing (see [`Discard`]).
    pub(crate) fn item_journal(&self) -> Option<&'j dyn ItemJournal> {
        match self.writer {
            Writer::Now(saver) => saver.item_journal(),
            Writer::Later(_) => Some(&Discard),
        }
    }

    /// How many steps the run has committed, when this journal writes its checkpoints (not in
    /// the runs of a parallel batch flow, whose checkpointer does).
    pub(crate) fn steps(&self) -> Option<u64> {
        match self.writer {
            Writer::Now(saver) => Some(saver.steps()),
            Writer::Later(_) => None,
        }
    }

    /// Where the run is now, and the name of the step it is in (`outer.inner`).
    pub(crate) fn here(&self) -> (&Position, String) {
        (&self.at, self.step_name())
    }

    fn step_name(&self) -> String {
        // A batch flow's level has no name: its steps are named as in errors, by flow steps.
        let names: Vec<&str> = self
            .names
            .iter()
            .copied()
            .filter(|n| !n.is_empty())
            .collect();
        names.join(".")
    }

    /// The step noted since the last checkpoint, if any.
    pub(crate) fn take_step(&mut self) -> Option<Step> {
        self.step.take()
    }
}

/// A batch flow's items as a checkpoint saved them, and the item to resume at (sequential).
pub type SavedBatch = (Arc<[Value]>, u32);

/// The error of a run that cannot resume in this flow: the saved step `saved` is not among
/// `steps` (`Some("")`: the level was a batch flow's or a group's; `None` with `steps`: the run
/// was saved before positions named their steps; `None` without: the saved position goes
/// deeper than this flow).
fn shape_changed(saved: Option<&str>, steps: &[&str]) -> crate::error::Error {
    let problem = match saved {
        None if steps.is_empty() => "the run was saved inside a nested flow or batch flow that the new flow does not have there; resume it with the flow that started it, or start a new run".to_owned(),
        None => "the run was saved before its position named its steps, so it cannot resume in a flow of another shape; resume it with the flow that started it".to_owned(),
        Some("") => format!(
            "the run was saved inside a batch flow or a group where the new flow has the steps {}; resume it with the flow that started it, or start a new run",
            steps.join(", ")
        ),
        Some(saved) if steps.is_empty() => format!(
            "the run was saved at step `{saved}`, where the new flow has a batch flow; resume it with the flow that started it, or start a new run"
        ),
        Some(saved) => format!(
            "the run was saved at step `{saved}`, which the new flow does not have (its steps: {}); resume it with a flow that has `{saved}`, or start a new run",
            steps.join(", ")
        ),
    };
    crate::error::Error::durable_with(crate::error::DurableErrorKind::ShapeChanged, problem.into())
}
