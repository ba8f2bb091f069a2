//! The one connection of a `Sqlite` handle, and where its statements run.
//!
//! A statement that SQLite answers at once runs on the calling task: a read, or a write in WAL
//! mode with `synchronous = NORMAL`, whose commit appends to the log without syncing it (10 to
//! 20 us, about what the JSON encoding of the store costs, which runs there too). A thread hop
//! per statement, as a driver with a worker thread makes, costs several times that. What may
//! wait goes to a blocking thread (`spawn_blocking`): a write that finds another connection's
//! write lock (tried first with no busy timeout, then there with one), a commit that syncs to
//! disk (`Durability::Full`), reads of unbounded size (`list`, `history`).
//!
//! Calls of one handle (and its clones) take turns on the connection through an async lock, so
//! a call waiting for another blocks no thread.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::schema::{WAIT, is_busy};
use super::wal::{self, Checkpointer};
use crate::error::BoxError;

/// A call's result: SQLite's error, or a blocking thread that failed.
pub(super) type Outcome<T> = Result<T, BoxError>;

#[derive(Debug)]
pub(super) struct Db {
    conn: Arc<Mutex<Connection>>,
    /// Whether writes may run on the calling task: their commits do not sync to disk.
    inline_writes: bool,
    /// `None` when SQLite checkpoints the WAL itself: a database in memory (no WAL), or
    /// commits on blocking threads (`Durability::Full`).
    checkpointer: Option<Checkpointer>,
}

impl Db {
    /// `checkpointer`: the WAL's, for a file whose commits run on the calling task.
    pub(super) fn new(
        conn: Connection,
        inline_writes: bool,
        checkpointer: Option<Checkpointer>,
    ) -> Db {
        Db {
            conn: Arc::new(Mutex::new(conn)),
            inline_writes,
            checkpointer,
        }
    }

    /// The connection, once no other call of this handle holds it.
    pub(super) async fn hold(&self) -> Outcome<Held> {
        let held = Held {
            guard: Arc::clone(&self.conn).lock_owned().await,
            wal_pages: 0,
        };
        if !held.guard.is_autocommit() {
            // Left open by a `ROLLBACK` that failed when it was let go (see `Drop`).
            let _ = held.guard.execute_batch("ROLLBACK");
        }
        // A statement inside a transaction left open would not be committed: refused.
        if held.guard.is_autocommit() {
            Ok(held)
        } else {
            Err(
                "the connection is inside a transaction that does not roll back; open the \
                 database again"
                    .into(),
            )
        }
    }

    /// A write: on this task when its commit does not sync and no other connection holds the
    /// write lock, else on a blocking thread. `there` makes the call owned, for that thread.
    pub(super) async fn write<T, B>(
        &self,
        here: impl FnOnce(&Connection) -> rusqlite::Result<T>,
        there: impl FnOnce() -> B,
    ) -> Outcome<T>
    where
        T: Send + 'static,
        B: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (held, result) = self
            .hold()
            .await?
            .run(self.inline_writes, here, there)
            .await?;
        self.after(held);
        Ok(result)
    }

    /// A read of one run's rows: on this task, unless SQLite would wait for a lock.
    pub(super) async fn read<T, B>(
        &self,
        here: impl FnOnce(&Connection) -> rusqlite::Result<T>,
        there: impl FnOnce() -> B,
    ) -> Outcome<T>
    where
        T: Send + 'static,
        B: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (_, result) = self.hold().await?.run(true, here, there).await?;
        Ok(result)
    }

    /// A read of unbounded size (every run, a whole history): on a blocking thread.
    pub(super) async fn read_on_thread<T, B>(&self, op: B) -> Outcome<T>
    where
        T: Send + 'static,
        B: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (_, result) = self.hold().await?.on_thread(op).await?;
        Ok(result)
    }

    /// Whether commits may run on the calling task.
    pub(super) fn inline_writes(&self) -> bool {
        self.inline_writes
    }

    /// After a write through `held`: a WAL checkpoint when the log has grown.
    pub(super) fn after(&self, held: Held) {
        let Some(checkpointer) = &self.checkpointer else {
            return;
        };
        if let Some(checkpoint) = checkpointer.after_write(held.wal_pages) {
            // `held` goes with it: the next call of this handle waits for the connection (on
            // its task), then restarts the log.
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || checkpoint(&held.guard))),
                Err(_) => checkpoint(&held.guard),
            }
        }
    }
}

/// Runs `work` on a blocking thread of the tokio runtime, or on this thread when no runtime is
/// running: no async task to keep responsive then, and no panic for a missing runtime. An
/// error: the thread panicked, or the runtime shut down before running it.
pub(super) async fn off_task<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime.spawn_blocking(work).await,
        Err(_) => Ok(work()),
    }
}

/// The connection, held by one call. Dropped inside a transaction (an error, a panic, the
/// call's future dropped), it rolls back, so that the write lock is not kept and the next call
/// does not run inside that transaction.
pub(super) struct Held {
    guard: OwnedMutexGuard<Connection>,
    /// The WAL's size after the last statement, in pages.
    wal_pages: i32,
}

impl Held {
    /// Runs `here` on this task when `here_allowed` and SQLite answers without waiting for
    /// another connection; else the call `there` makes, on a blocking thread, where it waits
    /// for a lock up to [`WAIT`]. On an error the connection is let go (rolling back).
    pub(super) async fn run<T, B>(
        mut self,
        here_allowed: bool,
        here: impl FnOnce(&Connection) -> rusqlite::Result<T>,
        there: impl FnOnce() -> B,
    ) -> Outcome<(Held, T)>
    where
        T: Send + 'static,
        B: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        if here_allowed {
            match self.attempt(Duration::ZERO, here) {
                Err(error) if is_busy(&error) => {}
                result => return Ok((self, result?)),
            }
        }
        self.on_thread(there()).await
    }

    /// Runs `op` on a blocking thread, where it waits for a lock up to [`WAIT`].
    pub(super) async fn on_thread<T, B>(mut self, op: B) -> Outcome<(Held, T)>
    where
        T: Send + 'static,
        B: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        off_task(move || {
            let result = self.attempt(WAIT, op)?;
            Ok((self, result))
        })
        .await
        .unwrap_or_else(|error| {
            Err(format!("the blocking thread of an SQLite call failed: {error}").into())
        })
    }

    fn attempt<T>(
        &mut self,
        wait: Duration,
        op: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.guard.busy_timeout(wait)?;
        let (result, pages) = wal::measured(|| op(&self.guard));
        self.wal_pages = pages;
        result
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if !self.guard.is_autocommit() {
            // Rolling back writes nothing to disk. Should it fail, `Db::hold` tries again, and
            // refuses the connection to the next call if that fails too.
            let _ = self.guard.execute_batch("ROLLBACK");
        }
    }
}
