//! The Postgres backend's tables: created when missing, migrated from an older schema, and
//! refused when they are someone else's or newer.

use sqlx::postgres::PgPool;

use crate::durable::sql;

/// Serializes schema creation between processes connecting at once (`CREATE TABLE IF NOT
/// EXISTS` alone may race on the catalog): the key of a transaction-level advisory lock.
const SCHEMA_LOCK: i64 = 0x706f_636b_6574_666c; // "pocketfl"

/// The schema version this program writes, kept in the one row of table `pocketflow_schema`;
/// a database without that table has schema 1 (the first release's tables) or none at all.
pub(super) const SCHEMA_VERSION: i64 = 3;

/// Schema 1: the tables of the first release.
const SCHEMA_1: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    step BIGINT NOT NULL,
    position TEXT NOT NULL,
    store JSON NOT NULL,
    shape TEXT NOT NULL,
    node TEXT,
    action TEXT,
    message TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id TEXT NOT NULL,
    step BIGINT NOT NULL,
    status TEXT NOT NULL,
    node TEXT,
    action TEXT,
    at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    run_id TEXT NOT NULL,
    slot BIGINT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, slot)
);
";

/// Created once the tables are known to be this backend's.
const SCHEMA_1_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS history_run_id ON history (run_id, id);
CREATE INDEX IF NOT EXISTS runs_updated_at ON runs (updated_at);
";

/// `MIGRATIONS[i]` takes a database from schema `i + 1` to `i + 2`, as the SQLite backend's do.
///
/// 2: runs and journal rows carry the run's version (see `Checkpoint::version`).
/// 3: history rows keep the checkpoint's position, store and shape (time travel).
const MIGRATIONS: [&str; 2] = [
    "
ALTER TABLE runs ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
UPDATE runs SET version = step + 1;
ALTER TABLE items ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
UPDATE items SET version = coalesce((SELECT version FROM runs WHERE runs.id = items.run_id), 0);
",
    "
ALTER TABLE history ADD COLUMN position TEXT;
ALTER TABLE history ADD COLUMN store JSON;
ALTER TABLE history ADD COLUMN shape TEXT;
CREATE INDEX IF NOT EXISTS history_run_step ON history (run_id, step, id);
",
];

/// Why the schema could not be made ready.
pub(super) enum Refused {
    /// A table of this name is not pocketflow's.
    Foreign(&'static str),
    /// A pocketflow database of a newer schema than this program's.
    Newer(i64),
}

/// In one transaction, under an advisory lock so that processes connecting at once take
/// turns: schema 1's tables when missing; tables of those names made by something else
/// (`CREATE TABLE IF NOT EXISTS` leaves them as they are) are refused; an older schema is
/// migrated step by step to [`SCHEMA_VERSION`]; a newer one is refused. A refusal changes
/// nothing.
pub(super) async fn create_schema(
    pool: &PgPool,
) -> std::result::Result<Option<Refused>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SCHEMA_LOCK)
        .execute(&mut *tx)
        .await?;
    let versioned: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = 'pocketflow_schema')",
    )
    .fetch_one(&mut *tx)
    .await?;
    let version: i64 = if versioned {
        sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM pocketflow_schema")
            .fetch_one(&mut *tx)
            .await?
    } else {
        0
    };
    if version > SCHEMA_VERSION {
        tx.rollback().await?;
        return Ok(Some(Refused::Newer(version)));
    }
    if version == SCHEMA_VERSION {
        tx.commit().await?;
        return Ok(None);
    }
    sqlx::raw_sql(SCHEMA_1).execute(&mut *tx).await?;
    for (table, expected) in sql::TABLES {
        let found: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(table)
        .fetch_all(&mut *tx)
        .await?;
        if !sql::missing_columns(expected, &found).is_empty() {
            tx.rollback().await?;
            return Ok(Some(Refused::Foreign(table)));
        }
    }
    sqlx::raw_sql(SCHEMA_1_INDEXES).execute(&mut *tx).await?;
    for migration in &MIGRATIONS[version.max(1) as usize - 1..] {
        sqlx::raw_sql(*migration).execute(&mut *tx).await?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS pocketflow_schema (version BIGINT NOT NULL); \
         DELETE FROM pocketflow_schema;",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO pocketflow_schema (version) VALUES ($1)")
        .bind(SCHEMA_VERSION)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(None)
}
