//! Durable runs in one SQLite file: the embedded default, no server.

mod connection;
mod queries;
mod schema;
mod wal;

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use self::connection::{Db, off_task};
use self::schema::Refused;
use self::wal::Checkpointer;
use super::checkpoints::{Checkpoint, Checkpoints, HistoryEntry, RunInfo};
use super::sql::{self, db_error, problem};
use crate::error::{BoxError, Result};

/// How hard a [`Sqlite`] database works to keep a commit through a power cut.
///
/// Both settings keep every committed checkpoint when the *process* dies (a crash, SIGKILL):
/// the write-ahead log is in the operating system's hands as soon as a transaction commits.
/// They differ when the *machine* loses power or the kernel crashes.
///
/// ```
/// use pocketflow::durable::Durability;
/// assert_eq!(Durability::default(), Durability::Normal);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Durability {
    /// `PRAGMA synchronous = NORMAL`: the log is synced at checkpoints of the log, not at each
    /// commit. A power cut may lose the last few commits (the run resumes from an earlier step,
    /// so a node's `post` may run again) but never corrupts the file. Fast: the default.
    #[default]
    Normal,
    /// `PRAGMA synchronous = FULL`: every commit is synced to the disk before `save` returns,
    /// so a committed `post` never runs again, even after a power cut. Each step then waits for
    /// the disk (about a millisecond on an SSD, much more on a spinning disk or a network file
    /// system).
    Full,
}

/// A [`Checkpoints`] backend in one SQLite file (WAL journal), with SQLite compiled in: no
/// server to run. Cargo feature `sqlite`, which needs rustc 1.94 or newer.
///
/// The file holds three tables, readable with the `sqlite3` shell:
///
/// - `runs(id, status, step, position, store, shape, node, action, message, updated_at,
///   version)`: one row per run, its last checkpoint; `store` is the shared store as JSON text
///   (`sqlite3 runs.db 'select store from runs'`); `version` counts the run's writes.
/// - `history(id, run_id, step, status, node, action, at, position, store, shape)`: one row
///   per checkpoint, in order, whole (a run's past steps are read and forked from it).
/// - `items(run_id, slot, value, version)`: what the step in progress journaled (a batch node's
///   items and results), for the run's version; cleared by the run's next write.
///
/// `PRAGMA user_version` is the schema's version (2); a file of an older one (0: written before
/// versions were kept) is migrated when opened, in one transaction, and a newer one refused.
///
/// Times (`updated_at`, `at`) are Unix milliseconds:
/// `select id, datetime(updated_at / 1000, 'unixepoch') from runs`.
///
/// Several processes may open the same file at once: each write is one `BEGIN IMMEDIATE`
/// transaction and a writer waits up to 5 seconds for another one (busy timeout). Clones share
/// one connection. A write that needs no wait runs on the calling task, as the JSON encoding of
/// the store does (tens of microseconds); one that waits for another process's lock, or for the
/// disk with [`Durability::Full`], runs on a blocking thread (`spawn_blocking`).
///
/// ```
/// use pocketflow::durable::{Checkpoint, Checkpoints, Sqlite, Status};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("pocketflow-doc-{}.db", std::process::id()));
/// let db = Sqlite::open(&path).await?;
/// let checkpoint = Checkpoint {
///     status: Status::Running, step: 1, version: 1, position: "[1]".into(), store: r#"{"n":1}"#.into(),
///     shape: "s".into(), node: Some("a".into()), action: Some("default".into()), message: None,
/// };
/// db.save("run-1", &checkpoint).await?;
/// assert_eq!(db.load("run-1").await?, Some(checkpoint));
/// # drop(db);
/// # for suffix in ["", "-wal", "-shm"] {
/// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
/// # }
/// # Ok::<(), pocketflow::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Sqlite {
    db: Arc<Db>,
    /// The file's path, or `:memory:`, for error messages.
    name: Arc<Path>,
}

/// A checkpoint's step and version as SQLite integers.
fn counts(run_id: &str, checkpoint: &Checkpoint) -> Result<queries::Counts> {
    Ok(queries::Counts {
        step: sql::step_to_db(run_id, checkpoint.step)?,
        version: sql::step_to_db(run_id, checkpoint.version)?,
    })
}

fn now_millis() -> i64 {
    millis(SystemTime::now())
}

/// `time` as `updated_at` holds it: milliseconds since the epoch.
fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Sqlite {
    /// Opens the database file at `path`, creating the file and its tables when missing, with
    /// [`Durability::Normal`].
    ///
    /// A file that is not an SQLite database, or an SQLite database whose `runs` or `history`
    /// table is not this backend's, is an [`Error`](crate::Error) of kind
    /// [`Durable`](crate::ErrorKind::Durable) saying so.
    ///
    /// ```
    /// use pocketflow::durable::{Checkpoints, Sqlite};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let dir = std::env::temp_dir();
    /// let path = dir.join(format!("pocketflow-open-{}.db", std::process::id()));
    /// let db = Sqlite::open(&path).await?;
    /// assert!(db.list().await?.is_empty());
    ///
    /// let notes = dir.join(format!("pocketflow-notes-{}.txt", std::process::id()));
    /// std::fs::write(&notes, "not a database, just text").unwrap();
    /// let error = Sqlite::open(&notes).await.unwrap_err();
    /// assert_eq!(error.kind(), pocketflow::ErrorKind::Durable);
    /// assert!(error.to_string().contains("file is not a database"));
    /// # drop(db);
    /// # std::fs::remove_file(&notes).unwrap();
    /// # for suffix in ["", "-wal", "-shm"] {
    /// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    /// # }
    /// # Ok::<(), pocketflow::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> Result<Sqlite> {
        Sqlite::open_with(path, Durability::Normal).await
    }

    /// Opens (or creates) the database file at `path` with the chosen [`Durability`].
    ///
    /// ```
    /// use pocketflow::durable::{Durability, Sqlite};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("pocketflow-full-{}.db", std::process::id()));
    /// let db = Sqlite::open_with(&path, Durability::Full).await?;
    /// # drop(db);
    /// # for suffix in ["", "-wal", "-shm"] {
    /// #     let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    /// # }
    /// # Ok::<(), pocketflow::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn open_with(path: impl AsRef<Path>, durability: Durability) -> Result<Sqlite> {
        let name: Arc<Path> = Arc::from(path.as_ref());
        let path = name.to_path_buf();
        let opened = off_task(move || schema::open_file(&path, durability))
            .await
            .unwrap_or_else(|error| Err(Refused::Thread(error)));
        let conn = Sqlite::opened(&name, opened)?;
        // Commits that sync wait for the disk: on a blocking thread, with SQLite's own WAL
        // checkpoints. The others run here, with checkpoints on a blocking thread.
        let inline_writes = durability == Durability::Normal;
        let checkpointer =
            inline_writes.then(|| Checkpointer::new(&conn, name.to_path_buf(), durability));
        Ok(Sqlite {
            db: Arc::new(Db::new(conn, inline_writes, checkpointer)),
            name,
        })
    }

    /// A database in memory, for tests: gone with the last clone of the value.
    ///
    /// ```
    /// use pocketflow::durable::{Checkpoints, Sqlite};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let db = Sqlite::in_memory().await?;
    /// assert!(db.load("run-1").await?.is_none());
    /// # Ok::<(), pocketflow::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn in_memory() -> Result<Sqlite> {
        let name: Arc<Path> = Arc::from(Path::new(":memory:"));
        // One connection, kept: each SQLite connection to `:memory:` is a database of its own.
        let conn = Sqlite::opened(&name, schema::open_memory())?;
        Ok(Sqlite {
            db: Arc::new(Db::new(conn, true, None)),
            name,
        })
    }

    fn opened(
        name: &Path,
        opened: std::result::Result<rusqlite::Connection, Refused>,
    ) -> Result<rusqlite::Connection> {
        opened.map_err(|refused| match refused {
            Refused::Newer(version) => problem(format_args!(
                "`{}` was written by a newer pocketflow (schema version {version}; this one \
                 reads up to {}): open it with that version or a later one",
                name.display(),
                schema::SCHEMA_VERSION
            )),
            Refused::Foreign(table) => problem(format_args!(
                "`{}` is not a pocketflow database: its table `{table}` has other columns than \
                 pocketflow's ({})",
                name.display(),
                sql::columns_of(table)
            )),
            Refused::Sqlite(error) => db_error(format_args!(
                "cannot open `{}` as a pocketflow SQLite database",
                name.display()
            ))(error),
            Refused::Thread(error) => db_error(format_args!(
                "cannot open `{}`: the thread opening it failed",
                name.display()
            ))(error),
        })
    }

    /// An error for what the call was doing, formatted only when there is one: the per-step
    /// path does not pay for the message.
    fn failed<D: std::fmt::Display>(&self, doing: D) -> impl FnOnce(BoxError) -> crate::Error {
        move |error| db_error(self.context(doing))(error)
    }

    fn context(&self, doing: impl std::fmt::Display) -> String {
        format!("SQLite `{}`: {doing}", self.name.display())
    }
}

impl Checkpoints for Sqlite {
    async fn load(&self, run_id: &str) -> Result<Option<Checkpoint>> {
        let row = self
            .db
            .read(
                |conn| queries::load(conn, run_id),
                || {
                    let id = run_id.to_owned();
                    move |conn| queries::load(conn, &id)
                },
            )
            .await
            .map_err(self.failed(format_args!("loading run `{run_id}`")))?;
        let Some((status, step, version, mut checkpoint)) = row else {
            return Ok(None);
        };
        checkpoint.status = sql::status(run_id, &status)?;
        checkpoint.step = sql::step_from_db(run_id, step)?;
        checkpoint.version = sql::step_from_db(run_id, version)?;
        Ok(Some(checkpoint))
    }

    async fn save(&self, run_id: &str, checkpoint: &Checkpoint) -> Result<()> {
        let counts = counts(run_id, checkpoint)?;
        let now = now_millis();
        self.db
            .write(
                |conn| queries::save(conn, run_id, checkpoint, counts, now),
                || {
                    let (id, checkpoint) = (run_id.to_owned(), checkpoint.clone());
                    move |conn| queries::save(conn, &id, &checkpoint, counts, now)
                },
            )
            .await
            .map_err(self.failed(format_args!("saving run `{run_id}`")))
    }

    async fn save_after(
        &self,
        run_id: &str,
        expected: Option<u64>,
        checkpoint: &Checkpoint,
    ) -> Result<bool> {
        let counts = counts(run_id, checkpoint)?;
        let expected = expected
            .map(|expected| sql::step_to_db(run_id, expected))
            .transpose()?;
        let now = now_millis();
        self.db
            .write(
                |conn| queries::save_after(conn, run_id, expected, checkpoint, counts, now),
                || {
                    let (id, checkpoint) = (run_id.to_owned(), checkpoint.clone());
                    move |conn| queries::save_after(conn, &id, expected, &checkpoint, counts, now)
                },
            )
            .await
            .map_err(self.failed(format_args!("saving run `{run_id}`")))
    }

    async fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> Result<String> + Send),
    ) -> Result<()> {
        let failed =
            |error: BoxError| self.failed(format_args!("updating the store of `{run_id}`"))(error);
        let held = self.db.hold().await.map_err(failed)?;
        // IMMEDIATE: the write lock is taken before the read, so no other process can write
        // between this read and this write. Any early return drops `held`, which rolls back.
        let (held, ()) = held
            .run(true, queries::begin_immediate, || queries::begin_immediate)
            .await
            .map_err(failed)?;
        let (held, store) = held
            .run(
                true,
                |conn| queries::store(conn, run_id),
                || {
                    let id = run_id.to_owned();
                    move |conn| queries::store(conn, &id)
                },
            )
            .await
            .map_err(failed)?;
        let Some(store) = store else {
            return Err(sql::not_found(
                self.context(format_args!("no run `{run_id}` to update")),
            ));
        };
        let store = edit(&store)?;
        let now = now_millis();
        let (held, ()) = held
            .run(
                true,
                |conn| queries::set_store(conn, run_id, &store, now),
                || {
                    let (id, store) = (run_id.to_owned(), store.clone());
                    move |conn| queries::set_store(conn, &id, &store, now)
                },
            )
            .await
            .map_err(failed)?;
        let (held, ()) = held
            .run(self.db.inline_writes(), queries::commit, || queries::commit)
            .await
            .map_err(failed)?;
        self.db.after(held);
        Ok(())
    }

    async fn list(&self) -> Result<Vec<RunInfo>> {
        self.db
            .read_on_thread(queries::list)
            .await
            .map_err(self.failed("listing runs"))?
            .into_iter()
            .map(sql::run_info)
            .collect()
    }

    async fn claim(&self, run_id: &str, version: u64) -> Result<bool> {
        let version = sql::step_to_db(run_id, version)?;
        self.db
            .write(
                |conn| queries::claim(conn, run_id, version),
                || {
                    let id = run_id.to_owned();
                    move |conn| queries::claim(conn, &id, version)
                },
            )
            .await
            .map_err(self.failed(format_args!("claiming a step of run `{run_id}`")))
    }

    async fn save_item(&self, run_id: &str, version: u64, slot: u64, value: &str) -> Result<bool> {
        let version = sql::step_to_db(run_id, version)?;
        let slot = sql::step_to_db(run_id, slot)?;
        self.db
            .write(
                |conn| queries::save_item(conn, run_id, version, slot, value),
                || {
                    let (id, value) = (run_id.to_owned(), value.to_owned());
                    move |conn| queries::save_item(conn, &id, version, slot, &value)
                },
            )
            .await
            .map_err(self.failed(format_args!("journaling in run `{run_id}`")))
    }

    async fn save_items(
        &self,
        run_id: &str,
        version: u64,
        items: &[(u64, String)],
    ) -> Result<bool> {
        let version = sql::step_to_db(run_id, version)?;
        let rows = items
            .iter()
            .map(|(slot, value)| Ok((sql::step_to_db(run_id, *slot)?, value.as_str())))
            .collect::<Result<Vec<(i64, &str)>>>()?;
        self.db
            .write(
                |conn| queries::save_items(conn, run_id, version, &rows),
                || {
                    let id = run_id.to_owned();
                    let owned: Vec<(i64, String)> = rows
                        .iter()
                        .map(|&(slot, value)| (slot, value.to_owned()))
                        .collect();
                    move |conn| {
                        let rows: Vec<(i64, &str)> = owned
                            .iter()
                            .map(|(slot, value)| (*slot, value.as_str()))
                            .collect();
                        queries::save_items(conn, &id, version, &rows)
                    }
                },
            )
            .await
            .map_err(self.failed(format_args!("journaling in run `{run_id}`")))
    }

    async fn items(&self, run_id: &str, version: u64) -> Result<Vec<(u64, String)>> {
        let version = sql::step_to_db(run_id, version)?;
        self.db
            .read(
                |conn| queries::items(conn, run_id, version),
                || {
                    let id = run_id.to_owned();
                    move |conn| queries::items(conn, &id, version)
                },
            )
            .await
            .map_err(self.failed(format_args!("reading the journal of `{run_id}`")))?
            .into_iter()
            .map(|(slot, value)| Ok((sql::step_from_db(run_id, slot)?, value)))
            .collect()
    }

    async fn history(&self, run_id: &str) -> Result<Vec<HistoryEntry>> {
        let id = run_id.to_owned();
        self.db
            .read_on_thread(move |conn| queries::history(conn, &id))
            .await
            .map_err(self.failed(format_args!("reading the history of `{run_id}`")))?
            .into_iter()
            .map(|row| sql::history_entry(run_id, row))
            .collect()
    }

    async fn checkpoint_at(&self, run_id: &str, step: u64) -> Result<Option<Checkpoint>> {
        let at = sql::step_to_db(run_id, step)?;
        let id = run_id.to_owned();
        let row = self
            .db
            .read_on_thread(move |conn| queries::checkpoint_at(conn, &id, at))
            .await
            .map_err(self.failed(format_args!("reading step {step} of `{run_id}`")))?;
        sql::past_checkpoint(run_id, step, row)
    }

    fn keeps_history(&self) -> bool {
        true
    }

    async fn delete(&self, run_id: &str) -> Result<bool> {
        let id = run_id.to_owned();
        self.db
            .write(
                |conn| queries::delete(conn, run_id),
                || move |conn: &rusqlite::Connection| queries::delete(conn, &id),
            )
            .await
            .map_err(self.failed(format_args!("deleting run `{run_id}`")))
    }

    async fn prune(&self, before: SystemTime) -> Result<u64> {
        // A hundred runs to a transaction: history rows hold whole stores, and one transaction
        // over a month of them would hold the file's write lock for longer than a checkpoint
        // waits for it.
        const BATCH: i64 = 100;
        let before = millis(before);
        let mut removed = 0;
        loop {
            let some = self
                .db
                .write(
                    |conn| queries::prune_some(conn, before, BATCH),
                    || move |conn: &rusqlite::Connection| queries::prune_some(conn, before, BATCH),
                )
                .await
                .map_err(self.failed("pruning runs"))?;
            removed += some;
            if some < BATCH as u64 {
                return Ok(removed);
            }
        }
    }
}
