//! The statements of the `Checkpoints` methods, each a plain call on a connection: where it
//! runs (this thread or a blocking one) is `connection.rs`'s choice.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::durable::checkpoints::Checkpoint;
use crate::durable::sql::{HistoryRow, RunRow};

/// A run's row as stored: its status, step and version still unchecked, the rest as `load`
/// returns it.
pub(super) type LoadedRow = (String, i64, i64, Checkpoint);

pub(super) fn load(conn: &Connection, run_id: &str) -> rusqlite::Result<Option<LoadedRow>> {
    conn.prepare_cached(
        "SELECT status, step, version, position, store, shape, node, action, message \
         FROM runs WHERE id = ?1",
    )?
    .query_row([run_id], |row| {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            Checkpoint {
                status: crate::durable::Status::Running,
                step: 0,
                version: 0,
                position: row.get(3)?,
                store: row.get(4)?,
                shape: row.get(5)?,
                node: row.get(6)?,
                action: row.get(7)?,
                message: row.get(8)?,
            },
        ))
    })
    .optional()
}

/// A checkpoint's step and version as SQLite integers.
#[derive(Clone, Copy)]
pub(super) struct Counts {
    pub(super) step: i64,
    pub(super) version: i64,
}

/// One statement, so one implicit transaction: its history row and the clearing of the run's
/// journal come from the `runs_history_*` triggers.
pub(super) fn save(
    conn: &Connection,
    run_id: &str,
    checkpoint: &Checkpoint,
    counts: Counts,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO runs \
         (id, status, step, position, store, shape, node, action, message, updated_at, version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
         step = excluded.step, position = excluded.position, store = excluded.store, \
         shape = excluded.shape, node = excluded.node, action = excluded.action, \
         message = excluded.message, updated_at = excluded.updated_at, \
         version = excluded.version",
    )?
    .execute(params![
        run_id,
        checkpoint.status.as_str(),
        counts.step,
        checkpoint.position,
        checkpoint.store,
        checkpoint.shape,
        checkpoint.node,
        checkpoint.action,
        checkpoint.message,
        now,
        counts.version,
    ])
    .map(drop)
}

/// [`save`] only while the run's saved version is `expected` (`None`: no row yet), as one
/// statement; returns whether it wrote. The `runs_history_*` triggers fire only for a row
/// written.
pub(super) fn save_after(
    conn: &Connection,
    run_id: &str,
    expected: Option<i64>,
    checkpoint: &Checkpoint,
    counts: Counts,
    now: i64,
) -> rusqlite::Result<bool> {
    // Both take ?12; the insert's `WHERE ?12 IS NULL` also lets SQLite parse its upsert clause.
    let statement = match expected {
        None => {
            "INSERT INTO runs \
             (id, status, step, position, store, shape, node, action, message, updated_at, \
             version) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 WHERE ?12 IS NULL \
             ON CONFLICT (id) DO NOTHING"
        }
        Some(_) => {
            "UPDATE runs SET status = ?2, step = ?3, position = ?4, store = ?5, shape = ?6, \
             node = ?7, action = ?8, message = ?9, updated_at = ?10, version = ?11 \
             WHERE id = ?1 AND version = ?12"
        }
    };
    let written = conn.prepare_cached(statement)?.execute(params![
        run_id,
        checkpoint.status.as_str(),
        counts.step,
        checkpoint.position,
        checkpoint.store,
        checkpoint.shape,
        checkpoint.node,
        checkpoint.action,
        checkpoint.message,
        now,
        counts.version,
        expected,
    ])?;
    Ok(written == 1)
}

pub(super) fn begin_immediate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")
}

pub(super) fn commit(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("COMMIT")
}

pub(super) fn store(conn: &Connection, run_id: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT store FROM runs WHERE id = ?1")?
        .query_row([run_id], |row| row.get(0))
        .optional()
}

/// The edit of `update_store`: the store, and the version moved on, so that no process that
/// loaded the run before can commit over it; the journal of the old version goes.
pub(super) fn set_store(
    conn: &Connection,
    run_id: &str,
    store: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE runs SET store = ?1, updated_at = ?2, version = version + 1 WHERE id = ?3",
    )?
    .execute(params![store, now, run_id])?;
    conn.prepare_cached("DELETE FROM items WHERE run_id = ?1")?
        .execute([run_id])
        .map(drop)
}

/// Every run, most recently updated first; times in microseconds, as the shared reader takes
/// them (milliseconds are stored).
pub(super) fn list(conn: &Connection) -> rusqlite::Result<Vec<RunRow>> {
    conn.prepare_cached(
        "SELECT id, status, step, node, updated_at * 1000 FROM runs \
         ORDER BY updated_at DESC, id",
    )?
    .query_map([], |row| {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
        ))
    })?
    .collect()
}

pub(super) fn history(conn: &Connection, run_id: &str) -> rusqlite::Result<Vec<HistoryRow>> {
    conn.prepare_cached(
        "SELECT step, status, node, action, at * 1000 FROM history WHERE run_id = ?1 \
         ORDER BY id",
    )?
    .query_map([run_id], |row| {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
        ))
    })?
    .collect()
}

/// Moves the run from `version` to the next and drops its journal, if it is still there; one
/// transaction, returns whether it did.
pub(super) fn claim(conn: &Connection, run_id: &str, version: i64) -> rusqlite::Result<bool> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let claimed = tx
        .prepare_cached("UPDATE runs SET version = version + 1 WHERE id = ?1 AND version = ?2")?
        .execute(params![run_id, version])?
        == 1;
    if claimed {
        tx.prepare_cached("DELETE FROM items WHERE run_id = ?1")?
            .execute([run_id])?;
    }
    tx.commit().map(|()| claimed)
}

/// Journals one row, only while the run is at `version`; returns whether it did.
pub(super) fn save_item(
    conn: &Connection,
    run_id: &str,
    version: i64,
    slot: i64,
    value: &str,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(INSERT_ITEM)?
        .execute(params![run_id, slot, value, version])?
        == 1)
}

/// The run's row is the fence: a journal row is written only beside the version it belongs to.
const INSERT_ITEM: &str = "INSERT OR REPLACE INTO items (run_id, slot, value, version) \
     SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM runs WHERE id = ?1 AND version = ?4)";

/// The rows of `items`, slots already checked, in one transaction, only while the run is at
/// `version`: a statement per row costs a microsecond or two on this thread, so no multi-row
/// statement is needed.
pub(super) fn save_items(
    conn: &Connection,
    run_id: &str,
    version: i64,
    items: &[(i64, &str)],
) -> rusqlite::Result<bool> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let at_version = tx
        .prepare_cached("SELECT 1 FROM runs WHERE id = ?1 AND version = ?2")?
        .exists(params![run_id, version])?;
    if !at_version {
        return Ok(false);
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR REPLACE INTO items (run_id, slot, value, version) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (slot, value) in items {
            insert.execute(params![run_id, slot, value, version])?;
        }
    }
    tx.commit().map(|()| true)
}

pub(super) fn items(
    conn: &Connection,
    run_id: &str,
    version: i64,
) -> rusqlite::Result<Vec<(i64, String)>> {
    conn.prepare_cached(
        "SELECT slot, value FROM items WHERE run_id = ?1 AND version = ?2 ORDER BY slot",
    )?
    .query_map(params![run_id, version], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?
    .collect()
}

/// The first history row of `run_id` at `step`.
pub(super) fn checkpoint_at(
    conn: &Connection,
    run_id: &str,
    step: i64,
) -> rusqlite::Result<Option<crate::durable::sql::PastRow>> {
    conn.prepare_cached(
        "SELECT status, position, store, shape, node, action FROM history \
         WHERE run_id = ?1 AND step = ?2 ORDER BY id LIMIT 1",
    )?
    .query_row(params![run_id, step], |row| {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
        ))
    })
    .optional()
}

/// Removes the rows of `run_id` from every table, in the transaction `conn` is in; returns
/// whether it had a run row.
fn delete_rows(conn: &Connection, run_id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("DELETE FROM items WHERE run_id = ?1")?
        .execute([run_id])?;
    conn.prepare_cached("DELETE FROM history WHERE run_id = ?1")?
        .execute([run_id])?;
    let runs = conn
        .prepare_cached("DELETE FROM runs WHERE id = ?1")?
        .execute([run_id])?;
    Ok(runs > 0)
}

/// A run and everything kept for it, in one transaction.
pub(super) fn delete(conn: &Connection, run_id: &str) -> rusqlite::Result<bool> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let found = delete_rows(&tx, run_id)?;
    tx.commit().map(|()| found)
}

/// Up to `limit` of the finished or failed runs last updated before `before` (milliseconds
/// since the epoch, as `updated_at`), in one transaction; returns how many.
pub(super) fn prune_some(conn: &Connection, before: i64, limit: i64) -> rusqlite::Result<u64> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let ids = tx
        .prepare_cached(
            "SELECT id FROM runs WHERE status IN ('finished', 'failed') AND updated_at < ?1 \
             LIMIT ?2",
        )?
        .query_map(params![before, limit], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    for id in &ids {
        delete_rows(&tx, id)?;
    }
    tx.commit().map(|()| ids.len() as u64)
}
