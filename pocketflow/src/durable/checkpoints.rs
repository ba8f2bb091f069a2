//! The storage side of durable runs: what a backend keeps per run, and the trait it implements.

use std::future::Future;
use std::time::SystemTime;

use crate::error::Result;

/// Where a durable run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Started and not ended: running now, or stopped by a crash and waiting to be resumed.
    Running,
    /// Stopped at an [`Interrupt`](crate::Interrupt), waiting for `run` to be called again.
    Interrupted,
    /// Ended with an action; running it again runs nothing.
    Finished,
    /// A node failed for good; running it again retries from that node.
    Failed,
}

impl Status {
    /// The status as stored: `running`, `interrupted`, `finished` or `failed`.
    ///
    /// ```
    /// use pocketflow::durable::Status;
    /// assert_eq!(Status::Interrupted.as_str(), "interrupted");
    /// assert_eq!(Status::parse("failed"), Some(Status::Failed));
    /// assert_eq!(Status::parse("paused"), None);
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Interrupted => "interrupted",
            Status::Finished => "finished",
            Status::Failed => "failed",
        }
    }

    /// The status a stored string names, if any.
    pub fn parse(text: &str) -> Option<Status> {
        [
            Status::Running,
            Status::Interrupted,
            Status::Finished,
            Status::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The saved state of one run after its last committed step: what [`Checkpoints::save`] writes
/// and [`Checkpoints::load`] reads back. Backends store the fields as they are; `position` and
/// `store` are JSON text that only the runtime reads.
///
/// ```
/// use pocketflow::durable::{Checkpoint, Status};
///
/// let checkpoint = Checkpoint {
///     status: Status::Running,
///     step: 1,
///     version: 2,
///     position: "[1]".into(),
///     store: r#"{"count":1}"#.into(),
///     shape: "flow(a,b;a-default-b)".into(),
///     node: Some("a".into()),
///     action: Some("default".into()),
///     message: None,
/// };
/// assert_eq!(checkpoint.clone(), checkpoint);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Where the run stands.
    pub status: Status,
    /// How many steps (node `post`s) the run has committed.
    pub step: u64,
    /// How many times the run's row was written: each checkpoint the runtime saves has the
    /// saved version plus one, and [`Checkpoints::update_store`] adds one in its transaction.
    /// A process commits only over the version it loaded ([`Checkpoints::save_after`]) and
    /// reads only the journal of that version ([`Checkpoints::items`]), so an edit made while
    /// it runs is never written over.
    pub version: u64,
    /// Where the run continues, as JSON (the path of steps through nested flows).
    pub position: String,
    /// The shared store after the last committed step, as JSON.
    pub store: String,
    /// The flow's shape (its nodes and edges), so that a run is never resumed by another flow.
    pub shape: String,
    /// The node of the last step, or the node the run was interrupted or failed at.
    pub node: Option<String>,
    /// The action of the last step (the final action of a finished run).
    pub action: Option<String>,
    /// The interrupt's reason or the failure's text.
    pub message: Option<String>,
}

/// One run, as [`Checkpoints::list`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// The run id chosen by the caller of `durable`.
    pub id: String,
    /// Where the run stands.
    pub status: Status,
    /// Steps committed.
    pub steps: u64,
    /// The node of the last checkpoint.
    pub last_node: Option<String>,
    /// When the last checkpoint was written.
    pub updated: SystemTime,
}

/// One checkpoint in a run's history, as [`Checkpoints::history`] shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The step count after this checkpoint.
    pub step: u64,
    /// Where the run stood.
    pub status: Status,
    /// The node of the step (or of the interrupt or failure).
    pub node: Option<String>,
    /// The action the node returned.
    pub action: Option<String>,
    /// When it was written.
    pub time: SystemTime,
}

/// A place to keep durable runs: [`Memory`](super::Memory), `Sqlite` and `Postgres` (features
/// `sqlite` and `postgres`), or your own.
///
/// Every method is one transaction: a checkpoint is written whole or not at all, whatever
/// happens to the process meanwhile. Errors are [`Error::durable`](crate::Error::durable)
/// (kind `Backend`), or [`Error::durable_with`](crate::Error::durable_with) `NotFound` for a
/// run that does not exist where one must.
///
/// Each run has a *version* ([`Checkpoint::version`]) that every write of the run moves on. The
/// runtime relies on three promises, which the conformance kit of feature `testing`
/// (`pocketflow::durable::testing`) checks against a backend at every call it makes:
///
/// - [`save_after`](Self::save_after) writes only over the version it was given, atomically;
/// - [`update_store`](Self::update_store) adds one to the version and drops the journal, in the
///   transaction of the edit;
/// - journal rows are written only while the run is at their version, and read back only for it.
///
/// ```
/// use pocketflow::durable::{Checkpoint, Checkpoints, Memory, Status};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let db = Memory::new();
/// let mut checkpoint = Checkpoint {
///     status: Status::Running, step: 1, version: 1, position: "[1]".into(), store: "0".into(),
///     shape: "s".into(), node: Some("a".into()), action: Some("default".into()), message: None,
/// };
/// db.save("run-1", &checkpoint).await.unwrap();
/// assert!(db.save_item("run-1", 1, 1, "\"done\"").await.unwrap());
/// assert_eq!(db.items("run-1", 1).await.unwrap(), [(1, "\"done\"".to_owned())]);
/// // An edit moves the version on: the journal of version 1 is gone, and cannot be written.
/// db.update_store("run-1", &mut |store| Ok(format!("{store}1"))).await.unwrap();
/// let saved = db.load("run-1").await.unwrap().unwrap();
/// assert_eq!((saved.store.as_str(), saved.version), ("01", 2));
/// assert!(db.items("run-1", 1).await.unwrap().is_empty());
/// assert!(!db.save_item("run-1", 1, 2, "\"late\"").await.unwrap());
/// checkpoint.step = 2;
/// checkpoint.version = 3;
/// db.save("run-1", &checkpoint).await.unwrap();
/// assert_eq!(db.history("run-1").await.unwrap().len(), 2);
/// assert_eq!(db.list().await.unwrap()[0].id, "run-1");
/// # });
/// ```
pub trait Checkpoints: Send + Sync {
    /// The last checkpoint of `run_id`, or `None` for a run never saved.
    fn load(&self, run_id: &str) -> impl Future<Output = Result<Option<Checkpoint>>> + Send;

    /// Makes `checkpoint` the run's current one (its version as given), appends it to the
    /// run's history and drops the run's journal, in one transaction.
    fn save(
        &self,
        run_id: &str,
        checkpoint: &Checkpoint,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Saves `checkpoint` as [`save`](Checkpoints::save) does, only if the run's saved
    /// [version](Checkpoint::version) is still `expected` (`None`: the run has no checkpoint
    /// yet), and returns whether it did: `false`, with nothing written, when another process or
    /// an [`update_store`](Self::update_store) has moved the run on since. Durable runs save
    /// through it, so two processes that resume one run id at once cannot both commit a step,
    /// and an edit is never written over.
    ///
    /// The default loads, compares and saves in separate calls, between which another process
    /// can slip: a backend must do it in one transaction (`Memory`, `Sqlite` and `Postgres`
    /// do); the conformance kit (feature `testing`) shows the difference.
    ///
    /// ```
    /// # use pocketflow::durable::{Checkpoint, Checkpoints, Memory, Status};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let db = Memory::new();
    /// let mut checkpoint = Checkpoint {
    ///     status: Status::Running, step: 1, version: 1, position: "[1]".into(), store: "0".into(),
    ///     shape: "s".into(), node: Some("a".into()), action: Some("default".into()), message: None,
    /// };
    /// assert!(db.save_after("run-1", None, &checkpoint).await.unwrap());
    /// checkpoint.step = 2;
    /// checkpoint.version = 2;
    /// assert!(db.save_after("run-1", Some(1), &checkpoint).await.unwrap());
    /// // A second process that also resumed at version 1 is too late.
    /// assert!(!db.save_after("run-1", Some(1), &checkpoint).await.unwrap());
    /// assert!(!db.save_after("run-1", None, &checkpoint).await.unwrap());
    /// assert_eq!(db.history("run-1").await.unwrap().len(), 2);
    /// # });
    /// ```
    fn save_after(
        &self,
        run_id: &str,
        expected: Option<u64>,
        checkpoint: &Checkpoint,
    ) -> impl Future<Output = Result<bool>> + Send {
        async move {
            let saved = self.load(run_id).await?.map(|saved| saved.version);
            if saved != expected {
                return Ok(false);
            }
            self.save(run_id, checkpoint).await.map(|()| true)
        }
    }

    /// Replaces the saved store of `run_id` with what `edit` makes of it, adds one to the
    /// run's version and drops its journal, in one transaction; an error (from `edit`, or
    /// `NotFound` for a run never saved) changes nothing.
    fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> Result<String> + Send),
    ) -> impl Future<Output = Result<()>> + Send;

    /// Every run, most recently updated first.
    fn list(&self) -> impl Future<Output = Result<Vec<RunInfo>>> + Send;

    /// The checkpoints of `run_id`, oldest first (empty for a run never saved).
    fn history(&self, run_id: &str) -> impl Future<Output = Result<Vec<HistoryEntry>>> + Send;

    /// Claims the step in progress of `run_id` for this process: moves the run's version from
    /// `version` to `version + 1` and drops its journal, in one transaction, if the run is
    /// still at `version`; returns whether it did. A batch node claims its step before it
    /// journals its items, so that of two processes that loaded one version only one journals
    /// that step: the other's claim, and every write it makes after, is refused.
    ///
    /// The default loads, compares and updates in separate calls, as the default
    /// [`save_after`](Self::save_after) does; a backend should do it in one transaction.
    fn claim(&self, run_id: &str, version: u64) -> impl Future<Output = Result<bool>> + Send {
        async move {
            match self.load(run_id).await? {
                Some(saved) if saved.version == version => {
                    self.update_store(run_id, &mut |store| Ok(store.to_owned()))
                        .await?;
                    Ok(true)
                }
                _ => Ok(false),
            }
        }
    }

    /// Journals one piece of the step in progress of `run_id`, replacing what `slot` held, if
    /// the run is still at `version` (in the same transaction), and returns whether it did. A
    /// batch node keeps its items in slot 0 and the exec result of item `i` in slot `i + 1`, so
    /// that a resumed batch does not call `prep` again and runs `exec` only for the items with
    /// no result. The run's next save or update drops them, in its transaction.
    fn save_item(
        &self,
        run_id: &str,
        version: u64,
        slot: u64,
        value: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Journals several pieces at once, as [`save_item`](Self::save_item) does each, all or
    /// none: a batch's results that finish together are written together. The default saves
    /// them one by one; a database backend writes them in one transaction.
    fn save_items(
        &self,
        run_id: &str,
        version: u64,
        items: &[(u64, String)],
    ) -> impl Future<Output = Result<bool>> + Send {
        async move {
            for (slot, value) in items {
                if !self.save_item(run_id, version, *slot, value).await? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
    }

    /// The pieces journaled for `version` of `run_id`, by slot: none when the run has moved on
    /// from that version.
    fn items(
        &self,
        run_id: &str,
        version: u64,
    ) -> impl Future<Output = Result<Vec<(u64, String)>>> + Send;

    /// The checkpoint that committed step `step` of `run_id` (the first in its history with
    /// that step), store and position as they were then, or `None` when the run never
    /// committed that step. Its `version` is 0 and its `message` none: history keeps neither.
    /// What [`DurableRun::store_at`](super::DurableRun::store_at) and
    /// [`DurableRun::fork`](super::DurableRun::fork) read.
    ///
    /// The default is an error: a backend that keeps no past checkpoints cannot travel back.
    ///
    /// ```
    /// # use pocketflow::durable::{Checkpoint, Checkpoints, Memory, Status};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let db = Memory::new();
    /// let mut checkpoint = Checkpoint {
    ///     status: Status::Running, step: 1, version: 1, position: "[1]".into(), store: "1".into(),
    ///     shape: "s".into(), node: Some("a".into()), action: Some("default".into()), message: None,
    /// };
    /// db.save("run-1", &checkpoint).await.unwrap();
    /// (checkpoint.step, checkpoint.version, checkpoint.store) = (2, 2, "2".into());
    /// db.save("run-1", &checkpoint).await.unwrap();
    /// let first = db.checkpoint_at("run-1", 1).await.unwrap().unwrap();
    /// assert_eq!((first.store.as_str(), first.position.as_str()), ("1", "[1]"));
    /// assert!(db.checkpoint_at("run-1", 3).await.unwrap().is_none());
    /// # });
    /// ```
    fn checkpoint_at(
        &self,
        run_id: &str,
        step: u64,
    ) -> impl Future<Output = Result<Option<Checkpoint>>> + Send {
        let _ = step;
        let problem = format!("this backend keeps no past checkpoints of `{run_id}` to read");
        std::future::ready(Err(crate::error::Error::durable(problem.into())))
    }

    /// Whether [`checkpoint_at`](Self::checkpoint_at) reads a run's past checkpoints back. Then
    /// the checkpoints a run takes inside a batch flow name the step whose checkpoint holds
    /// the batch flow's items instead of each carrying them all (which grows with the square
    /// of the item count). `Memory`, `Sqlite` and `Postgres` say yes; the default is no, which
    /// every backend can live with.
    fn keeps_history(&self) -> bool {
        false
    }

    /// Removes `run_id` with its history and journal, in one transaction; returns whether
    /// there was such a run. A process still running it fails at its next commit, with
    /// [`NotFound`](crate::DurableErrorKind::NotFound) or
    /// [`Conflict`](crate::DurableErrorKind::Conflict).
    ///
    /// The default is an error: a backend that cannot delete keeps everything.
    fn delete(&self, run_id: &str) -> impl Future<Output = Result<bool>> + Send {
        let problem = format!("this backend cannot delete run `{run_id}`");
        std::future::ready(Err(crate::error::Error::durable(problem.into())))
    }

    /// Removes every run that is [finished](Status::Finished) or [failed](Status::Failed) and
    /// was last updated before `before`, each with its history and journal in one transaction
    /// (a backend may take several runs to a transaction); returns how many. Running and interrupted runs are kept, however old: a
    /// person may still answer.
    ///
    /// ```
    /// # use pocketflow::durable::{Checkpoint, Checkpoints, Memory, Status};
    /// # use std::time::{Duration, SystemTime};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let db = Memory::new();
    /// let mut checkpoint = Checkpoint {
    ///     status: Status::Finished, step: 1, version: 1, position: "[]".into(), store: "1".into(),
    ///     shape: "s".into(), node: Some("a".into()), action: Some("default".into()), message: None,
    /// };
    /// db.save("done", &checkpoint).await.unwrap();
    /// checkpoint.status = Status::Interrupted;
    /// db.save("waiting", &checkpoint).await.unwrap();
    /// let later = SystemTime::now() + Duration::from_secs(1);
    /// assert_eq!(db.prune(later).await.unwrap(), 1);
    /// assert!(db.load("done").await.unwrap().is_none());
    /// assert!(db.load("waiting").await.unwrap().is_some());
    /// assert!(db.delete("waiting").await.unwrap());
    /// assert!(!db.delete("waiting").await.unwrap());
    /// # });
    /// ```
    ///
    /// The default is an error, as [`delete`](Self::delete)'s.
    fn prune(&self, before: SystemTime) -> impl Future<Output = Result<u64>> + Send {
        let _ = before;
        let problem = "this backend cannot delete runs, so it cannot prune them";
        std::future::ready(Err(crate::error::Error::durable(problem.into())))
    }
}
