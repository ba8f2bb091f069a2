//! Opening an SQLite file as a pocketflow database: the connection's settings, the tables, and
//! the check that refuses a file made by something else.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::Durability;
use crate::durable::sql;

/// How long a statement on a blocking thread waits for another connection's write lock.
pub(super) const WAIT: Duration = Duration::from_secs(5);

/// The schema version this program writes, kept in the file's `PRAGMA user_version`: 0 is a
/// new file, or one written before versions were kept (schema 1, whose tables it then has).
pub(super) const SCHEMA_VERSION: i64 = 3;

/// Schema 1: the tables of the first release.
///
/// `history.id` has no `AUTOINCREMENT`: that keyword makes every insert update a row of
/// `sqlite_sequence` too, one more page in the log per checkpoint (5 instead of 4, about 5 us
/// of the 20 a step costs here). Ids still grow with every row (SQLite takes the largest plus
/// one, so they grow within a run even though `delete` and `prune` remove rows); files made with
/// `AUTOINCREMENT` by earlier versions keep it, and both are read and written alike.
const SCHEMA_1: &str = "
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
    id INTEGER PRIMARY KEY,
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

/// What schema 1 adds once its tables are known to be this backend's. Triggers and indexes
/// are made only here and in the migrations, never on an open with `IF NOT EXISTS`, which
/// would keep an older body.
const SCHEMA_1_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS history_run_id ON history (run_id, id);
CREATE INDEX IF NOT EXISTS runs_updated_at ON runs (updated_at);
DROP TRIGGER IF EXISTS runs_history_insert;
DROP TRIGGER IF EXISTS runs_history_update;
CREATE TRIGGER runs_history_insert AFTER INSERT ON runs BEGIN
    INSERT INTO history (run_id, step, status, node, action, at)
    VALUES (NEW.id, NEW.step, NEW.status, NEW.node, NEW.action, NEW.updated_at);
    DELETE FROM items WHERE run_id = NEW.id;
END;
CREATE TRIGGER runs_history_update AFTER UPDATE OF step ON runs BEGIN
    INSERT INTO history (run_id, step, status, node, action, at)
    VALUES (NEW.id, NEW.step, NEW.status, NEW.node, NEW.action, NEW.updated_at);
    DELETE FROM items WHERE run_id = NEW.id;
END;
";

/// `MIGRATIONS[i]` takes a file from schema `i + 1` to `i + 2`.
///
/// 2: runs and journal rows carry the run's version, which every write of the run moves on: a
/// process commits only over the version it loaded, and reads only its own version's journal.
/// A run's rows so far get the version `step + 1` (what the runtime would have given them), its
/// journal rows the run's.
///
/// 3: history rows keep the checkpoint's position, store and shape, so that any past step can
/// be read and forked from (rows written before have none: those steps cannot).
const MIGRATIONS: [&str; 2] = [
    "
ALTER TABLE runs ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET version = step + 1;
ALTER TABLE items ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
UPDATE items SET version = coalesce((SELECT version FROM runs WHERE runs.id = items.run_id), 0);
",
    "
ALTER TABLE history ADD COLUMN position TEXT;
ALTER TABLE history ADD COLUMN store TEXT;
ALTER TABLE history ADD COLUMN shape TEXT;
CREATE INDEX IF NOT EXISTS history_run_step ON history (run_id, step, id);
DROP TRIGGER IF EXISTS runs_history_insert;
DROP TRIGGER IF EXISTS runs_history_update;
CREATE TRIGGER runs_history_insert AFTER INSERT ON runs BEGIN
    INSERT INTO history (run_id, step, status, node, action, at, position, store, shape)
    VALUES (NEW.id, NEW.step, NEW.status, NEW.node, NEW.action, NEW.updated_at, NEW.position,
            NEW.store, NEW.shape);
    DELETE FROM items WHERE run_id = NEW.id;
END;
CREATE TRIGGER runs_history_update AFTER UPDATE OF step ON runs BEGIN
    INSERT INTO history (run_id, step, status, node, action, at, position, store, shape)
    VALUES (NEW.id, NEW.step, NEW.status, NEW.node, NEW.action, NEW.updated_at, NEW.position,
            NEW.store, NEW.shape);
    DELETE FROM items WHERE run_id = NEW.id;
END;
",
];

/// Why a file could not be opened as a pocketflow database.
pub(super) enum Refused {
    /// SQLite's own error: not a database, unreadable, locked for too long.
    Sqlite(rusqlite::Error),
    /// An SQLite database whose table of this name is not pocketflow's.
    Foreign(&'static str),
    /// A pocketflow database of a newer schema than this program's.
    Newer(i64),
    /// The blocking thread that opened it panicked or was cancelled.
    Thread(tokio::task::JoinError),
}

impl From<rusqlite::Error> for Refused {
    fn from(error: rusqlite::Error) -> Refused {
        Refused::Sqlite(error)
    }
}

/// SQLITE_BUSY and SQLITE_LOCKED, with their extended codes: another connection holds a lock.
pub(super) fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Opens `path` (a file, created when missing) in WAL mode with the tables, on the calling
/// thread, which may wait: for another process's lock, for the disk.
pub(super) fn open_file(path: &Path, durability: Durability) -> Result<Connection, Refused> {
    // No SQLITE_OPEN_URI: a path is a file name, even one that starts with `file:`.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(WAIT)?;
    // Switching a file to WAL needs it to itself for a moment: a writer of another process then
    // makes SQLite answer "busy" at once, without its busy timeout, so that is retried.
    retry_busy(|| Ok(conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?))?;
    conn.pragma_update(None, "synchronous", synchronous(durability))?;
    retry_busy(|| create_schema(&conn))?;
    Ok(conn)
}

/// A second connection to `path` for WAL checkpoints, syncing as the writer's does.
pub(super) fn open_checkpointer(
    path: &Path,
    durability: Durability,
) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(WAIT)?;
    conn.pragma_update(None, "synchronous", synchronous(durability))?;
    Ok(conn)
}

fn synchronous(durability: Durability) -> &'static str {
    match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    }
}

/// A database in memory, with the tables: one connection's, gone with it.
pub(super) fn open_memory() -> Result<Connection, Refused> {
    let conn = Connection::open_in_memory()?;
    create_schema(&conn)?;
    Ok(conn)
}

fn retry_busy<T>(mut attempt: impl FnMut() -> Result<T, Refused>) -> Result<T, Refused> {
    let mut tries = 0;
    loop {
        match attempt() {
            Err(Refused::Sqlite(error)) if is_busy(&error) && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// In one transaction: a new file gets schema 1's tables; tables of those names made by
/// something else (`CREATE TABLE IF NOT EXISTS` leaves them as they are) are refused; an older
/// schema is migrated step by step to [`SCHEMA_VERSION`]; a newer one is refused. A refusal or
/// a failed step changes nothing.
fn create_schema(conn: &Connection) -> Result<(), Refused> {
    // Rolled back when dropped uncommitted.
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Refused::Newer(version));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    tx.execute_batch(SCHEMA_1)?;
    for (table, expected) in sql::TABLES {
        let found = tx
            .prepare("SELECT name FROM pragma_table_info(?1)")?
            .query_map([table], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        if !sql::missing_columns(expected, &found).is_empty() {
            return Err(Refused::Foreign(table));
        }
    }
    if version == 0 {
        tx.execute_batch(SCHEMA_1_INDEXES)?;
    }
    for migration in &MIGRATIONS[version.max(1) as usize - 1..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}
