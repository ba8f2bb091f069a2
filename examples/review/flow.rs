//! The `review` flow: `write >> ask >> publish` on a [`Doc`], run durably by a [`Review`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pocketflow::Interrupt;
use pocketflow::durable::{Checkpoints, DurableErrorKind, Outcome, Status};
use pocketflow::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

/// What `ask` says while it waits, and what the page shows then.
pub const WAITING: &str = "waiting for approval";

/// The shared store of the flow, saved as JSON in every checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    /// What the text is about.
    pub topic: String,
    /// The text `write` drafted.
    pub draft: String,
    /// The reviewer's answer: `None` until the Approve or Reject button is pressed.
    pub approved: Option<bool>,
    /// The text `publish` wrote, when the draft was approved.
    pub published: Option<String>,
}

/// Drafts a text about the topic: deterministic and offline (a model call would go in `exec`).
pub struct Write;

#[node]
impl Write {
    fn prep(&self, doc: &Doc) -> String {
        doc.topic.clone()
    }

    fn exec(&self, topic: &String) -> String {
        draft_for(topic)
    }

    fn post(&self, doc: &mut Doc, _topic: String, draft: String) {
        doc.draft = draft;
    }
}

/// Waits for a person: an [`Interrupt`] until the store has an answer.
pub struct Ask;

#[node]
impl Ask {
    fn prep(&self, doc: &Doc) -> Result<bool, Interrupt> {
        doc.approved.ok_or_else(|| Interrupt::new(WAITING))
    }
}

/// Publishes an approved draft; a rejected one ends the run with the action `"rejected"`.
pub struct Publish;

#[node]
impl Publish {
    fn prep(&self, doc: &Doc) -> Option<String> {
        (doc.approved == Some(true)).then(|| doc.draft.clone())
    }

    fn post(&self, doc: &mut Doc, approved: Option<String>, _: ()) -> &'static str {
        match approved {
            Some(draft) => {
                doc.published = Some(format!(
                    "{draft}\n\nApproved by a reviewer and published by the `publish` node."
                ));
                "published"
            }
            None => "rejected",
        }
    }
}

/// The flow: draft, wait for the reviewer, publish.
pub fn review_flow() -> impl Node<Doc> + Send + Sync {
    let (write, ask, publish) = (Write, Ask, Publish);
    flow! { write >> ask >> publish }
}

/// The draft `write` makes of a topic.
pub fn draft_for(topic: &str) -> String {
    let topic = topic.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title = topic.clone();
    if let Some(first) = title.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    format!(
        "{title}: a short note.\n\n\
         {title} is worth a few minutes of anyone's day. This draft was written by the `write` \
         node, offline and the same every time, so that a person has something to read. The run \
         now waits at `ask`, its place and this text saved in a checkpoint, until the reviewer \
         approves or rejects it."
    )
}

/// Where the runs are kept when neither `--db` nor `REVIEW_DB` says: `runs.db` in a
/// `pocketflow-review` directory under `$XDG_STATE_HOME`, or `$HOME/.local/state` without it, or
/// the current directory without either. A directory of the example's own rather than the
/// shared temp directory, where anyone could make the file first or read it.
pub fn default_db() -> PathBuf {
    // The XDG spec ignores a relative `XDG_STATE_HOME`.
    let absolute = |var| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let state = absolute("XDG_STATE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".local").join("state")))
        .unwrap_or_else(|| PathBuf::from("."));
    state.join("pocketflow-review").join("runs.db")
}

/// Opens the checkpoint backend of the example: the SQLite file at `path`, so that a run
/// waiting for approval outlives the server (stop it, start it again, the draft still waits).
/// Missing directories on the way are created for their owner only (0o700 on unix): SQLite
/// creates the file and its journals (`-wal`, `-shm`) with the default permissions, usually
/// readable by everyone, so the directory is what keeps other users out. Existing directories
/// are left as they are. `Memory::new()` here keeps runs for as long as the server runs.
pub async fn open_db(path: &Path) -> pocketflow::Result<impl Checkpoints + 'static> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|error| {
            let why = format!("cannot create {}: {error}", dir.display());
            pocketflow::Error::durable(why.into())
        })?;
    }
    pocketflow::durable::Sqlite::open(path).await
}

/// Where the run stands, as `GET /status` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The run id.
    pub run_id: String,
    /// `waiting for approval`, `resuming`, `running`, `published`, `rejected` or `failed`.
    pub state: String,
    /// The backend's status of the run: `running`, `interrupted`, `finished` or `failed`.
    pub run: String,
    /// Whether the run has ended (published or rejected).
    pub finished: bool,
    /// Steps done so far: one per committed `post`.
    pub steps: u64,
    /// The step the run waits at or failed at, or the last one it took.
    pub node: Option<String>,
    /// The interrupt's reason or the failure's text.
    pub message: Option<String>,
    /// The saved shared store.
    pub doc: Doc,
    /// The run's checkpoints, oldest first: each one a step it can be retried from.
    pub history: Vec<Past>,
}

/// One checkpoint of the run, as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Past {
    /// The steps committed by then.
    pub step: u64,
    /// The node of the step (none for the run's start).
    pub node: Option<String>,
    /// The action it returned.
    pub action: Option<String>,
    /// Where the run stood then.
    pub status: String,
}

/// One durable run of [`review_flow`] on a backend, with a lock so that one request at a time
/// moves it on (two clicks on Approve resume it once).
pub struct Review<C> {
    db: C,
    /// The run started, which names its retries.
    started: String,
    /// The run the page shows: the one started, or the last retry forked from it.
    run_id: std::sync::Mutex<String>,
    lock: Arc<Mutex<()>>,
}

impl<C: Checkpoints + 'static> Review<C> {
    /// The run `run_id` on `db`; nothing runs until [`start`](Self::start).
    pub fn new(db: C, run_id: impl Into<String>) -> Arc<Review<C>> {
        let run_id = run_id.into();
        Arc::new(Review {
            db,
            started: run_id.clone(),
            run_id: std::sync::Mutex::new(run_id),
            lock: Arc::new(Mutex::new(())),
        })
    }

    /// The id of the run the page shows.
    pub fn run_id(&self) -> String {
        self.run_id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// "Retry from here": forks the run at `step` into a new run (`<id>-retry-<n>`, the first
    /// id not taken), clears the reviewer's answer in it, runs it until it waits for the
    /// reviewer again (or ends), and shows it from now on. The run it came from is untouched.
    pub async fn retry_from(&self, step: u64) -> pocketflow::Result<Outcome> {
        let _guard = self.lock.lock().await;
        let current = self.run_id();
        let flow = review_flow();
        let run = flow.durable(&self.db, current.as_str());
        let mut retry = 1;
        let fork = loop {
            match run
                .fork(step, format!("{}-retry-{retry}", self.started))
                .await
            {
                Ok(fork) => break fork,
                Err(error) if error.durable_kind() == Some(DurableErrorKind::Conflict) => {
                    retry += 1;
                }
                Err(error) => return Err(error),
            }
        };
        fork.update(|doc: &mut Doc| doc.approved = None).await?;
        let outcome = fork.run(&mut Doc::default()).await?;
        *self
            .run_id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = fork.id().to_owned();
        Ok(outcome)
    }

    /// Runs the flow on a new [`Doc`] about `topic` until it waits for the reviewer; a run
    /// already saved under this id resumes instead (its saved store wins over `topic`).
    pub async fn start(&self, topic: &str) -> pocketflow::Result<Outcome> {
        let _guard = self.lock.lock().await;
        let mut doc = Doc {
            topic: topic.to_owned(),
            ..Doc::default()
        };
        review_flow()
            .durable(&self.db, self.run_id())
            .run(&mut doc)
            .await
    }

    /// Records the reviewer's answer in the saved store and resumes the run in the background.
    /// Returns `false`, changing nothing, when the run is not waiting for an answer.
    pub async fn decide(self: &Arc<Self>, approved: bool) -> pocketflow::Result<bool> {
        let guard = self.lock.clone().lock_owned().await;
        let run_id = self.run_id();
        let waiting = self.db.load(&run_id).await?.is_some_and(|saved| {
            saved.status == Status::Interrupted && saved.node.as_deref() == Some("ask")
        });
        if !waiting {
            return Ok(false);
        }
        let flow = review_flow();
        let run = flow.durable(&self.db, run_id.as_str());
        run.update(move |doc: &mut Doc| doc.approved = Some(approved))
            .await?;
        let review = Arc::clone(self);
        tokio::spawn(async move {
            let _guard = guard;
            let flow = review_flow();
            let run = flow.durable(&review.db, run_id);
            match run.run(&mut Doc::default()).await {
                Ok(Outcome::Finished(action)) => println!("run {} finished: {action}", run.id()),
                Ok(Outcome::Interrupted(why)) => {
                    println!("run {} waits at {}: {}", run.id(), why.node(), why.reason())
                }
                Err(error) => eprintln!("run {} failed: {error}", run.id()),
            }
        });
        Ok(true)
    }

    /// The run as saved now.
    pub async fn report(&self) -> pocketflow::Result<Report> {
        let run_id = self.run_id();
        let saved = self.db.load(&run_id).await?.ok_or_else(|| {
            pocketflow::Error::durable(format!("run `{run_id}` was never started").into())
        })?;
        let flow = review_flow();
        let history = flow.durable(&self.db, run_id.as_str()).history().await?;
        let history = history
            .into_iter()
            .map(|entry| Past {
                step: entry.step,
                node: entry.node,
                action: entry.action,
                status: entry.status.as_str().to_owned(),
            })
            .collect();
        let doc: Doc = serde_json::from_str(&saved.store)
            .map_err(|e| pocketflow::Error::durable(Box::new(e)))?;
        let state = match saved.status {
            Status::Interrupted if doc.approved.is_some() => "resuming",
            Status::Interrupted => WAITING,
            Status::Running => "running",
            Status::Finished if doc.published.is_some() => "published",
            Status::Finished => "rejected",
            // `Failed`, and any status a later pocketflow adds.
            other => other.as_str(),
        };
        Ok(Report {
            run_id,
            state: state.to_owned(),
            run: saved.status.as_str().to_owned(),
            finished: saved.status == Status::Finished,
            steps: saved.step,
            node: saved.node,
            message: saved.message,
            doc,
            history,
        })
    }
}
