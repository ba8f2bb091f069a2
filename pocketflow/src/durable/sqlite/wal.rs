//! Checkpoints of the write-ahead log, off the calling task.
//!
//! SQLite copies the WAL back into the database file every 1,000 pages by default, inside the
//! commit that crosses that size, and syncs both files to disk: milliseconds, on whichever
//! thread committed. Writes run on the caller's task here, so the writer connection's automatic
//! checkpoints are replaced by a WAL hook that only notes the log's size; past the threshold a
//! passive checkpoint runs on a blocking thread, on a connection of its own, while writes go on.
//!
//! A passive checkpoint copies the frames committed before it started. The log starts over
//! from its beginning only when a write finds every frame copied, which a steady stream of
//! writes during the checkpoints may never allow: past four times the threshold, the writer's
//! own connection checkpoints on a blocking thread, holding the connection so that no write of
//! this handle comes between that checkpoint and the next write, which then restarts the log.

use std::cell::Cell;
use std::ffi::c_int;
use std::path::PathBuf;
use std::sync::Arc;

use rusqlite::Connection;
use rusqlite::hooks::Wal;
use tokio::sync::Mutex;

use super::Durability;
use super::schema;

/// SQLite's own default (`PRAGMA wal_autocheckpoint`), in pages.
const THRESHOLD: i32 = 1_000;
/// The size at which the writer stops to checkpoint: passive checkpoints did not keep up.
pub(super) const BACKSTOP: i32 = 4 * THRESHOLD;

thread_local! {
    /// The WAL's size in pages after the last commit on this thread, set by [`hook`]. SQLite
    /// calls the hook inside the commit, on the committing thread: read right after a call, it
    /// is that call's.
    static PAGES: Cell<i32> = const { Cell::new(0) };
}

/// Replaces SQLite's automatic checkpoints on `conn` (which are themselves a WAL hook).
pub(super) fn install(conn: &Connection) {
    conn.wal_hook(Some(hook));
}

fn hook(_: &Wal, pages: c_int) -> rusqlite::Result<()> {
    PAGES.set(pages);
    Ok(())
}

/// Runs `op`, and returns with its result the WAL's size after it (0 when it committed nothing
/// to a WAL).
pub(super) fn measured<T>(op: impl FnOnce() -> T) -> (T, i32) {
    PAGES.set(0);
    let result = op();
    (result, PAGES.replace(0))
}

/// A passive checkpoint of `conn`'s database. Its errors are not the caller's: a checkpoint
/// that fails leaves the WAL longer, and the next one copies it.
pub(super) fn checkpoint(conn: &Connection) {
    if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::debug!(%error, "SQLite WAL checkpoint failed");
    }
}

/// The checkpoints of one file's WAL.
#[derive(Debug)]
pub(super) struct Checkpointer {
    path: PathBuf,
    durability: Durability,
    /// Its own connection, opened at the first checkpoint; held while one runs.
    conn: Arc<Mutex<Option<Connection>>>,
}

impl Checkpointer {
    pub(super) fn new(path: PathBuf, durability: Durability) -> Checkpointer {
        Checkpointer {
            path,
            durability,
            conn: Arc::new(Mutex::new(None)),
        }
    }

    /// After a write left `pages` pages in the WAL: starts a checkpoint past the threshold,
    /// unless one is running.
    pub(super) fn after_write(&self, pages: i32) {
        if pages < THRESHOLD {
            return;
        }
        let Ok(mut held) = Arc::clone(&self.conn).try_lock_owned() else {
            return;
        };
        // Without a tokio runtime the next write past the threshold tries again (and the
        // writer's own checkpoint past BACKSTOP bounds the log).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (path, durability) = (self.path.clone(), self.durability);
        runtime.spawn_blocking(move || {
            if held.is_none() {
                match schema::open_checkpointer(&path, durability) {
                    Ok(conn) => *held = Some(conn),
                    Err(error) => {
                        tracing::debug!(%error, "cannot open a connection for WAL checkpoints");
                        return;
                    }
                }
            }
            if let Some(conn) = held.as_ref() {
                checkpoint(conn);
            }
        });
    }
}
