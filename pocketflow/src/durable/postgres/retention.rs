//! Reading past checkpoints and deleting runs, in PostgreSQL.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgPool;

use super::detached;
use crate::durable::checkpoints::Checkpoint;
use crate::durable::sql::{self, db_error};
use crate::error::Result;

/// The first history row of `run_id` at `step`, as a checkpoint.
pub(super) async fn checkpoint_at(
    pool: &PgPool,
    run_id: &str,
    step: u64,
) -> Result<Option<Checkpoint>> {
    let at = sql::step_to_db(run_id, step)?;
    let (pool, id) = (pool.clone(), run_id.to_owned());
    let row: Option<sql::PastRow> = detached(async move {
        sqlx::query_as(
            "SELECT status, position, store::text, shape, node, action FROM history \
             WHERE run_id = $1 AND step = $2 ORDER BY id LIMIT 1",
        )
        .bind(id)
        .bind(at)
        .fetch_optional(&pool)
        .await
    })
    .await
    .map_err(db_error(format_args!(
        "PostgreSQL: reading step {step} of `{run_id}`"
    )))?;
    sql::past_checkpoint(run_id, step, row)
}

/// The statements that remove the runs whose ids are `$1` (a text array) from every table:
/// the run rows first, whose locks then hold off a checkpoint of one of them in flight until
/// the transaction ends (it then finds no run), so that none leaves a history row behind.
const DELETE_RUNS: [&str; 3] = [
    "DELETE FROM runs WHERE id = ANY($1)",
    "DELETE FROM history WHERE run_id = ANY($1)",
    "DELETE FROM items WHERE run_id = ANY($1)",
];

/// Removes `ids` from every table in the transaction `tx`; returns how many run rows went.
async fn delete_runs(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    ids: &[String],
) -> std::result::Result<u64, sqlx::Error> {
    let mut runs = None;
    for statement in DELETE_RUNS {
        let deleted = sqlx::query(statement)
            .bind(ids)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        runs.get_or_insert(deleted);
    }
    Ok(runs.unwrap_or(0))
}

/// A run and everything kept for it, in one transaction.
pub(super) async fn delete(pool: &PgPool, run_id: &str) -> Result<bool> {
    let (pool, ids) = (pool.clone(), vec![run_id.to_owned()]);
    detached(async move {
        let mut tx = pool.begin().await?;
        let runs = delete_runs(&mut tx, &ids).await?;
        tx.commit().await.map(|()| runs > 0)
    })
    .await
    .map_err(db_error(format_args!(
        "PostgreSQL: deleting run `{run_id}`"
    )))
}

/// Every finished or failed run last updated before `before`, in one transaction.
pub(super) async fn prune(pool: &PgPool, before: SystemTime) -> Result<u64> {
    let micros = before
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let pool = pool.clone();
    detached(async move {
        let mut tx = pool.begin().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM runs WHERE status IN ('finished', 'failed') \
             AND updated_at < to_timestamp($1::float8 / 1000000) FOR UPDATE",
        )
        .bind(micros)
        .fetch_all(&mut *tx)
        .await?;
        let runs = delete_runs(&mut tx, &ids).await?;
        tx.commit().await.map(|()| runs)
    })
    .await
    .map_err(db_error("PostgreSQL: pruning runs"))
}
