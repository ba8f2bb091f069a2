//! A durable run: a node or flow bound to a backend and a run id.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::checkpoints::{Checkpoint, Checkpoints, Status};
use super::journal::{Journal, Pending, Position, Saver, Step};
use crate::action::{Action, ActionType};
use crate::error::{Error, ErrorKind, Result};
use crate::node::{Node, NodeInfo};
use crate::store::Store;

/// How a durable run ended this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The run finished with this action (the label of the last action inside the flow).
    Finished(Action),
    /// A phase returned an [`Interrupt`](crate::Interrupt): the run waits before that node.
    Interrupted(Interruption),
}

/// Where and why a durable run stopped for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    node: String,
    reason: String,
}

impl Interruption {
    /// The step the run stopped at: its variable name in the flow (`outer.inner` through nested
    /// flows), or the node's type name when the node runs on its own.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The reason the node gave.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A node or flow bound to a [`Checkpoints`] backend and a run id, from
/// [`Run::durable`](crate::Run::durable).
///
/// ```
/// use pocketflow::prelude::*;
/// use pocketflow::durable::{Memory, Outcome};
/// use pocketflow::Interrupt;
///
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// struct Doc { draft: String, approved: Option<bool>, published: bool }
///
/// struct Write;
/// #[node]
/// impl Write { fn post(&self, doc: &mut Doc) { doc.draft = "hello".into(); } }
/// struct Ask;
/// #[node]
/// impl Ask {
///     fn prep(&self, doc: &Doc) -> Result<bool, Interrupt> {
///         doc.approved.ok_or_else(|| Interrupt::new("approve the draft"))
///     }
/// }
/// struct Publish;
/// #[node]
/// impl Publish { fn post(&self, doc: &mut Doc) { doc.published = true; } }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let db = Memory::new();
/// let (write, ask, publish) = (Write, Ask, Publish);
/// let review = flow! { write >> ask >> publish };
/// let run = review.durable(&db, "doc-42");
/// let mut doc = Doc::default();
/// match run.run(&mut doc).await.unwrap() {
///     Outcome::Interrupted(why) => assert_eq!((why.node(), why.reason()), ("ask", "approve the draft")),
///     Outcome::Finished(_) => unreachable!(),
/// }
/// run.update(|doc: &mut Doc| doc.approved = Some(true)).await.unwrap();
/// let mut doc = Doc::default();
/// assert_eq!(run.run(&mut doc).await.unwrap(), Outcome::Finished(Action::DEFAULT));
/// assert!(doc.published && doc.draft == "hello");
/// # });
/// ```
pub struct DurableRun<'a, N: ?Sized, C> {
    node: &'a N,
    checkpoints: &'a C,
    id: String,
}

impl<'a, N: NodeInfo + ?Sized, C: Checkpoints> DurableRun<'a, N, C> {
    pub(crate) fn new(node: &'a N, checkpoints: &'a C, id: String) -> DurableRun<'a, N, C> {
        DurableRun {
            node,
            checkpoints,
            id,
        }
    }

    /// The run id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs with `()` params: from the start when the id has no checkpoint (on `shared` as
    /// given), else from the saved position on the saved store (which replaces `shared`); a
    /// finished run runs nothing and returns its action again.
    pub async fn run<S>(&self, shared: &mut S) -> Result<Outcome>
    where
        N: Node<S, ()>,
        S: Serialize + DeserializeOwned + Send + Sync,
    {
        self.run_with(shared, &()).await
    }

    /// As [`run`](Self::run), with `params` for every node.
    pub async fn run_with<S, P>(&self, shared: &mut S, params: &P) -> Result<Outcome>
    where
        N: Node<S, P>,
        S: Serialize + DeserializeOwned + Send + Sync,
        P: Sync,
    {
        let shape = shape_of(self.node);
        let (resume, step, store) = match self.checkpoints.load(&self.id).await? {
            None => {
                let store = to_json(shared)?;
                let start = Checkpoint {
                    status: Status::Running,
                    step: 0,
                    position: "[]".into(),
                    store: store.clone(),
                    shape: shape.clone(),
                    node: None,
                    action: None,
                    message: None,
                };
                if !self.checkpoints.save_after(&self.id, None, &start).await? {
                    return Err(moved_on(&self.id));
                }
                (Position::default(), 0, store)
            }
            Some(saved) => {
                if saved.shape != shape {
                    return Err(Error::durable(
                        format!(
                            "run `{}` was saved by a flow of another shape; resume it with the flow that started it, or use a new run id",
                            self.id
                        )
                        .into(),
                    ));
                }
                if saved.status == Status::Finished {
                    return Ok(Outcome::Finished(Action::from(
                        saved.action.unwrap_or_default(),
                    )));
                }
                *shared = from_json(&saved.store, &self.id)?;
                let position: Position = serde_json::from_str(&saved.position).map_err(|e| {
                    Error::durable(
                        format!("run `{}` has an unreadable position: {e}", self.id).into(),
                    )
                })?;
                (position, saved.step, saved.store)
            }
        };
        let saver = RunSaver {
            checkpoints: self.checkpoints,
            id: &self.id,
            shape: &shape,
            step: AtomicU64::new(step),
            last: Mutex::new((
                store,
                serde_json::to_string(&resume).map_err(position_error)?,
            )),
        };
        let mut journal = Journal::new(&saver, resume);
        let result = self
            .node
            .run_durable(Store::exclusive(shared), params, &mut journal)
            .await;
        let (status, message, node) = match &result {
            Ok(_) => (Status::Finished, None, None),
            Err(error) => match error.interrupt() {
                Some(interrupt) => (
                    Status::Interrupted,
                    Some(interrupt.reason().to_owned()),
                    Some(step_name(error)),
                ),
                None => (
                    Status::Failed,
                    Some(error.to_string()),
                    Some(step_name(error)),
                ),
            },
        };
        let (position, store, action) = match &result {
            // The last post is the run's last step: the checkpoint says so, with the store.
            Ok(action) => (
                "[]".to_owned(),
                to_json(shared)?,
                Some(action.label().to_owned()),
            ),
            // The run stays where the last step left it (before the node that stopped it), on
            // that step's store.
            Err(_) => {
                let (store, position) = saver.last();
                (position, store, None)
            }
        };
        let noted = journal.take_step();
        // A finished run's last post is its last step; a stopped run took no step here.
        let step_count = saver.step.load(Ordering::Relaxed) + u64::from(result.is_ok());
        let checkpoint = Checkpoint {
            status,
            step: step_count,
            position,
            store,
            shape: shape.clone(),
            node: node.or_else(|| noted.as_ref().map(|step| step.node.clone())),
            action: action.or_else(|| noted.and_then(|step| step.action)),
            message,
        };
        let last_step = saver.step.load(Ordering::Relaxed);
        if !self
            .checkpoints
            .save_after(&self.id, Some(last_step), &checkpoint)
            .await?
        {
            return Err(moved_on(&self.id));
        }
        match result {
            Ok(action) => Ok(Outcome::Finished(action.into_action())),
            Err(error) if error.kind() == ErrorKind::Interrupted => {
                Ok(Outcome::Interrupted(Interruption {
                    node: checkpoint.node.unwrap_or_default(),
                    reason: checkpoint.message.unwrap_or_default(),
                }))
            }
            Err(error) => Err(error),
        }
    }

    /// Edits the saved store of this run in one transaction: for a person's answer while the
    /// run waits at an interrupt, or a fix before a failed run is retried.
    pub async fn update<S>(&self, edit: impl FnOnce(&mut S) + Send) -> Result<()>
    where
        S: Serialize + DeserializeOwned,
    {
        let id = &self.id;
        let mut edit = Some(edit);
        self.checkpoints
            .update_store(id, &mut |store| {
                let mut shared: S = from_json(store, id)?;
                if let Some(edit) = edit.take() {
                    edit(&mut shared);
                }
                to_json(&shared)
            })
            .await
    }
}

/// The name an error gives of the step it stopped at: the flow path of steps, or the node.
fn step_name(error: &Error) -> String {
    if error.path().is_empty() {
        error.node().to_owned()
    } else {
        error.path().join(".")
    }
}

/// The shape of a node or flow: a hash of its Mermaid chart (node names, edges, nesting), which
/// `flow!` fixes at compile time.
fn shape_of<N: NodeInfo + ?Sized>(node: &N) -> String {
    let chart = crate::mermaid::render(|mermaid| node.describe(mermaid, "", N::NAME));
    // FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
    let hash = chart.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{}:{hash:016x}", N::NAME)
}

fn to_json<S: Serialize + ?Sized>(shared: &S) -> Result<String> {
    serde_json::to_string(shared).map_err(|e| {
        Error::durable(format!("the shared store cannot be saved as JSON: {e}").into())
    })
}

fn from_json<S: DeserializeOwned>(store: &str, id: &str) -> Result<S> {
    serde_json::from_str(store).map_err(|e| {
        Error::durable(
            format!("the saved store of run `{id}` does not read as this flow's shared type: {e}")
                .into(),
        )
    })
}

/// Writes the checkpoints of one run.
struct RunSaver<'r, C> {
    checkpoints: &'r C,
    id: &'r str,
    shape: &'r str,
    step: AtomicU64,
    /// The store and position of the last checkpoint, which an interrupted or failed run goes
    /// back to.
    last: Mutex<(String, String)>,
}

impl<C> RunSaver<'_, C> {
    fn last(&self) -> (String, String) {
        self.last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Another process saved a step of run `id` since this one loaded or saved it: two ran it at
/// once, and this one stops rather than commit a step over the other's.
fn moved_on(id: &str) -> Error {
    Error::durable(
        format!(
            "run `{id}` was moved on by another process running it at the same time; this one \
             stopped without saving, run it again to go on from where the other left it"
        )
        .into(),
    )
}

fn position_error(error: serde_json::Error) -> Error {
    Error::durable(format!("the run's position cannot be saved: {error}").into())
}

impl<S: Serialize, C: Checkpoints> Saver<S> for RunSaver<'_, C> {
    fn save<'s>(&'s self, store: &S, position: &Position, step: Option<Step>) -> Pending<'s, ()> {
        let prepared = to_json(store).and_then(|store| {
            let position = serde_json::to_string(position).map_err(position_error)?;
            Ok((store, position))
        });
        Box::pin(async move {
            let (store, position) = prepared?;
            let (node, action, posts) = match step {
                Some(step) => (Some(step.node), step.action, step.posts),
                None => (None, None, 1),
            };
            let checkpoint = Checkpoint {
                status: Status::Running,
                step: self.step.load(Ordering::Relaxed) + posts,
                position,
                store,
                shape: self.shape.to_owned(),
                node,
                action,
                message: None,
            };
            let last_step = self.step.load(Ordering::Relaxed);
            if !self
                .checkpoints
                .save_after(self.id, Some(last_step), &checkpoint)
                .await?
            {
                return Err(moved_on(self.id));
            }
            self.step.store(checkpoint.step, Ordering::Relaxed);
            *self
                .last
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                (checkpoint.store, checkpoint.position);
            Ok(())
        })
    }

    fn save_item<'s>(&'s self, slot: u64, value: String) -> Pending<'s, ()> {
        Box::pin(async move { self.checkpoints.save_item(self.id, slot, &value).await })
    }

    fn save_items(&self, items: Vec<(u64, String)>) -> Pending<'_, ()> {
        Box::pin(async move { self.checkpoints.save_items(self.id, &items).await })
    }

    fn items(&self) -> Pending<'_, Vec<(u64, String)>> {
        Box::pin(self.checkpoints.items(self.id))
    }
}
