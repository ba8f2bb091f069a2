//! A durable run: a node or flow bound to a backend and a run id.

use std::sync::atomic::Ordering;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::checkpoints::{Checkpoint, Checkpoints, Status};
use super::items::{self, WrittenItems};
use super::journal::{Journal, Position};
use super::json;
use super::saver::RunSaver;
use crate::action::{Action, ActionType};
use crate::context::{Unwrapped, WrapRun};
use crate::error::{DurableErrorKind, Error, ErrorKind, Result};
use crate::node::{Node, NodeInfo};
use crate::store::Store;
use crate::stream::{Emits, EventKind, EventStream, LastCommit, Silent, stream_layered};

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
    pub(crate) checkpoints: &'a C,
    pub(crate) id: String,
    accept_shape: bool,
}

impl<N: NodeInfo + ?Sized, C> std::fmt::Debug for DurableRun<'_, N, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DurableRun")
            .field("node", &N::NAME)
            .field("id", &self.id)
            .field("accept_shape", &self.accept_shape)
            .finish_non_exhaustive()
    }
}

impl<'a, N: NodeInfo + ?Sized, C: Checkpoints> DurableRun<'a, N, C> {
    pub(crate) fn new(node: &'a N, checkpoints: &'a C, id: String) -> DurableRun<'a, N, C> {
        DurableRun {
            node,
            checkpoints,
            id,
            accept_shape: false,
        }
    }

    /// The run id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Lets a run saved by a flow of another shape resume in this one (after a deploy that
    /// changed the flow), when every step on its saved position still exists here by name:
    /// each level resumes at the step of that name, and the run then carries this flow's
    /// shape. A saved step this flow does not have is a
    /// [`ShapeChanged`](DurableErrorKind::ShapeChanged) error naming it, and nothing is
    /// written. Off by default: a run resumes only in the flow that saved it.
    ///
    /// ```
    /// use pocketflow::prelude::*;
    /// use pocketflow::durable::{DurableErrorKind, Memory, Outcome};
    /// use pocketflow::Interrupt;
    ///
    /// #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// struct Doc { steps: Vec<String>, approved: bool }
    /// struct Step(&'static str);
    /// #[node]
    /// impl Step { fn post(&self, doc: &mut Doc) { doc.steps.push(self.0.into()); } }
    /// struct Ask;
    /// #[node]
    /// impl Ask {
    ///     fn prep(&self, doc: &Doc) -> Result<(), Interrupt> {
    ///         if doc.approved { Ok(()) } else { Err(Interrupt::new("approve")) }
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let db = Memory::new();
    /// let (write, ask, publish) = (Step("write"), Ask, Step("publish"));
    /// let old = flow! { write >> ask >> publish };
    /// old.durable(&db, "doc").run(&mut Doc::default()).await.unwrap();   // waits at `ask`
    ///
    /// // Deployed: a step added after `ask`.
    /// let (write, ask, notify, publish) = (Step("write"), Ask, Step("notify"), Step("publish"));
    /// let new = flow! { write >> ask >> notify >> publish };
    /// let run = new.durable(&db, "doc");
    /// run.update(|doc: &mut Doc| doc.approved = true).await.unwrap();
    /// let error = run.run(&mut Doc::default()).await.unwrap_err();
    /// assert_eq!(error.durable_kind(), Some(DurableErrorKind::ShapeChanged));
    ///
    /// let run = new.durable(&db, "doc").accept_shape(true);
    /// let mut doc = Doc::default();
    /// assert!(matches!(run.run(&mut doc).await.unwrap(), Outcome::Finished(_)));
    /// assert_eq!(doc.steps, ["write", "notify", "publish"]);
    /// # });
    /// ```
    pub fn accept_shape(mut self, accept: bool) -> Self {
        self.accept_shape = accept;
        self
    }

    /// The same flow and backend, and settings, for run `id`.
    pub(crate) fn with_id(&self, id: String) -> DurableRun<'a, N, C> {
        DurableRun { id, ..*self }
    }

    /// Runs with `()` params: from the start when the id has no checkpoint (on `shared` as
    /// given), else from the saved position on the saved store (which replaces `shared`); a
    /// finished run runs nothing, hands back its final store and returns its action again.
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
        self.run_wrapped(shared, params, &Unwrapped, &mut None)
            .await
    }

    /// The run as a stream of its events, as [`Run::stream`](crate::Run::stream) streams a
    /// plain run: each event's [`step`](crate::stream::Event::step) is the durable step it
    /// belongs to, and a [`Checkpoint`](crate::stream::EventKind::Checkpoint) event follows
    /// each commit. [`finish`](crate::stream::EventStream::finish) returns the [`Outcome`].
    /// Dropping the stream stops the run where it is; run it again to resume from its last
    /// checkpoint.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use pocketflow::durable::{Memory, Outcome};
    /// use pocketflow::prelude::*;
    /// use pocketflow::stream::EventKind;
    ///
    /// struct Add(u32);
    /// #[node]
    /// impl Add {
    ///     fn post(&self, total: &mut u32) { *total += self.0; }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (one, two) = (Add(1), Add(2));
    /// let flow = flow! { one >> two };
    /// let db = Memory::new();
    /// let mut total = 0;
    /// let run = flow.durable(&db, "sum");
    /// let mut events = run.stream::<()>(&mut total);
    /// let mut checkpoints = Vec::new();
    /// while let Some(event) = events.next().await {
    ///     if let EventKind::Checkpoint { step } = event.kind() {
    ///         checkpoints.push(*step);
    ///     }
    /// }
    /// assert!(matches!(events.finish().await.unwrap(), Outcome::Finished(_)));
    /// assert_eq!((checkpoints, total), (vec![1, 2], 3)); // step 2 is also the run's end
    /// # });
    /// ```
    pub fn stream<'s, T>(
        &'s self,
        shared: &'s mut impl StreamDurable<'s, N, C, T>,
    ) -> EventStream<'s, T, Result<Outcome>> {
        shared.stream_durable(self)
    }

    /// [`stream`](Self::stream) with `params`: what [`StreamDurableWith::stream_with`] runs.
    /// Its callers check that `N` emits `T` or nothing.
    fn stream_params<'s, T, S, P>(
        &'s self,
        shared: &'s mut S,
        params: &'s P,
    ) -> EventStream<'s, T, Result<Outcome>>
    where
        N: Node<S, P> + Sync,
        S: Serialize + DeserializeOwned + Send + Sync,
        P: Sync,
        T: Send + 'static,
    {
        stream_layered::<T, N, _, _>(
            move |top| async move {
                let mut last = None;
                let outcome = self.run_wrapped(shared, params, &top, &mut last).await;
                if let Some(commit) = last {
                    top.committed_last(commit);
                }
                outcome
            },
            outcome_event,
        )
    }

    /// Runs in the context `wrap` puts around the run's journal; `last_commit` is set when the
    /// run's end commits a step of its own (which no layer's `commit` sees).
    async fn run_wrapped<S, P, W>(
        &self,
        shared: &mut S,
        params: &P,
        wrap: &W,
        last_commit: &mut Option<LastCommit>,
    ) -> Result<Outcome>
    where
        N: Node<S, P>,
        S: Serialize + DeserializeOwned + Send + Sync,
        P: Sync,
        W: WrapRun<S>,
    {
        let shape = shape_of(self.node);
        // Whether the run resumes in a flow of another shape (`accept_shape`): by name.
        let mut by_name = false;
        let mut saver = match self.checkpoints.load(&self.id).await? {
            None => {
                let store = json::encode(shared).map_err(|e| {
                    json::unwritable(
                        &format!("run `{}`", self.id),
                        "the shared store passed in",
                        e,
                    )
                })?;
                let start = Checkpoint {
                    status: Status::Running,
                    step: 0,
                    version: 1,
                    position: "[]".into(),
                    store,
                    shape: shape.clone(),
                    node: None,
                    action: None,
                    message: None,
                };
                if !self.checkpoints.save_after(&self.id, None, &start).await? {
                    // Another process started the run first: its store is the run's.
                    let error = conflict(self.checkpoints, &self.id, None).await;
                    self.hand_back_saved(shared, None).await;
                    return Err(error);
                }
                RunSaver::new(self, &shape, start)
            }
            Some(saved) => {
                by_name = saved.shape != shape;
                if by_name && !self.accept_shape {
                    // Whatever its status, the run hands back its saved store.
                    hand_back(&self.id, &saved.store, shared);
                    return Err(Error::durable_with(
                        DurableErrorKind::ShapeChanged,
                        format!(
                            "run `{}` was saved by a flow of another shape; resume it with the flow that started it, let this one resume it by step names with `accept_shape(true)`, or use a new run id",
                            self.id
                        )
                        .into(),
                    ));
                }
                // Whatever its status, the run hands back its saved store.
                *shared = read_store(&self.id, &saved.store)?;
                if saved.status == Status::Finished {
                    return Ok(Outcome::Finished(Action::from(
                        saved.action.unwrap_or_default(),
                    )));
                }
                RunSaver::new(self, &shape, saved)
            }
        };
        let mut resume: Position = json::decode(
            &saver.last().1,
            &format!("the saved position of run `{}`", self.id),
            "resume it with the program that saved it",
        )?;
        saver.written =
            WrittenItems::new(items::resolve(self.checkpoints, &self.id, &mut resume).await?);
        let mut journal = Journal::new(&saver, resume);
        journal.by_name = by_name;
        let ran = self
            .node
            .run_in(Store::exclusive(shared), params, wrap.wrap(0, &mut journal))
            .await;
        let noted = journal.take_step();
        let top_step = journal.top_step();
        let noted_node = noted.as_ref().map(|step| step.node.clone());
        // The last step's posts: one, or none when the flow ended with a parallel group's join.
        let noted_posts = noted.as_ref().map_or(1, |step| step.posts);
        // The last post is the run's last step: its checkpoint holds the final store, which
        // must read back like any other.
        let result = ran.and_then(|action| match json::encode(shared) {
            Ok(store) => Ok((action, store)),
            Err(problem) => Err(json::unwritable(
                &format!("step `{}`", noted_node.as_deref().unwrap_or(N::NAME)),
                "the shared store",
                problem,
            )),
        });
        let result = match result {
            // Nothing can be committed over a run that moved on, nor by a flow that cannot
            // resume it (its shape would be saved as the run's).
            Err(error)
                if matches!(
                    error.durable_kind(),
                    Some(DurableErrorKind::Conflict | DurableErrorKind::ShapeChanged)
                ) =>
            {
                self.hand_back_saved(shared, Some(saver.last().0)).await;
                return Err(error);
            }
            other => other,
        };
        let (last_store, last_position) = saver.last();
        let mut checkpoint = Checkpoint {
            status: Status::Finished,
            step: saver.step.load(Ordering::Relaxed),
            version: saver.version.load(Ordering::Relaxed) + 1,
            position: "[]".to_owned(),
            store: last_store,
            shape: shape.clone(),
            node: noted_node,
            action: noted.and_then(|step| step.action),
            message: None,
        };
        match &result {
            Ok((action, store)) => {
                checkpoint.step += noted_posts;
                checkpoint.store.clone_from(store);
                checkpoint.action = Some(action.label().to_owned());
            }
            // The run stays where the last step left it (before the node that stopped it), on
            // that step's store.
            Err(error) => {
                checkpoint.position = last_position;
                checkpoint.status = match error.interrupt() {
                    Some(interrupt) => {
                        checkpoint.message = Some(interrupt.reason().to_owned());
                        Status::Interrupted
                    }
                    None => {
                        checkpoint.message = Some(error.to_string());
                        Status::Failed
                    }
                };
                if let Some(name) = step_name(error) {
                    checkpoint.node = Some(name);
                }
            }
        }
        let expected = saver.version.load(Ordering::Relaxed);
        let saved = self
            .checkpoints
            .save_after(&self.id, Some(expected), &checkpoint)
            .await;
        if !matches!(saved, Ok(true)) {
            let error = match saved {
                Err(error) => error,
                _ => {
                    let step = saver.step.load(Ordering::Relaxed);
                    conflict(self.checkpoints, &self.id, Some(step)).await
                }
            };
            self.hand_back_saved(shared, Some(saver.last().0)).await;
            return Err(error);
        }
        // A run that stopped hands back what it saved, not what the step that stopped it (a
        // `post` that edited the store, then interrupted) left in memory.
        if result.is_err() {
            hand_back(&self.id, &checkpoint.store, shared);
        }
        if result.is_ok() && noted_posts > 0 {
            *last_commit = Some((checkpoint.step, top_step));
        }
        match result {
            Ok((action, _)) => Ok(Outcome::Finished(action.into_action())),
            Err(error) if error.kind() == ErrorKind::Interrupted => {
                Ok(Outcome::Interrupted(Interruption {
                    node: checkpoint.node.unwrap_or_default(),
                    reason: checkpoint.message.unwrap_or_default(),
                }))
            }
            Err(error) => Err(error),
        }
    }

    /// Replaces `shared` with the run's saved store: after the run lost to another writer,
    /// whose store is the run's now. When that cannot be read (the backend is gone, or the
    /// writer left a store this type cannot read), this run's own last commit (`own_last`), so
    /// that nothing uncommitted is handed back either way.
    async fn hand_back_saved<S: DeserializeOwned>(&self, shared: &mut S, own_last: Option<String>) {
        let handed = match self.checkpoints.load(&self.id).await {
            Ok(Some(saved)) => hand_back(&self.id, &saved.store, shared),
            _ => false,
        };
        if let (false, Some(own_last)) = (handed, own_last) {
            hand_back(&self.id, &own_last, shared);
        }
    }

    /// Edits the saved store of this run in one transaction: for a person's answer while the
    /// run waits at an interrupt, or a fix before a failed run is retried. It commits at once,
    /// whatever a process running this id is doing: that process cannot commit over it (its
    /// next commit fails with a [`Conflict`](DurableErrorKind::Conflict) error) and running
    /// the run again starts from the edited store.
    ///
    /// A store that no longer reads as `S` is an [`Unreadable`](DurableErrorKind::Unreadable)
    /// error naming the type and the JSON path; [`update_json`](Self::update_json) repairs it.
    pub async fn update<S>(&self, edit: impl FnOnce(&mut S) + Send) -> Result<()>
    where
        S: Serialize + DeserializeOwned,
    {
        let (mut edit, id) = (Some(edit), self.id.as_str());
        self.checkpoints
            .update_store(id, &mut |store| {
                let mut shared: S = read_store(id, store)?;
                if let Some(edit) = edit.take() {
                    edit(&mut shared);
                }
                json::encode(&shared).map_err(|e| {
                    json::unwritable(&format!("`update` of run `{id}`"), "the edited store", e)
                })
            })
            .await
    }

    /// Edits the saved store of this run as JSON, in one transaction, without reading it as
    /// the current shared type: how a store saved by an older program (a renamed field, a
    /// changed type) is migrated, or an [`Unreadable`](DurableErrorKind::Unreadable) one
    /// repaired. Fenced as [`update`](Self::update) is.
    ///
    /// ```
    /// use pocketflow::prelude::*;
    /// use pocketflow::durable::{Checkpoints, Memory};
    ///
    /// #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// struct Doc { title: String }
    /// struct Title;
    /// #[node]
    /// impl Title { fn post(&self, doc: &mut Doc) { doc.title = "draft".into(); } }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let db = Memory::new();
    /// let run = Title.durable(&db, "doc-1");
    /// run.run(&mut Doc::default()).await.unwrap();
    /// run.update_json(|doc| doc["title"] = "final".into()).await.unwrap();
    /// assert_eq!(db.load("doc-1").await.unwrap().unwrap().store, r#"{"title":"final"}"#);
    /// # });
    /// ```
    pub async fn update_json(
        &self,
        edit: impl FnOnce(&mut serde_json::Value) + Send,
    ) -> Result<()> {
        let (mut edit, id) = (Some(edit), self.id.as_str());
        self.checkpoints
            .update_store(id, &mut |store| {
                let mut value: serde_json::Value = json::decode(
                    store,
                    &format!("the saved store of run `{id}`"),
                    "it is not JSON; fix it with the database's own tools",
                )?;
                if let Some(edit) = edit.take() {
                    edit(&mut value);
                }
                json::encode(&value).map_err(|e| {
                    json::unwritable(
                        &format!("`update_json` of run `{id}`"),
                        "the edited store",
                        e,
                    )
                })
            })
            .await
    }
}

/// The saved store of run `id` as an `S`.
/// Replaces `shared` with the saved store `store` of run `id` when it reads as an `S`: whether
/// it did. A run that stops hands back what it saved (SPEC 10); one that cannot be read leaves
/// the caller's store as it is, and the error the run returns says why it stopped.
fn hand_back<S: DeserializeOwned>(id: &str, store: &str, shared: &mut S) -> bool {
    match read_store(id, store) {
        Ok(saved) => {
            *shared = saved;
            true
        }
        Err(_) => false,
    }
}

pub(crate) fn read_store<S: DeserializeOwned>(id: &str, store: &str) -> Result<S> {
    json::decode(
        store,
        &format!("the saved store of run `{id}`"),
        "repair it with `update_json`, or run it with the program that saved it",
    )
}

/// The name an error gives of the step it stopped at: the flow path of steps, or the node;
/// `None` for an error of the durable layer, which names its step in its message.
fn step_name(error: &Error) -> Option<String> {
    if !error.path().is_empty() {
        Some(error.path().join("."))
    } else if !error.node().is_empty() {
        Some(error.node().to_owned())
    } else {
        None
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

/// The error of a commit refused because run `id` moved on from the version this process
/// loaded, at step `loaded` (`None`: it found no run). It says whether an edit or another
/// process did it, as far as the saved run tells: an edit moves the version and not the step.
pub(crate) async fn conflict<C: Checkpoints>(
    checkpoints: &C,
    id: &str,
    loaded: Option<u64>,
) -> Error {
    let saved = checkpoints.load(id).await.ok().flatten();
    let by = match (saved, loaded) {
        (Some(saved), Some(step)) if saved.step == step => {
            "was edited (by `update` or `update_json`) or re-checkpointed by another process"
        }
        _ => "was moved on by another process running it at the same time",
    };
    Error::durable_with(
        DurableErrorKind::Conflict,
        format!(
            "run `{id}` {by} since this process loaded it; this one stopped without committing: \
             run it again to go on from the saved state"
        )
        .into(),
    )
}

/// What a streamed durable node run on its own ends with: its action, or the interrupt that
/// stopped it.
fn outcome_event(outcome: &Outcome) -> EventKind<Silent> {
    match outcome {
        Outcome::Finished(action) => EventKind::Finished {
            action: action.clone(),
        },
        Outcome::Interrupted(why) => EventKind::Failed {
            error: why.reason().to_owned(),
        },
    }
}

/// A shared store that the durable run of `N` on `C` can be streamed on as `T`: what
/// [`DurableRun::stream::<T>`](DurableRun::stream) takes, so that its only type argument is
/// `T` (as [`StreamOn`](crate::stream::StreamOn) for plain runs).
pub trait StreamDurable<'s, N: ?Sized, C, T>: Sized {
    /// Streams `run` on this store.
    fn stream_durable(
        &'s mut self,
        run: &'s DurableRun<'_, N, C>,
    ) -> EventStream<'s, T, Result<Outcome>>;
}

impl<'s, N, C, T, S> StreamDurable<'s, N, C, T> for S
where
    N: Node<S> + Emits<T> + Sync + ?Sized,
    C: Checkpoints,
    S: Serialize + DeserializeOwned + Send + Sync + 's,
    T: Send + 'static,
{
    fn stream_durable(
        &'s mut self,
        run: &'s DurableRun<'_, N, C>,
    ) -> EventStream<'s, T, Result<Outcome>> {
        run.stream_params(self, &())
    }
}

/// Gives a durable run `stream_with`: [`DurableRun::stream`] with params, as
/// [`DurableRun::run_with`]. A trait generic in the store and params types, as
/// [`StreamWith`](crate::StreamWith) for plain runs, so that its one type argument is what the
/// run emits. In the prelude.
///
/// ```
/// use futures::StreamExt;
/// use pocketflow::durable::{Memory, Outcome};
/// use pocketflow::prelude::*;
///
/// struct Greet;
/// #[node]
/// impl Greet {
///     fn post(&self, out: &mut String, _prep: (), _exec: (), name: &String) {
///         out.push_str(name);
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let db = Memory::new();
/// let greet = Greet;
/// let run = greet.durable(&db, "greet");
/// let (mut out, name) = (String::new(), "ferris".to_owned());
/// let mut events = run.stream_with::<()>(&mut out, &name);
/// while events.next().await.is_some() {}
/// assert!(matches!(events.finish().await.unwrap(), Outcome::Finished(_)));
/// assert_eq!(out, "ferris");
/// # });
/// ```
pub trait StreamDurableWith<S, P> {
    /// Streams the run on `shared` with `params`: see [`DurableRun::stream`].
    fn stream_with<'s, T>(
        &'s self,
        shared: &'s mut S,
        params: &'s P,
    ) -> EventStream<'s, T, Result<Outcome>>
    where
        Self: DurableEmits<T>,
        T: Send + 'static;
}

impl<N, C, S, P> StreamDurableWith<S, P> for DurableRun<'_, N, C>
where
    N: Node<S, P> + Sync + ?Sized,
    C: Checkpoints,
    S: Serialize + DeserializeOwned + Send + Sync,
    P: Sync,
{
    fn stream_with<'s, T>(
        &'s self,
        shared: &'s mut S,
        params: &'s P,
    ) -> EventStream<'s, T, Result<Outcome>>
    where
        Self: DurableEmits<T>,
        T: Send + 'static,
    {
        self.stream_params(shared, params)
    }
}

/// A durable run of a node that emits `T` or nothing (see [`Emits`]).
#[doc(hidden)]
pub trait DurableEmits<T> {}

impl<T, N: Emits<T> + ?Sized, C> DurableEmits<T> for DurableRun<'_, N, C> {}
