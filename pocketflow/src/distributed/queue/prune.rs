//! Retention for the queue: removing the jobs that ended, which apalis keeps forever.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{Queue, Server, queue_error};
use crate::error::Result;

/// Removes the jobs `ARGV[2..]` of the set `KEYS[2]` (`done` or `dead`) of one queue
/// (`KEYS[1]` its prefix) whose metadata says they ended before `ARGV[1]` (seconds since the
/// epoch): the set's entry, the payload in `data` and the metadata hash. Returns how many. One
/// call per batch of ids, so that Redis never runs long on a queue of millions.
const PRUNE: &str = r#"
local removed = 0
for i = 2, #ARGV do
    local id = ARGV[i]
    local meta = KEYS[1] .. ':meta:' .. id
    local done_at = tonumber(redis.call('HGET', meta, 'done_at') or '0') or 0
    if done_at < tonumber(ARGV[1]) and redis.call('SREM', KEYS[2], id) == 1 then
        redis.call('HDEL', KEYS[1] .. ':data', id)
        redis.call('DEL', meta)
        removed = removed + 1
    end
end
return removed
"#;

/// How many ids one `SSCAN` asks for, and one script call looks at.
const BATCH: usize = 500;

impl Queue {
    /// Removes the queue's jobs (runs and items) that ended before `before`: done, killed, or
    /// failed with no attempt left; returns how many. apalis keeps every job otherwise, on
    /// either server. Jobs still queued, running or to be retried are kept, however old, and so
    /// are jobs that ended within the [item timeout](Queue::item_timeout): a caller may still be
    /// about to read their answers.
    /// Durable runs keep their own records: prune them with
    /// [`Checkpoints::prune`](crate::durable::Checkpoints::prune).
    ///
    /// ```no_run
    /// # async fn doc() -> pocketflow::Result<()> {
    /// use std::time::{Duration, SystemTime};
    /// use pocketflow::distributed::Queue;
    ///
    /// let queue = Queue::connect("redis://127.0.0.1/").await?;
    /// let week = Duration::from_secs(7 * 24 * 3600);
    /// let removed = queue.prune(SystemTime::now() - week).await?;
    /// println!("{removed} finished jobs removed");
    /// # Ok(()) }
    /// ```
    pub async fn prune(&self, before: SystemTime) -> Result<u64> {
        // Never an item's answer its caller may still be waiting to read.
        let waited = SystemTime::now().checked_sub(self.inner.item_timeout);
        let before = before.min(waited.unwrap_or(UNIX_EPOCH));
        let since = before.duration_since(UNIX_EPOCH).unwrap_or_default();
        let name = &self.inner.name;
        match &self.inner.server {
            Server::Postgres(pool) => {
                let removed = sqlx::query(
                    "DELETE FROM apalis.jobs WHERE job_type IN ($1, $2) \
                     AND (status IN ('Done', 'Killed') \
                          OR (status = 'Failed' AND attempts >= max_attempts)) \
                     AND done_at < to_timestamp($3::float8)",
                )
                .bind(format!("{name}.runs"))
                .bind(format!("{name}.items"))
                .bind(since.as_secs_f64())
                .execute(pool)
                .await
                .map_err(|e| queue_error("cannot prune the queue's jobs", e))?;
                Ok(removed.rows_affected())
            }
            Server::Redis(connection) => {
                let failed = |e| queue_error("cannot prune the queue's jobs", e);
                let mut conn = connection.clone();
                let mut removed = 0;
                for kind in ["runs", "items"] {
                    let queue = format!("{name}.{kind}");
                    for set in ["done", "dead"] {
                        let key = format!("{queue}:{set}");
                        let mut cursor = 0u64;
                        loop {
                            let (next, ids): (u64, Vec<String>) = redis::cmd("SSCAN")
                                .arg(&key)
                                .arg(cursor)
                                .arg("COUNT")
                                .arg(BATCH)
                                .query_async(&mut conn)
                                .await
                                .map_err(failed)?;
                            if !ids.is_empty() {
                                let count: u64 = redis::Script::new(PRUNE)
                                    .key(&queue)
                                    .key(&key)
                                    .arg(since.as_secs())
                                    .arg(ids)
                                    .invoke_async(&mut conn)
                                    .await
                                    .map_err(failed)?;
                                removed += count;
                            }
                            if next == 0 {
                                break;
                            }
                            cursor = next;
                        }
                    }
                }
                Ok(removed)
            }
        }
    }
}
