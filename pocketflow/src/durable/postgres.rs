//! Durable runs in PostgreSQL: for many processes, on many machines, sharing their runs.

mod retention;
mod schema;

use std::future::Future;

use sqlx::Row;
use sqlx::postgres::{PgPool, PgRow};

use self::schema::{Refused, SCHEMA_VERSION, create_schema};
use super::checkpoints::{Checkpoint, Checkpoints, HistoryEntry, RunInfo, Status};
use super::sql::{self, db_error, problem};
use crate::error::Result;

/// A [`Checkpoints`] backend in a PostgreSQL database. Cargo feature `postgres`, which needs
/// rustc 1.94 or newer (sqlx 0.9).
///
/// The tables, created in the connection's current schema when missing, are readable with
/// `psql`:
///
/// - `runs(id, status, step, position, store, shape, node, action, message, updated_at,
///   version)`: one row per run, its last checkpoint; `store` is of type `json`, holding the
///   shared store as the runtime wrote it (`select store->'draft' from runs where id =
///   'doc-42'`); `version` counts the run's writes.
/// - `history(id, run_id, step, status, node, action, at, position, store, shape)`: one row
///   per checkpoint, in order, whole (a run's past steps are read and forked from it).
/// - `items(run_id, slot, value, version)`: what the step in progress journaled.
/// - `pocketflow_schema(version)`: the schema's version (2). Tables of an older one are
///   migrated on connect, in one transaction; a newer one is refused.
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
///     status: Status::Running, step: 1, version: 1, position: "[1]".into(), store: r#"{"n":1}"#.into(),
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
        let refused = create_schema(&db.pool).await.map_err(db_error(
            "cannot create the pocketflow tables in PostgreSQL",
        ))?;
        match refused {
            None => Ok(db),
            Some(Refused::Foreign(table)) => Err(problem(format_args!(
                "the PostgreSQL database is not pocketflow's: its table `{table}` has other \
                 columns than pocketflow's ({})",
                sql::columns_of(table)
            ))),
            Some(Refused::Newer(version)) => Err(problem(format_args!(
                "the PostgreSQL database was written by a newer pocketflow (schema version \
                 {version}; this one reads up to {SCHEMA_VERSION}): use that version or a later one"
            ))),
        }
    }

    /// Takes the run `run_id` for this process, if no other session holds it: a session-level
    /// advisory lock on a connection of its own, opened for it outside the pool (a pooled one
    /// held for a whole run would leave the run's own checkpoints waiting for a connection once
    /// as many runs as the pool has connections are in flight), held until
    /// [`RunLock::release`], and released by the server when the process dies (its connection
    /// closes). `None`: another holds it.
    #[cfg(feature = "distributed")]
    pub(crate) async fn lock_run(&self, run_id: &str) -> Result<Option<RunLock>> {
        use sqlx::Connection;

        let context = || format!("PostgreSQL: taking the lock of run `{run_id}`");
        let options = self.pool.connect_options();
        let mut connection = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(db_error(context()))?;
        let key = format!("pocketflow.run:{run_id}");
        let taken: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                .bind(&key)
                .fetch_one(&mut connection)
                .await
                .map_err(db_error(context()))?;
        if !taken {
            let _ = connection.close().await;
            return Ok(None);
        }
        Ok(Some(RunLock { connection }))
    }
}

/// Runs `work`, one backend call's statements, on a task of its own. A caller dropped mid-call
/// (a timeout, a cancelled run) then never leaves a statement half sent: sqlx would return that
/// connection to the pool inside an open transaction, still holding the run's row lock, and
/// every other process writing the run would wait on it until the connection closed. The
/// statements run to their end, whole, as a slow network would have let them.
async fn detached<T: Send + 'static>(
    work: impl Future<Output = std::result::Result<T, sqlx::Error>> + Send + 'static,
) -> std::result::Result<T, sqlx::Error> {
    match tokio::spawn(work).await {
        Ok(done) => done,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => Err(sqlx::Error::WorkerCrashed),
    }
}

/// The error of a backend task that panicked or was cancelled with its runtime.
fn joined(error: tokio::task::JoinError) -> crate::Error {
    if error.is_panic() {
        std::panic::resume_unwind(error.into_panic());
    }
    problem("PostgreSQL: the runtime shut down during the call")
}

/// A run's row: its status, step and version still unchecked, the rest as `load` returns it.
type LoadedRow = (String, i64, i64, Checkpoint);

fn read_checkpoint(row: &PgRow) -> std::result::Result<LoadedRow, sqlx::Error> {
    Ok((
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        Checkpoint {
            status: Status::Running,
            step: 0,
            version: 0,
            position: row.try_get(3)?,
            store: row.try_get(4)?,
            shape: row.try_get(5)?,
            node: row.try_get(6)?,
            action: row.try_get(7)?,
            message: row.try_get(8)?,
        },
    ))
}

/// When a save writes.
enum Condition {
    Always,
    /// Only for a run never saved.
    New,
    /// Only while the run's saved version is this one.
    AtVersion(i64),
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
        let version = sql::step_to_db(run_id, checkpoint.version)?;
        macro_rules! insert {
            ($conflict:literal) => {
                concat!(
                    "INSERT INTO runs (id, status, step, position, store, shape, node, action, \
                     message, version, updated_at) VALUES ($1, $2, $3, $4, $5::json, $6, $7, \
                     $8, $9, $10, clock_timestamp()) ",
                    $conflict
                )
            };
        }
        let statement: &'static str = match condition {
            Condition::Always => insert!(
                "ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
                 step = excluded.step, position = excluded.position, store = excluded.store, \
                 shape = excluded.shape, node = excluded.node, action = excluded.action, \
                 message = excluded.message, version = excluded.version, \
                 updated_at = excluded.updated_at"
            ),
            Condition::New => insert!("ON CONFLICT (id) DO NOTHING"),
            Condition::AtVersion(_) => {
                "UPDATE runs SET status = $2, step = $3, position = $4, store = $5::json, \
                 shape = $6, node = $7, action = $8, message = $9, version = $10, \
                 updated_at = clock_timestamp() WHERE id = $1 AND version = $11"
            }
        };
        let (pool, id, checkpoint) = (self.pool.clone(), run_id.to_owned(), checkpoint.clone());
        let result = detached(async move {
            let run_id = id.as_str();
            let mut tx = pool.begin().await?;
            let mut query = sqlx::query(statement)
                .bind(run_id)
                .bind(checkpoint.status.as_str())
                .bind(step)
                .bind(&checkpoint.position)
                .bind(&checkpoint.store)
                .bind(&checkpoint.shape)
                .bind(&checkpoint.node)
                .bind(&checkpoint.action)
                .bind(&checkpoint.message)
                .bind(version);
            if let Condition::AtVersion(expected) = condition {
                query = query.bind(expected);
            }
            if query.execute(&mut *tx).await?.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO history (run_id, step, status, node, action, at, position, store, \
                 shape) SELECT id, step, status, node, action, updated_at, position, store, \
                 shape FROM runs WHERE id = $1",
            )
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM items WHERE run_id = $1")
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await.map(|()| true)
        })
        .await;
        result.map_err(db_error(format_args!("PostgreSQL: saving run `{run_id}`")))
    }
}

impl Postgres {
    /// Whether run `run_id` is at `version` now.
    async fn at_version(&self, run_id: &str, version: i64) -> Result<bool> {
        let (pool, id) = (self.pool.clone(), run_id.to_owned());
        detached(async move {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1 AND version = $2)")
                .bind(id)
                .bind(version)
                .fetch_one(&pool)
                .await
        })
        .await
        .map_err(db_error(format_args!("PostgreSQL: loading run `{run_id}`")))
    }
}

impl Checkpoints for Postgres {
    async fn load(&self, run_id: &str) -> Result<Option<Checkpoint>> {
        let failed = || db_error(format!("PostgreSQL: loading run `{run_id}`"));
        let (pool, id) = (self.pool.clone(), run_id.to_owned());
        let row = detached(async move {
            sqlx::query(
                "SELECT status, step, version, position, store::text, shape, node, action, \
                 message FROM runs WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&pool)
            .await
        })
        .await
        .map_err(failed())?;
        let Some(row) = row else { return Ok(None) };
        let (status, step, version, mut checkpoint) = read_checkpoint(&row).map_err(failed())?;
        checkpoint.status = sql::status(run_id, &status)?;
        checkpoint.step = sql::step_from_db(run_id, step)?;
        checkpoint.version = sql::step_from_db(run_id, version)?;
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
            Some(version) => Condition::AtVersion(sql::step_to_db(run_id, version)?),
        };
        self.save_if(run_id, condition, checkpoint).await
    }

    async fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> Result<String> + Send),
    ) -> Result<()> {
        let failed = || db_error(format!("PostgreSQL: updating the store of `{run_id}`"));
        // The transaction lives on a task of its own, which hands the store over and waits
        // for the edit: a caller dropped meanwhile drops the sender, and the task rolls back.
        let (store_tx, store_rx) = tokio::sync::oneshot::channel();
        let (edited_tx, edited_rx) = tokio::sync::oneshot::channel::<String>();
        let (pool, id) = (self.pool.clone(), run_id.to_owned());
        let task = tokio::spawn(async move {
            let mut tx = pool.begin().await?;
            // FOR UPDATE: the row stays locked until commit, so no other writer can come
            // between this read and this write.
            let store: Option<String> =
                sqlx::query_scalar("SELECT store::text FROM runs WHERE id = $1 FOR UPDATE")
                    .bind(&id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let found = store.is_some();
            if store_tx.send(store).is_err() || !found {
                return tx.rollback().await.map(|()| false);
            }
            let Ok(store) = edited_rx.await else {
                return tx.rollback().await.map(|()| false);
            };
            // The version moves on, so that no process that loaded the run before can commit
            // over the edit; the old version's journal goes.
            sqlx::query(
                "UPDATE runs SET store = $1::json, updated_at = clock_timestamp(), \
                 version = version + 1 WHERE id = $2",
            )
            .bind(store)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM items WHERE run_id = $1")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await.map(|()| true)
        });
        let Ok(store) = store_rx.await else {
            // The task ended without a store: its error says why.
            return match task.await {
                Ok(Err(error)) => Err(failed()(error)),
                Ok(Ok(_)) => Err(problem(format_args!(
                    "PostgreSQL: updating the store of `{run_id}`: the transaction ended early"
                ))),
                Err(error) => Err(joined(error)),
            };
        };
        let Some(store) = store else {
            return Err(sql::not_found(format_args!(
                "PostgreSQL: no run `{run_id}` to update"
            )));
        };
        // An error here drops `edited_tx`, and the task rolls back.
        let store = edit(&store)?;
        let _ = edited_tx.send(store);
        match task.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(failed()(error)),
            Err(error) => Err(joined(error)),
        }
    }

    async fn list(&self) -> Result<Vec<RunInfo>> {
        let pool = self.pool.clone();
        detached(async move {
            sqlx::query_as::<_, sql::RunRow>(concat!(
                "SELECT id, status, step, node, ",
                micros!("updated_at"),
                " FROM runs ORDER BY updated_at DESC, id"
            ))
            .fetch_all(&pool)
            .await
        })
        .await
        .map_err(db_error("PostgreSQL: listing runs"))?
        .into_iter()
        .map(sql::run_info)
        .collect()
    }

    async fn claim(&self, run_id: &str, version: u64) -> Result<bool> {
        let version = sql::step_to_db(run_id, version)?;
        let (pool, id) = (self.pool.clone(), run_id.to_owned());
        detached(async move {
            let mut tx = pool.begin().await?;
            let claimed =
                sqlx::query("UPDATE runs SET version = version + 1 WHERE id = $1 AND version = $2")
                    .bind(&id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
            if claimed {
                sqlx::query("DELETE FROM items WHERE run_id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await.map(|()| claimed)
        })
        .await
        .map_err(db_error(format_args!(
            "PostgreSQL: claiming a step of run `{run_id}`"
        )))
    }

    async fn save_item(&self, run_id: &str, version: u64, slot: u64, value: &str) -> Result<bool> {
        self.save_items(run_id, version, &[(slot, value.to_owned())])
            .await
    }

    async fn save_items(
        &self,
        run_id: &str,
        version: u64,
        items: &[(u64, String)],
    ) -> Result<bool> {
        let version = sql::step_to_db(run_id, version)?;
        if items.is_empty() {
            return self.at_version(run_id, version).await;
        }
        let slots = items
            .iter()
            .map(|(slot, _)| sql::step_to_db(run_id, *slot))
            .collect::<Result<Vec<i64>>>()?;
        // The run's row is the fence, locked FOR SHARE until this commits: a save or an update
        // that moves the version on waits for it, then drops its rows; one that came first
        // makes the row fail the version test, and nothing is written.
        let values: Vec<String> = items.iter().map(|(_, value)| value.clone()).collect();
        let (pool, id) = (self.pool.clone(), run_id.to_owned());
        let written = detached(async move {
            sqlx::query(
                "WITH fence AS (SELECT 1 FROM runs WHERE id = $1 AND version = $2 FOR SHARE) \
                 INSERT INTO items (run_id, slot, value, version) \
                 SELECT $1, slot, value, $2 \
                 FROM UNNEST($3::bigint[], $4::text[]) AS new (slot, value), fence \
                 ON CONFLICT (run_id, slot) DO UPDATE \
                 SET value = excluded.value, version = excluded.version",
            )
            .bind(id)
            .bind(version)
            .bind(slots)
            .bind(values)
            .execute(&pool)
            .await
        })
        .await
        .map_err(db_error(format_args!(
            "PostgreSQL: journaling in run `{run_id}`"
        )))?;
        Ok(written.rows_affected() > 0)
    }

    async fn items(&self, run_id: &str, version: u64) -> Result<Vec<(u64, String)>> {
        let version = sql::step_to_db(run_id, version)?;
        let (pool, id) = (self.pool.clone(), run_id.to_owned());
        let rows: Vec<(i64, String)> = detached(async move {
            sqlx::query_as(
                "SELECT slot, value FROM items WHERE run_id = $1 AND version = $2 ORDER BY slot",
            )
            .bind(id)
            .bind(version)
            .fetch_all(&pool)
            .await
        })
        .await
        .map_err(db_error(format_args!(
            "PostgreSQL: reading the journal of `{run_id}`"
        )))?;
        rows.into_iter()
            .map(|(slot, value)| Ok((sql::step_from_db(run_id, slot)?, value)))
            .collect()
    }

    async fn history(&self, run_id: &str) -> Result<Vec<HistoryEntry>> {
        let (pool, id) = (self.pool.clone(), run_id.to_owned());
        detached(async move {
            sqlx::query_as::<_, sql::HistoryRow>(concat!(
                "SELECT step, status, node, action, ",
                micros!("at"),
                " FROM history WHERE run_id = $1 ORDER BY id"
            ))
            .bind(id)
            .fetch_all(&pool)
            .await
        })
        .await
        .map_err(db_error(format_args!(
            "PostgreSQL: reading the history of `{run_id}`"
        )))?
        .into_iter()
        .map(|row| sql::history_entry(run_id, row))
        .collect()
    }

    async fn checkpoint_at(&self, run_id: &str, step: u64) -> Result<Option<Checkpoint>> {
        retention::checkpoint_at(&self.pool, run_id, step).await
    }

    fn keeps_history(&self) -> bool {
        true
    }

    async fn delete(&self, run_id: &str) -> Result<bool> {
        retention::delete(&self.pool, run_id).await
    }

    async fn prune(&self, before: std::time::SystemTime) -> Result<u64> {
        retention::prune(&self.pool, before).await
    }
}

/// A run taken by [`Postgres::lock_run`].
#[cfg(feature = "distributed")]
pub(crate) struct RunLock {
    /// Dropped unreleased (the run's future was dropped), it closes its socket and the server
    /// releases the lock with the session.
    connection: sqlx::PgConnection,
}

#[cfg(feature = "distributed")]
impl RunLock {
    /// Gives the run back: closing the lock's own connection releases it.
    pub(crate) async fn release(self) {
        use sqlx::Connection;
        let _ = self.connection.close().await;
    }
}
