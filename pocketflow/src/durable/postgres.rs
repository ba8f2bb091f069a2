//! Durable runs in PostgreSQL: for many processes, on many machines, sharing their runs.

use sqlx::Row;
use sqlx::postgres::{PgPool, PgRow};

use super::checkpoints::{Checkpoint, Checkpoints, HistoryEntry, RunInfo, Status};
use super::sql::{self, db_error, problem};
use crate::error::Result;

/// A [`Checkpoints`] backend in a PostgreSQL database. Cargo feature `postgres`, which needs
/// rustc 1.94 or newer (sqlx 0.9).
///
/// The tables, created in the connection's current schema when missing, are readable with
/// `psql`:
///
/// - `runs(id, status, step, position, store, shape, node, action, message, updated_at)`: one
///   row per run, its last checkpoint; `store` is of type `json`, holding the shared store as
///   the runtime wrote it (`select store->'draft' from runs where id = 'doc-42'`).
/// - `history(id, run_id, step, status, node, action, at)`: one row per checkpoint, in order.
///
/// Times (`updated_at`, `at`) are `timestamptz`, taken from the database server's clock, so
/// that runs written from several machines list in one order.
///
/// The connection is plain TCP or a Unix socket: with the URL's default `sslmode=prefer` no
/// TLS is attempted. For TLS, enable one of sqlx's TLS features in your own `Cargo.toml`
/// (for example `sqlx = { version = "0.9", features = ["tls-rustls"] }`): cargo unifies it
/// with this crate's sqlx.
///
/// ```
/// use pocketflow::durable::{Checkpoint, Checkpoints, Postgres, Status};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// // For example postgres://app@localhost:5432/app; this example runs when PG_URL is set.
/// let Ok(url) = std::env::var("PG_URL") else { return Ok(()) };
/// let db = Postgres::connect(&url).await?;
/// let id = format!("doc-{}", std::process::id());
/// let checkpoint = Checkpoint {
///     status: Status::Running, step: 1, position: "[1]".into(), store: r#"{"n":1}"#.into(),
///     shape: "s".into(), node: Some("a".into()), action: Some("default".into()), message: None,
/// };
/// db.save(&id, &checkpoint).await?;
/// assert_eq!(db.load(&id).await?, Some(checkpoint));
/// for run in db.list().await? {
///     println!("{} {} after {} steps", run.id, run.status, run.steps);
/// }
/// # Ok::<(), pocketflow::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Postgres {
    pool: PgPool,
}

/// Serializes schema creation between processes connecting at once (`CREATE TABLE IF NOT
/// EXISTS` alone may race on the catalog): the key of a transaction-level advisory lock.
const SCHEMA_LOCK: i64 = 0x706f_636b_6574_666c; // "pocketfl"

const TABLES: &str = "
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
const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS history_run_id ON history (run_id, id);
CREATE INDEX IF NOT EXISTS runs_updated_at ON runs (updated_at);
";

/// Microseconds since the Unix epoch of a `timestamptz` column.
macro_rules! micros {
    ($column:literal) => {
        concat!("(extract(epoch from ", $column, ") * 1000000)::bigint")
    };
}

impl Postgres {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`) and
    /// creates the tables when missing. A server that does not answer yet is retried for up to
    /// 30 seconds (sqlx's acquire timeout; pass your own pool to [`from_pool`](Self::from_pool)
    /// for another). Tables named `runs` or `history` that are not this backend's make it an
    /// [`Error`](crate::Error) of kind [`Durable`](crate::ErrorKind::Durable).
    ///
    /// ```
    /// use pocketflow::durable::{Checkpoints, Postgres};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// // This example runs when PG_URL is set.
    /// let Ok(url) = std::env::var("PG_URL") else { return Ok(()) };
    /// let db = Postgres::connect(&url).await?;
    /// assert!(db.load("a run never saved").await?.is_none());
    /// # Ok::<(), pocketflow::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn connect(url: &str) -> Result<Postgres> {
        let pool = PgPool::connect(url)
            .await
            .map_err(db_error("cannot connect to PostgreSQL"))?;
        Postgres::from_pool(pool).await
    }

    /// Uses a pool of connections the application already has (sqlx 0.9's `PgPool`; add `sqlx`
    /// to your own dependencies), creating the tables when missing, in the pool's current
    /// schema.
    ///
    /// ```
    /// use pocketflow::durable::{Checkpoints, Postgres};
    /// use sqlx::postgres::PgPoolOptions;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// // This example runs when PG_URL is set.
    /// let Ok(url) = std::env::var("PG_URL") else { return Ok(()) };
    /// let pool = PgPoolOptions::new()
    ///     .max_connections(4)
    ///     .acquire_timeout(std::time::Duration::from_secs(5))
    ///     .connect(&url)
    ///     .await
    ///     .expect("database");
    /// let db = Postgres::from_pool(pool).await?;
    /// assert!(db.history("a run never saved").await?.is_empty());
    /// # Ok::<(), pocketflow::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn from_pool(pool: PgPool) -> Result<Postgres> {
        let db = Postgres { pool };
        let foreign = db.create_schema().await.map_err(db_error(
            "cannot create the pocketflow tables in PostgreSQL",
        ))?;
        match foreign {
            None => Ok(db),
            Some(table) => Err(problem(format_args!(
                "the PostgreSQL database is not pocketflow's: its table `{table}` has other \
                 columns than pocketflow's ({})",
                sql::columns_of(table)
            ))),
        }
    }

    /// Takes the run `run_id` for this process, if no other session holds it: a session-level
    /// advisory lock on a connection of its own, held until [`RunLock::release`], and released
    /// by the server when the process dies (its connection closes). `None`: another holds it.
    #[cfg(feature = "distributed")]
    pub(crate) async fn lock_run(&self, run_id: &str) -> Result<Option<RunLock>> {
        let context = || format!("PostgreSQL: taking the lock of run `{run_id}`");
        let mut connection = self.pool.acquire().await.map_err(db_error(context()))?;
        let key = format!("pocketflow.run:{run_id}");
        let taken: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                .bind(&key)
                .fetch_one(&mut *connection)
                .await
                .map_err(db_error(context()))?;
        Ok(taken.then(|| RunLock {
            connection: Some(connection),
            key,
        }))
    }

    /// In one transaction, under an advisory lock so that processes connecting at once take
    /// turns: the tables when missing, a check that tables of those names made by something
    /// else (`CREATE TABLE IF NOT EXISTS` leaves them as they are) are not taken for ours, then
    /// the indexes. `Some(table)` names a foreign table; nothing is changed then.
    async fn create_schema(&self) -> std::result::Result<Option<&'static str>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *tx)
            .await?;
        sqlx::raw_sql(TABLES).execute(&mut *tx).await?;
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
                return Ok(Some(table));
            }
        }
        sqlx::raw_sql(INDEXES).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(None)
    }
}

fn read_checkpoint(row: &PgRow) -> std::result::Result<(String, i64, Checkpoint), sqlx::Error> {
    Ok((
        row.try_get(0)?,
        row.try_get(1)?,
        Checkpoint {
            status: Status::Running,
            step: 0,
            position: row.try_get(2)?,
            store: row.try_get(3)?,
            shape: row.try_get(4)?,
            node: row.try_get(5)?,
            action: row.try_get(6)?,
            message: row.try_get(7)?,
        },
    ))
}

/// When a save writes.
enum Condition {
    Always,
    /// Only for a run never saved.
    New,
    /// Only while the run's saved step is this one.
    AtStep(i64),
}

impl Postgres {
    /// Writes `checkpoint`, its history row and the journal's clearing in one transaction, if
    /// `condition` holds in it; returns whether it did.
    async fn save_if(
        &self,
        run_id: &str,
        condition: Condition,
        checkpoint: &Checkpoint,
    ) -> Result<bool> {
        let step = sql::step_to_db(run_id, checkpoint.step)?;
        macro_rules! insert {
            ($conflict:literal) => {
                concat!(
                    "INSERT INTO runs (id, status, step, position, store, shape, node, action, \
                     message, updated_at) VALUES ($1, $2, $3, $4, $5::json, $6, $7, $8, $9, \
                     clock_timestamp()) ",
                    $conflict
                )
            };
        }
        let statement: &'static str = match condition {
            Condition::Always => insert!(
                "ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
                 step = excluded.step, position = excluded.position, store = excluded.store, \
                 shape = excluded.shape, node = excluded.node, action = excluded.action, \
                 message = excluded.message, updated_at = excluded.updated_at"
            ),
            Condition::New => insert!("ON CONFLICT (id) DO NOTHING"),
            Condition::AtStep(_) => {
                "UPDATE runs SET status = $2, step = $3, position = $4, store = $5::json, \
                 shape = $6, node = $7, action = $8, message = $9, \
                 updated_at = clock_timestamp() WHERE id = $1 AND step = $10"
            }
        };
        let result: std::result::Result<bool, sqlx::Error> = async {
            let mut tx = self.pool.begin().await?;
            let mut query = sqlx::query(statement)
                .bind(run_id)
                .bind(checkpoint.status.as_str())
                .bind(step)
                .bind(&checkpoint.position)
                .bind(&checkpoint.store)
                .bind(&checkpoint.shape)
                .bind(&checkpoint.node)
                .bind(&checkpoint.action)
                .bind(&checkpoint.message);
            if let Condition::AtStep(expected) = condition {
                query = query.bind(expected);
            }
            if query.execute(&mut *tx).await?.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO history (run_id, step, status, node, action, at) \
                 SELECT id, step, status, node, action, updated_at FROM runs WHERE id = $1",
            )
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM items WHERE run_id = $1")
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await.map(|()| true)
        }
        .await;
        result.map_err(db_error(format_args!("PostgreSQL: saving run `{run_id}`")))
    }
}

impl Checkpoints for Postgres {
    async fn load(&self, run_id: &str) -> Result<Option<Checkpoint>> {
        let failed = || db_error(format!("PostgreSQL: loading run `{run_id}`"));
        let row = sqlx::query(
            "SELECT status, step, position, store::text, shape, node, action, message \
             FROM runs WHERE id = $1",
        )
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(failed())?;
        let Some(row) = row else { return Ok(None) };
        let (status, step, mut checkpoint) = read_checkpoint(&row).map_err(failed())?;
        checkpoint.status = sql::status(run_id, &status)?;
        checkpoint.step = sql::step_from_db(run_id, step)?;
        Ok(Some(checkpoint))
    }

    async fn save(&self, run_id: &str, checkpoint: &Checkpoint) -> Result<()> {
        self.save_if(run_id, Condition::Always, checkpoint)
            .await
            .map(drop)
    }

    async fn save_after(
        &self,
        run_id: &str,
        expected: Option<u64>,
        checkpoint: &Checkpoint,
    ) -> Result<bool> {
        let condition = match expected {
            None => Condition::New,
            Some(step) => Condition::AtStep(sql::step_to_db(run_id, step)?),
        };
        self.save_if(run_id, condition, checkpoint).await
    }

    async fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> Result<String> + Send),
    ) -> Result<()> {
        let failed = || db_error(format!("PostgreSQL: updating the store of `{run_id}`"));
        let mut tx = self.pool.begin().await.map_err(failed())?;
        // FOR UPDATE: the row stays locked until commit, so no other writer can come between
        // this read and this write.
        let store: Option<String> =
            sqlx::query_scalar("SELECT store::text FROM runs WHERE id = $1 FOR UPDATE")
                .bind(run_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(failed())?;
        let Some(store) = store else {
            return Err(problem(format_args!(
                "PostgreSQL: no run `{run_id}` to update"
            )));
        };
        // An error here drops `tx`, which rolls back.
        let store = edit(&store)?;
        sqlx::query(
            "UPDATE runs SET store = $1::json, updated_at = clock_timestamp() WHERE id = $2",
        )
        .bind(store)
        .bind(run_id)
        .execute(&mut *tx)
        .await
        .map_err(failed())?;
        tx.commit().await.map_err(failed())
    }

    async fn list(&self) -> Result<Vec<RunInfo>> {
        sqlx::query_as::<_, sql::RunRow>(concat!(
            "SELECT id, status, step, node, ",
            micros!("updated_at"),
            " FROM runs ORDER BY updated_at DESC, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error("PostgreSQL: listing runs"))?
        .into_iter()
        .map(sql::run_info)
        .collect()
    }

    async fn save_item(&self, run_id: &str, slot: u64, value: &str) -> Result<()> {
        let slot = sql::step_to_db(run_id, slot)?;
        sqlx::query(
            "INSERT INTO items (run_id, slot, value) VALUES ($1, $2, $3) \
             ON CONFLICT (run_id, slot) DO UPDATE SET value = excluded.value",
        )
        .bind(run_id)
        .bind(slot)
        .bind(value)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(db_error(format_args!(
            "PostgreSQL: journaling in run `{run_id}`"
        )))
    }

    async fn save_items(&self, run_id: &str, items: &[(u64, String)]) -> Result<()> {
        let slots = items
            .iter()
            .map(|(slot, _)| sql::step_to_db(run_id, *slot))
            .collect::<Result<Vec<i64>>>()?;
        let values: Vec<&str> = items.iter().map(|(_, value)| value.as_str()).collect();
        sqlx::query(
            "INSERT INTO items (run_id, slot, value) \
             SELECT $1, slot, value FROM UNNEST($2::bigint[], $3::text[]) AS new (slot, value) \
             ON CONFLICT (run_id, slot) DO UPDATE SET value = excluded.value",
        )
        .bind(run_id)
        .bind(slots)
        .bind(values)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(db_error(format_args!(
            "PostgreSQL: journaling in run `{run_id}`"
        )))
    }

    async fn items(&self, run_id: &str) -> Result<Vec<(u64, String)>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT slot, value FROM items WHERE run_id = $1 ORDER BY slot")
                .bind(run_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error(format_args!(
                    "PostgreSQL: reading the journal of `{run_id}`"
                )))?;
        rows.into_iter()
            .map(|(slot, value)| Ok((sql::step_from_db(run_id, slot)?, value)))
            .collect()
    }

    async fn history(&self, run_id: &str) -> Result<Vec<HistoryEntry>> {
        sqlx::query_as::<_, sql::HistoryRow>(concat!(
            "SELECT step, status, node, action, ",
            micros!("at"),
            " FROM history WHERE run_id = $1 ORDER BY id"
        ))
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error(format_args!(
            "PostgreSQL: reading the history of `{run_id}`"
        )))?
        .into_iter()
        .map(|row| sql::history_entry(run_id, row))
        .collect()
    }
}

/// A run taken by [`Postgres::lock_run`].
#[cfg(feature = "distributed")]
pub(crate) struct RunLock {
    connection: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
    key: String,
}

#[cfg(feature = "distributed")]
impl RunLock {
    /// Gives the run back. When the unlock cannot be sent, the connection is closed instead,
    /// which releases the lock as well.
    pub(crate) async fn release(mut self) {
        if let Some(mut connection) = self.connection.take() {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
                .bind(&self.key)
                .execute(&mut *connection)
                .await;
            if unlocked.is_err() {
                connection.close_on_drop();
            }
        }
    }
}

#[cfg(feature = "distributed")]
impl Drop for RunLock {
    /// Not released (the run's future was dropped): the connection goes, and the lock with it,
    /// rather than back to the pool still holding it.
    fn drop(&mut self) {
        if let Some(connection) = &mut self.connection {
            connection.close_on_drop();
        }
    }
}
