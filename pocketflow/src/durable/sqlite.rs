//! Durable runs in one SQLite file: the embedded default, no server.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::checkpoints::{Checkpoint, Checkpoints, HistoryEntry, RunInfo};
use super::sql::{self, db_error, problem};
use crate::error::Result;

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
/// server to run. Cargo feature `sqlite`, which needs rustc 1.94 or newer (sqlx 0.9).
///
/// The file holds two tables, readable with the `sqlite3` shell:
///
/// - `runs(id, status, step, position, store, shape, node, action, message, updated_at)`: one
///   row per run, its last checkpoint; `store` is the shared store as JSON text
///   (`sqlite3 runs.db 'select store from runs'`).
/// - `history(id, run_id, step, status, node, action, at)`: one row per checkpoint, in order.
///
/// Times (`updated_at`, `at`) are Unix milliseconds:
/// `select id, datetime(updated_at / 1000, 'unixepoch') from runs`.
///
/// Several processes may open the same file at once: each write is one `BEGIN IMMEDIATE`
/// transaction and a writer waits up to 5 seconds for another one (busy timeout). Clones share
/// one pool of connections.
///
/// ```
/// use pocketflow::durable::{Checkpoint, Checkpoints, Sqlite, Status};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("pocketflow-doc-{}.db", std::process::id()));
/// let db = Sqlite::open(&path).await?;
/// let checkpoint = Checkpoint {
///     status: Status::Running, step: 1, position: "[1]".into(), store: r#"{"n":1}"#.into(),
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
    pool: SqlitePool,
    /// The file's path, or `:memory:`, for error messages.
    name: PathBuf,
}

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY NOT NULL,
    status TEXT NOT NULL,
    step INTEGER NOT NULL,
    position TEXT NOT NULL,
    store TEXT NOT NULL,
    shape TEXT NOT NULL,
    node TEXT,
    action TEXT,
    message TEXT,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    status TEXT NOT NULL,
    node TEXT,
    action TEXT,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT NOT NULL,
    slot INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, slot)
);
";

/// Created once the tables are known to be this backend's.
const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS history_run_id ON history (run_id, id);
CREATE INDEX IF NOT EXISTS runs_updated_at ON runs (updated_at);
CREATE TRIGGER IF NOT EXISTS runs_history_insert AFTER INSERT ON runs BEGIN
    INSERT INTO history (run_id, step, status, node, action, at)
    VALUES (NEW.id, NEW.step, NEW.status, NEW.node, NEW.action, NEW.updated_at);
    DELETE FROM items WHERE run_id = NEW.id;
END;
CREATE TRIGGER IF NOT EXISTS runs_history_update AFTER UPDATE OF step ON runs BEGIN
    INSERT INTO history (run_id, step, status, node, action, at)
    VALUES (NEW.id, NEW.step, NEW.status, NEW.node, NEW.action, NEW.updated_at);
    DELETE FROM items WHERE run_id = NEW.id;
END;
";

/// SQLITE_BUSY and SQLITE_LOCKED, with their extended codes (low byte).
fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(e) => e
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
        _ => false,
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
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
        let path = path.as_ref();
        let synchronous = match durability {
            Durability::Normal => SqliteSynchronous::Normal,
            Durability::Full => SqliteSynchronous::Full,
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_lazy_with(options);
        Sqlite::init(pool, path.to_owned()).await
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
        // One connection that never closes: each SQLite connection to `:memory:` is a database
        // of its own.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(SqliteConnectOptions::new().in_memory(true));
        Sqlite::init(pool, PathBuf::from(":memory:")).await
    }

    /// Creates the tables when missing and checks that they are this backend's. A writer that
    /// holds the file when a first connection switches it to WAL makes SQLite answer "busy"
    /// without waiting: that is retried for a while.
    async fn init(pool: SqlitePool, name: PathBuf) -> Result<Sqlite> {
        let db = Sqlite { pool, name };
        let mut attempt = 0;
        loop {
            match db.create_schema().await {
                Ok(None) => return Ok(db),
                Ok(Some(table)) => {
                    return Err(problem(format_args!(
                        "`{}` is not a pocketflow database: its table `{table}` has other \
                         columns than pocketflow's ({})",
                        db.name.display(),
                        sql::columns_of(table)
                    )));
                }
                Err(error) if is_busy(&error) && attempt < 100 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(error) => {
                    return Err(db_error(format_args!(
                        "cannot open `{}` as a pocketflow SQLite database",
                        db.name.display()
                    ))(error));
                }
            }
        }
    }

    /// In one transaction: the tables when missing, a check that tables of those names made by
    /// something else (`CREATE TABLE IF NOT EXISTS` leaves them as they are) are not taken for
    /// ours, then the indexes. `Some(table)` names a foreign table; nothing is changed then.
    async fn create_schema(&self) -> std::result::Result<Option<&'static str>, sqlx::Error> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::raw_sql(TABLES).execute(&mut *tx).await?;
        for (table, expected) in sql::TABLES {
            let found: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
                .bind(table)
                .fetch_all(&mut *tx)
                .await?;
            if !sql::missing_columns(expected, &found).is_empty() {
                tx.rollback().await?;
                return Ok(Some(table));
            }
        }
        sqlx::raw_sql(INDEXES).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(None)
    }

    fn context(&self, doing: impl std::fmt::Display) -> String {
        format!("SQLite `{}`: {doing}", self.name.display())
    }
}

impl Checkpoints for Sqlite {
    async fn load(&self, run_id: &str) -> Result<Option<Checkpoint>> {
        let row = sqlx::query(
            "SELECT status, step, position, store, shape, node, action, message \
             FROM runs WHERE id = ?1",
        )
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error(
            self.context(format_args!("loading run `{run_id}`")),
        ))?;
        let Some(row) = row else { return Ok(None) };
        let read = |row: &sqlx::sqlite::SqliteRow| -> std::result::Result<_, sqlx::Error> {
            Ok((
                row.try_get::<String, _>(0)?,
                row.try_get::<i64, _>(1)?,
                Checkpoint {
                    status: super::Status::Running,
                    step: 0,
                    position: row.try_get(2)?,
                    store: row.try_get(3)?,
                    shape: row.try_get(4)?,
                    node: row.try_get(5)?,
                    action: row.try_get(6)?,
                    message: row.try_get(7)?,
                },
            ))
        };
        let (status, step, mut checkpoint) = read(&row).map_err(db_error(
            self.context(format_args!("reading run `{run_id}`")),
        ))?;
        checkpoint.status = sql::status(run_id, &status)?;
        checkpoint.step = sql::step_from_db(run_id, step)?;
        Ok(Some(checkpoint))
    }

    async fn save(&self, run_id: &str, checkpoint: &Checkpoint) -> Result<()> {
        let step = sql::step_to_db(run_id, checkpoint.step)?;
        let now = now_millis();
        let failed = db_error(self.context(format_args!("saving run `{run_id}`")));
        // One statement: its history row comes from the `runs_history_*` triggers, in the same
        // implicit transaction. Four statements (begin, upsert, insert, commit) each crossed to
        // sqlx's SQLite worker thread and back: 230-270 us a step against about 60 now.
        let result = sqlx::query(
            "INSERT INTO runs \
             (id, status, step, position, store, shape, node, action, message, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
             step = excluded.step, position = excluded.position, store = excluded.store, \
             shape = excluded.shape, node = excluded.node, action = excluded.action, \
             message = excluded.message, updated_at = excluded.updated_at",
        )
        .bind(run_id)
        .bind(checkpoint.status.as_str())
        .bind(step)
        .bind(&checkpoint.position)
        .bind(&checkpoint.store)
        .bind(&checkpoint.shape)
        .bind(&checkpoint.node)
        .bind(&checkpoint.action)
        .bind(&checkpoint.message)
        .bind(now)
        .execute(&self.pool)
        .await
        .map(drop);
        result.map_err(failed)
    }

    async fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> Result<String> + Send),
    ) -> Result<()> {
        let failed = || db_error(self.context(format_args!("updating the store of `{run_id}`")));
        // IMMEDIATE: the write lock is taken before the read, so no other process can write
        // between this read and this write.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(failed())?;
        let store: Option<String> = sqlx::query_scalar("SELECT store FROM runs WHERE id = ?1")
            .bind(run_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(failed())?;
        let Some(store) = store else {
            return Err(problem(
                self.context(format_args!("no run `{run_id}` to update")),
            ));
        };
        // An error here drops `tx`, which rolls back.
        let store = edit(&store)?;
        sqlx::query("UPDATE runs SET store = ?1, updated_at = ?2 WHERE id = ?3")
            .bind(store)
            .bind(now_millis())
            .bind(run_id)
            .execute(&mut *tx)
            .await
            .map_err(failed())?;
        tx.commit().await.map_err(failed())
    }

    async fn list(&self) -> Result<Vec<RunInfo>> {
        // Milliseconds are stored; the shared reader takes microseconds.
        sqlx::query_as::<_, sql::RunRow>(
            "SELECT id, status, step, node, updated_at * 1000 FROM runs \
             ORDER BY updated_at DESC, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error(self.context("listing runs")))?
        .into_iter()
        .map(sql::run_info)
        .collect()
    }

    async fn save_item(&self, run_id: &str, slot: u64, value: &str) -> Result<()> {
        let slot = sql::step_to_db(run_id, slot)?;
        sqlx::query("INSERT OR REPLACE INTO items (run_id, slot, value) VALUES (?1, ?2, ?3)")
            .bind(run_id)
            .bind(slot)
            .bind(value)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db_error(
                self.context(format_args!("journaling in run `{run_id}`")),
            ))
    }

    async fn save_items(&self, run_id: &str, items: &[(u64, String)]) -> Result<()> {
        let failed = || db_error(self.context(format_args!("journaling in run `{run_id}`")));
        // SQLite takes at most 32,766 parameters a statement: three a row.
        for chunk in items.chunks(10_000) {
            let rows = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!("INSERT OR REPLACE INTO items (run_id, slot, value) VALUES {rows}");
            // Only placeholders are spliced in: the values are bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (slot, value) in chunk {
                query = query
                    .bind(run_id)
                    .bind(sql::step_to_db(run_id, *slot)?)
                    .bind(value);
            }
            query.execute(&self.pool).await.map_err(failed())?;
        }
        Ok(())
    }

    async fn items(&self, run_id: &str) -> Result<Vec<(u64, String)>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT slot, value FROM items WHERE run_id = ?1 ORDER BY slot")
                .bind(run_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error(
                    self.context(format_args!("reading the journal of `{run_id}`")),
                ))?;
        rows.into_iter()
            .map(|(slot, value)| Ok((sql::step_from_db(run_id, slot)?, value)))
            .collect()
    }

    async fn history(&self, run_id: &str) -> Result<Vec<HistoryEntry>> {
        sqlx::query_as::<_, sql::HistoryRow>(
            "SELECT step, status, node, action, at * 1000 FROM history WHERE run_id = ?1 \
             ORDER BY id",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error(
            self.context(format_args!("reading the history of `{run_id}`")),
        ))?
        .into_iter()
        .map(|row| sql::history_entry(run_id, row))
        .collect()
    }
}
