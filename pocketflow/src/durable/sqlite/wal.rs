//! Checkpoints of the write-ahead log, off the calling task.
//!
//! SQLite copies the WAL back into the database file every 1,000 pages by default, inside the
//! commit that crosses that size, syncing both files: milliseconds, on whichever thread
//! committed. With `Durability::Normal` commits run on the caller's task, so the writer's
//! automatic checkpoints are replaced by a WAL hook that only notes the log's size; every
//! 1,000 pages a passive checkpoint runs on a blocking thread, on a connection of its own,
//! while writes go on. (`Durability::Full` commits on a blocking thread anyway, and keeps
//! SQLite's own checkpoints.)
//!
//! A passive checkpoint copies the frames committed before it started. The log starts over
//! from its beginning only when a write finds every frame copied: after a pause in the writes
//! (a model call), but never under back-to-back writes. So at four times the threshold, once
//! no background checkpoint runs, the writer's connection checkpoints on a blocking thread,
//! held so that no write of this handle comes between that checkpoint and the next write,
//! which then restarts the log. The next call waits for it, on its task: two syncs, 2 to 3 ms
//! on this machine's disk, once per 4,000 pages (about 3 us a step of 4 pages).

use std::cell::Cell;
use std::ffi::c_int;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use rusqlite::Connection;
use rusqlite::hooks::Wal;
use tokio::sync::Mutex;

use super::Durability;
use super::schema;

/// SQLite's own default (`PRAGMA wal_autocheckpoint`), in pages.
const THRESHOLD: i32 = 1_000;
/// The size at which the writer stops for a checkpoint of its own.
const BACKSTOP: i32 = 4 * THRESHOLD;

thread_local! {
    /// The WAL's size in pages after the last commit on this thread, set by [`hook`]. SQLite
    /// calls the hook inside the commit, on the committing thread: read right after a call, it
    /// is that call's.
    static PAGES: Cell<i32> = const { Cell::new(0) };
}

fn hook(_: &Wal, pages: c_int) -> rusqlite::Result<()> {
    PAGES.set(pages);
    Ok(())
}

/// Runs `op`, and returns with its result the WAL's size after it, for a connection with the
/// hook: 0 when it committed nothing to the log.
pub(super) fn measured<T>(op: impl FnOnce() -> T) -> (T, i32) {
    PAGES.set(0);
    let result = op();
    (result, PAGES.replace(0))
}

/// A passive checkpoint: copies what it can without waiting for any connection. Its errors are
/// not the caller's: a checkpoint that fails leaves the WAL longer, and the next one copies it.
fn checkpoint(conn: &Connection) {
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
    /// The WAL size at which the next background checkpoint starts.
    next: AtomicI32,
}

impl Checkpointer {
    /// Installs the hook on `writer`, which replaces its automatic checkpoints.
    pub(super) fn new(writer: &Connection, path: PathBuf, durability: Durability) -> Checkpointer {
        writer.wal_hook(Some(hook));
        Checkpointer {
            path,
            durability,
            conn: Arc::new(Mutex::new(None)),
            next: AtomicI32::new(THRESHOLD),
        }
    }

    /// After a write left `pages` pages in the WAL: a background checkpoint every
    /// [`THRESHOLD`] pages, and past [`BACKSTOP`] the checkpoint the writer must run, holding
    /// its connection, on a blocking thread.
    pub(super) fn after_write(
        &self,
        pages: i32,
    ) -> Option<impl FnOnce(&Connection) + Send + 'static> {
        if pages == 0 {
            // Nothing committed (an empty batch of items): the size is unknown.
            return None;
        }
        if pages < THRESHOLD {
            // The log has started over.
            if self.next.load(Ordering::Relaxed) != THRESHOLD {
                self.next.store(THRESHOLD, Ordering::Relaxed);
            }
            return None;
        }
        if pages >= BACKSTOP {
            // Not while a background checkpoint runs (SQLite runs one at a time): the writer
            // would wait for it too. A later write tries again.
            let turn = Arc::clone(&self.conn).try_lock_owned().ok()?;
            return Some(move |writer: &Connection| {
                checkpoint(writer);
                drop(turn);
            });
        }
        if pages >= self.next.load(Ordering::Relaxed) {
            self.in_background(pages);
        }
        None
    }

    fn in_background(&self, pages: i32) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to run it: the writer's checkpoint at BACKSTOP bounds the log.
            return;
        };
        let Ok(mut held) = Arc::clone(&self.conn).try_lock_owned() else {
            return;
        };
        self.next.store(pages + THRESHOLD, Ordering::Relaxed);
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
