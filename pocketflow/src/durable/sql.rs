//! What the SQL backends share: their error type and the checks of what they read.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::checkpoints::{Checkpoint, HistoryEntry, RunInfo, Status};
use crate::error::{BoxError, DurableErrorKind, Error};

/// A database error with what the backend was doing: `saving run `x`: <the driver's message>`.
#[derive(Debug)]
pub(crate) struct SqlError {
    pub(crate) context: String,
    pub(crate) source: Option<BoxError>,
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.context),
            None => f.write_str(&self.context),
        }
    }
}

impl std::error::Error for SqlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| &**e as _)
    }
}

/// An [`Error::durable`] for `source`, saying what was being done.
pub(crate) fn db_error<E: Into<BoxError>>(context: impl fmt::Display) -> impl FnOnce(E) -> Error {
    move |source| {
        Error::durable(Box::new(SqlError {
            context: context.to_string(),
            source: Some(source.into()),
        }))
    }
}

/// An [`Error::durable`] with a message only.
pub(crate) fn problem(context: impl fmt::Display) -> Error {
    Error::durable(Box::new(SqlError {
        context: context.to_string(),
        source: None,
    }))
}

/// An [`Error::durable_with`] `NotFound` with a message only.
pub(crate) fn not_found(context: impl fmt::Display) -> Error {
    Error::durable_with(
        DurableErrorKind::NotFound,
        Box::new(SqlError {
            context: context.to_string(),
            source: None,
        }),
    )
}

pub(crate) fn status(run_id: &str, text: &str) -> Result<Status, Error> {
    Status::parse(text).ok_or_else(|| {
        problem(format_args!(
            "run `{run_id}` has an unknown status `{text}`"
        ))
    })
}

pub(crate) fn step_to_db(run_id: &str, step: u64) -> Result<i64, Error> {
    i64::try_from(step).map_err(|_| {
        problem(format_args!(
            "run `{run_id}`: step {step} is too large to store"
        ))
    })
}

pub(crate) fn step_from_db(run_id: &str, step: i64) -> Result<u64, Error> {
    u64::try_from(step).map_err(|_| {
        problem(format_args!(
            "run `{run_id}` has a negative step count {step}"
        ))
    })
}

/// A time stored as microseconds since the Unix epoch.
pub(crate) fn time_from_micros(micros: i64) -> SystemTime {
    if micros >= 0 {
        UNIX_EPOCH + Duration::from_micros(micros as u64)
    } else {
        UNIX_EPOCH - Duration::from_micros(micros.unsigned_abs())
    }
}

/// The columns `table` must have, given the columns it has: the missing ones.
pub(crate) fn missing_columns<'a>(expected: &[&'a str], found: &[String]) -> Vec<&'a str> {
    expected
        .iter()
        .copied()
        .filter(|column| !found.iter().any(|have| have.eq_ignore_ascii_case(column)))
        .collect()
}

/// The tables of both SQL backends and their columns: a table of one of these names with other
/// columns is not ours, and opening refuses it.
pub(crate) const TABLES: [(&str, &[&str]); 3] = [
    (
        "runs",
        &[
            "id",
            "status",
            "step",
            "position",
            "store",
            "shape",
            "node",
            "action",
            "message",
            "updated_at",
        ],
    ),
    (
        "history",
        &["id", "run_id", "step", "status", "node", "action", "at"],
    ),
    ("items", &["run_id", "slot", "value"]),
];

/// The columns pocketflow gives `table`, for an error that shows them.
pub(crate) fn columns_of(table: &str) -> String {
    TABLES
        .iter()
        .find(|(name, _)| *name == table)
        .map(|(_, columns)| columns.join(", "))
        .unwrap_or_default()
}

/// A row of `list`: id, status, step, node, update time in microseconds since the epoch.
pub(crate) type RunRow = (String, String, i64, Option<String>, i64);

/// A row of `history`: step, status, node, action, time in microseconds since the epoch.
pub(crate) type HistoryRow = (i64, String, Option<String>, Option<String>, i64);

/// What `list` returns for one row.
pub(crate) fn run_info((id, status, step, last_node, micros): RunRow) -> Result<RunInfo, Error> {
    Ok(RunInfo {
        status: self::status(&id, &status)?,
        steps: step_from_db(&id, step)?,
        last_node,
        updated: time_from_micros(micros),
        id,
    })
}

/// What `history` returns for one row of `run_id`.
pub(crate) fn history_entry(
    run_id: &str,
    (step, status, node, action, micros): HistoryRow,
) -> Result<HistoryEntry, Error> {
    Ok(HistoryEntry {
        step: step_from_db(run_id, step)?,
        status: self::status(run_id, &status)?,
        node,
        action,
        time: time_from_micros(micros),
    })
}

/// A past checkpoint as `history` keeps it: status, then position, store and shape (none in
/// rows written before schema 3), node and action.
pub(crate) type PastRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The past checkpoint of `run_id` at `step` from its history row, if any: an error when the
/// row was written before history kept stores (its position, store or shape missing).
pub(crate) fn past_checkpoint(
    run_id: &str,
    step: u64,
    row: Option<PastRow>,
) -> Result<Option<Checkpoint>, Error> {
    let Some((stored_status, position, store, shape, node, action)) = row else {
        return Ok(None);
    };
    let (Some(position), Some(store), Some(shape)) = (position, store, shape) else {
        return Err(Error::durable_with(
            DurableErrorKind::NotFound,
            format!(
                "step {step} of run `{run_id}` was saved before history kept each step's store; only steps saved since can be read or forked from"
            )
            .into(),
        ));
    };
    Ok(Some(Checkpoint {
        status: status(run_id, &stored_status)?,
        step,
        version: 0,
        position,
        store,
        shape,
        node,
        action,
        message: None,
    }))
}
