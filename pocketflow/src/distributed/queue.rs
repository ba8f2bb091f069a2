//! [`Queue`]: two apalis queues (runs and items) on Postgres or Redis, and the caller's side of
//! a distributed batch: push the items, read the answers back.

mod prune;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskId, TaskResult, TaskSink, WaitForCompletion};
use apalis_postgres::PostgresStorage;
use apalis_redis::{ConnectionManager, RedisStorage};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::PgPool;

use super::jobs::{ItemAnswer, ItemJob, RunJob};
use super::polling::EveryInterval;
use crate::error::{BoxError, DistributedErrorKind, Error, Phase, Result};
use crate::progress::{self, Progress};

tokio::task_local! {
    /// The queue of the [`Queue::with_workers`] the current task runs inside.
    static CURRENT: Queue;
}

/// How often a run job may start: its first time plus recoveries after a worker died holding
/// it. A run that fails in a node is not retried by the queue (its checkpoint says failed; run
/// it again on purpose), so this bounds only crashes.
pub(crate) const RUN_STARTS: usize = 25;
/// The same for an item: a worker answers failures itself, so only crashes count.
pub(crate) const ITEM_STARTS: usize = 25;
/// Puts back or fails one job of a stopped Redis worker, only if it is still in that worker's
/// in-flight set.
const RECLAIM: &str = r#"
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return end
if ARGV[2] == 'requeue' then
    redis.call('LPUSH', KEYS[2], ARGV[1])
elseif ARGV[2] == 'fail' then
    redis.call('SADD', KEYS[3], ARGV[1])
    redis.call('HSET', KEYS[4], 'result', ARGV[3], 'status', 'Failed', 'attempts', ARGV[4],
        'done_at', ARGV[5])
end
"#;

/// The most items one job carries: the queue's work per job (a push, a fetch, an
/// acknowledgement, a status read) is shared by them, and a worker runs them at once. A job
/// lost with its worker runs all of its items again.
const ITEMS_PER_JOB: usize = 8;
/// Reading answers: as soon as one arrives, then backing off to this while none do.
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

/// Where jobs wait for workers: two apalis queues (runs and batch items) on Postgres or Redis.
/// Cloning is cheap and shares the connections.
///
/// ```no_run
/// # async fn demo() -> pocketflow::Result<()> {
/// use pocketflow::distributed::Queue;
/// use std::time::Duration;
///
/// let queue = Queue::connect("postgres://localhost/app").await?  // or redis://127.0.0.1/
///     .named("translations")                 // the default is "pocketflow"
///     .heartbeat(Duration::from_secs(2));    // dead workers noticed after 3 missed beats
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    server: Server,
    name: String,
    heartbeat: Duration,
    poll: Duration,
    item_timeout: Duration,
}

/// How long a caller waits for the next answer from its distributed items by default.
const ITEM_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Clone)]
enum Server {
    Postgres(PgPool),
    Redis(ConnectionManager),
}

/// One of the queue's two apalis storages, on whichever server the queue has.
pub(crate) enum Storage<T> {
    Postgres(PostgresStorage<T>),
    Redis(RedisStorage<T>),
}

/// The queue's server could not do `what`.
fn queue_error(what: &str, error: impl std::fmt::Display) -> Error {
    Error::distributed(format!("{what}: {error}").into())
}

/// `what` is not JSON, or does not read back as its type.
fn unreadable(what: &str, error: impl std::fmt::Display) -> Error {
    Error::distributed_with(
        DistributedErrorKind::Unreadable,
        format!("{what}: {error}").into(),
    )
}

impl Queue {
    /// Connects to the server of `url`: `postgres://` or `postgresql://` for Postgres (its
    /// tables are created in the `apalis` schema when missing), `redis://`, `rediss://` or
    /// `redis+unix://` for Redis. The flows and nodes are the same on either.
    pub async fn connect(url: &str) -> Result<Queue> {
        let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
        match scheme {
            "postgres" | "postgresql" => Queue::postgres(url).await,
            "redis" | "rediss" | "redis+unix" | "unix" => Queue::redis(url).await,
            _ => Err(Error::distributed_with(
                DistributedErrorKind::Setup,
                format!("`{url}` is not a queue URL; write postgres://.. or redis://..").into(),
            )),
        }
    }

    /// A queue on Postgres at `url`, its tables created when missing.
    pub async fn postgres(url: &str) -> Result<Queue> {
        let pool = PgPool::connect(url)
            .await
            .map_err(|e| queue_error("cannot connect to the queue's Postgres", e))?;
        Queue::postgres_pool(pool).await
    }

    /// A queue on Postgres through a pool the application already has (sqlx 0.9), its tables
    /// created when missing.
    pub async fn postgres_pool(pool: PgPool) -> Result<Queue> {
        PostgresStorage::setup(&pool)
            .await
            .map_err(|e| queue_error("cannot create the queue's tables", e))?;
        Ok(Queue::on(Server::Postgres(pool)))
    }

    /// A queue on Redis at `url`.
    pub async fn redis(url: &str) -> Result<Queue> {
        let connection = apalis_redis::connect(url)
            .await
            .map_err(|e| queue_error("cannot connect to the queue's Redis", e))?;
        Ok(Queue::on(Server::Redis(connection)))
    }

    fn on(server: Server) -> Queue {
        Queue {
            inner: Arc::new(Inner {
                server,
                name: "pocketflow".into(),
                heartbeat: Duration::from_secs(5),
                poll: Duration::from_millis(20),
                item_timeout: ITEM_TIMEOUT,
            }),
        }
    }

    /// Uses the queues named `name.runs` and `name.items` (the default name is `pocketflow`):
    /// fleets with different flows or nodes on one server each take their own name.
    pub fn named(self, name: impl Into<String>) -> Queue {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        inner.name = name.into();
        Queue {
            inner: Arc::new(inner),
        }
    }

    /// How often workers report that they are alive (5 s by default). A worker silent for three
    /// beats (and at least two seconds: the queues count whole seconds) is presumed dead: the next worker to beat takes its unfinished jobs back to the
    /// queue. Workers and callers of one queue should agree on it.
    pub fn heartbeat(self, every: Duration) -> Queue {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        inner.heartbeat = every.max(Duration::from_millis(100));
        Queue {
            inner: Arc::new(inner),
        }
    }

    /// How often an idle worker asks the queue for jobs (20 ms by default): the latency of a
    /// job queued while all workers wait, against one query per interval per idle worker.
    ///
    /// On Postgres a worker is also told of each job the moment it is pushed (apalis's insert
    /// trigger notifies; each worker listens on one more connection), so there the interval
    /// is only the fallback and can be long: a second costs no latency. Redis has no such
    /// notification: its workers find new jobs by this interval alone.
    pub fn poll_interval(self, every: Duration) -> Queue {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        inner.poll = every.max(Duration::from_millis(1));
        Queue {
            inner: Arc::new(inner),
        }
    }

    /// How long a caller waits for the next answer from its distributed items (10 minutes by
    /// default): when no item of a batch finishes for that long (no worker registers the node,
    /// the workers are down, the queue's server lost its data), the batch node fails with an
    /// [`Error`] of kind [`Distributed`](crate::ErrorKind::Distributed) naming the node and the
    /// queue, and its run lets go of its lock. Make it longer than your slowest item's `exec`
    /// with its retries.
    ///
    /// ```no_run
    /// # async fn demo() -> pocketflow::Result<()> {
    /// use std::time::Duration;
    /// let queue = pocketflow::distributed::Queue::connect("redis://127.0.0.1/")
    ///     .await?
    ///     .item_timeout(Duration::from_secs(60));
    /// # Ok(()) }
    /// ```
    pub fn item_timeout(self, timeout: Duration) -> Queue {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        inner.item_timeout = timeout;
        Queue {
            inner: Arc::new(inner),
        }
    }

    /// When an idle worker of the `kind` queue fetches again: every poll interval, and on
    /// Postgres as soon as a job is pushed.
    pub(crate) fn polls(&self, kind: &str) -> EveryInterval {
        let polls = EveryInterval::new(self.inner.poll);
        match &self.inner.server {
            Server::Postgres(pool) => polls.woken_by_pushes(pool, self.queue_name(kind)),
            Server::Redis(_) => polls,
        }
    }

    /// Puts a durable run on the queue: a worker that registers a flow as `flow` runs it with
    /// `run_id` on its checkpoints, from `store` when the id has no checkpoint yet (else from
    /// the checkpoint, as [`DurableRun::run`](crate::durable::DurableRun::run) does), with
    /// `params` for every node.
    pub async fn enqueue_run<S: Serialize, P: Serialize>(
        &self,
        flow: &str,
        run_id: &str,
        store: &S,
        params: &P,
    ) -> Result<()> {
        let json = |value: Result<serde_json::Value, serde_json::Error>| {
            value.map_err(|e| unreadable("the run's store or params are not JSON", e))
        };
        let job = RunJob {
            flow: flow.into(),
            run: run_id.into(),
            store: json(serde_json::to_value(store))?,
            params: json(serde_json::to_value(params))?,
        };
        self.enqueue_run_job(job, Duration::ZERO).await
    }

    /// Queues `job`, to be taken no sooner than `after` from now.
    pub(crate) async fn enqueue_run_job(&self, job: RunJob, after: Duration) -> Result<()> {
        let mut storage = self.storage::<RunJob>("runs");
        storage
            .push_after(vec![(new_task_id(), job)], RUN_STARTS, after)
            .await
    }

    /// Runs `future` with this queue as the one its distributed batch nodes send their items
    /// to. Outside it, they run their items in-process.
    pub async fn with_workers<F: Future>(&self, future: F) -> F::Output {
        CURRENT.scope(self.clone(), future).await
    }

    /// The queue of the enclosing [`with_workers`](Self::with_workers), if any.
    pub(crate) fn current() -> Option<Queue> {
        CURRENT.try_with(Queue::clone).ok()
    }

    /// The apalis queue (a job type on Postgres) of `kind`: `name.runs` or `name.items`.
    fn queue_name(&self, kind: &str) -> String {
        format!("{}.{kind}", self.inner.name)
    }

    /// The apalis storage of the `kind` queue (`runs` or `items`).
    pub(crate) fn storage<T>(&self, kind: &str) -> Storage<T> {
        self.storage_fetching(kind, 10)
    }

    /// The apalis storage of the `kind` queue for a worker that fetches up to `batch` jobs per
    /// poll.
    pub(crate) fn storage_fetching<T>(&self, kind: &str, batch: usize) -> Storage<T> {
        let queue = self.queue_name(kind);
        let heartbeat = self.inner.heartbeat;
        match &self.inner.server {
            Server::Postgres(pool) => {
                let config = apalis_postgres::Config::default()
                    .queue(queue)
                    .batch_size(batch)
                    .heartbeat_interval(heartbeat)
                    .missed_heartbeats(missed_heartbeats(heartbeat));
                Storage::Postgres(PostgresStorage::new(pool).with_config(config))
            }
            Server::Redis(connection) => {
                let config = apalis_redis::Config::default()
                    .queue(queue)
                    .batch_size(batch)
                    .heartbeat_interval(heartbeat)
                    .missed_heartbeats(missed_heartbeats(heartbeat));
                Storage::Redis(RedisStorage::new(connection.clone()).with_config(config))
            }
        }
    }

    /// The caller's side of a distributed batch: every item goes to the items queue, at most
    /// `limit` queued and unanswered, a few to a job ([`ITEMS_PER_JOB`]), and the outputs come
    /// back in item order.
    pub(crate) async fn run_items<I: Serialize, O: DeserializeOwned>(
        &self,
        node: ItemsOf,
        items: &[I],
        limit: usize,
        progress: Option<&Progress>,
        done: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<O>> {
        let mut storage = self.storage::<ItemJob>("items");
        let mut answered = 0;
        let mut outputs: Vec<Option<O>> = items.iter().map(|_| None).collect();
        // Unanswered jobs by task id, with their items' indices: an answer is taken once,
        // whatever apalis replays.
        let mut waiting: HashMap<String, (TaskId, Vec<usize>)> = HashMap::new();
        let mut in_flight = 0;
        let mut next = 0;
        let mut pause = FIRST_PAUSE;
        let mut progressed = tokio::time::Instant::now();
        while next < items.len() || !waiting.is_empty() {
            if progressed.elapsed() >= self.inner.item_timeout {
                return Err(self.items_timed_out(node.registered_as, in_flight));
            }
            let room = limit.saturating_sub(in_flight).min(items.len() - next);
            if room > 0 {
                // Spread over jobs so that every worker gets some: no job bigger than needed.
                let per_job = room.div_ceil(room.div_ceil(ITEMS_PER_JOB));
                let mut jobs = Vec::new();
                for chunk in (next..next + room).collect::<Vec<_>>().chunks(per_job) {
                    let values = chunk
                        .iter()
                        .map(|&index| {
                            serde_json::to_value(&items[index])
                                .map_err(|e| unreadable(&format!("item {index} is not JSON"), e))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    let id = new_task_id();
                    waiting.insert(id.to_string(), (id.clone(), chunk.to_vec()));
                    let node = node.registered_as.to_owned();
                    jobs.push((
                        id,
                        ItemJob {
                            node,
                            items: values,
                        },
                    ));
                }
                storage.push(jobs, ITEM_STARTS).await?;
                next += room;
                in_flight += room;
            }
            tokio::time::sleep(pause).await;
            let ids = waiting.values().map(|(id, _)| id.clone()).collect();
            let answers: Vec<TaskResult<Vec<ItemAnswer>>> = storage.finished(ids).await?;
            pause = if answers.is_empty() {
                (pause * 2).min(LONGEST_PAUSE)
            } else {
                progressed = tokio::time::Instant::now();
                FIRST_PAUSE
            };
            for answer in answers {
                let Some((_, indices)) = waiting.remove(&answer.task_id.to_string()) else {
                    continue;
                };
                in_flight -= indices.len();
                let per_item: Vec<std::result::Result<ItemAnswer, String>> = match answer.result {
                    Ok(answers) if answers.len() == indices.len() => {
                        answers.into_iter().map(Ok).collect()
                    }
                    Ok(answers) => {
                        let wrong = format!(
                            "the worker answered {} items of a job of {}",
                            answers.len(),
                            indices.len()
                        );
                        indices.iter().map(|_| Err(wrong.clone())).collect()
                    }
                    Err(message) => indices.iter().map(|_| Err(message.clone())).collect(),
                };
                for (index, answer) in indices.into_iter().zip(per_item) {
                    outputs[index] = Some(output_of(node, index, answer)?);
                    progress::item_done(progress);
                    answered += 1;
                    done(answered);
                }
            }
        }
        Ok(outputs.into_iter().flatten().collect())
    }
}

impl Queue {
    /// After the apalis worker `worker` of the `kind` queue stopped on a job it could not
    /// decode: fails every job that worker held whose payload does not read as a `T` (with
    /// the decoding error as its result, and no attempts left) and puts the others back in
    /// the queue, so that a restarted worker takes them. Returns how many were failed.
    pub(crate) async fn fail_undecodable<T: DeserializeOwned>(
        &self,
        kind: &str,
        worker: &str,
    ) -> Result<usize> {
        let queue = self.queue_name(kind);
        let failed = |e: &dyn std::fmt::Display| {
            queue_error("cannot reclaim the jobs of a stopped worker", e)
        };
        let why = |error: serde_json::Error| serde_json::json!({ "Err": format!("the job does not decode: {error}") });
        let mut undecodable = 0;
        match &self.inner.server {
            Server::Postgres(pool) => {
                let held: Vec<(String, Vec<u8>)> = sqlx::query_as(
                    "SELECT id, job FROM apalis.jobs WHERE job_type = $1 AND lock_by = $2 \
                     AND status IN ('Queued', 'Running')",
                )
                .bind(&queue)
                .bind(worker)
                .fetch_all(pool)
                .await
                .map_err(|e| failed(&e))?;
                for (id, job) in held {
                    let reclaim = match serde_json::from_slice::<T>(&job) {
                        Ok(_) => sqlx::query(
                            "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, \
                             lock_at = NULL WHERE id = $1 AND lock_by = $2 \
                             AND status IN ('Queued', 'Running')",
                        )
                        .bind(id)
                        .bind(worker),
                        Err(error) => {
                            undecodable += 1;
                            sqlx::query(
                                "UPDATE apalis.jobs SET status = 'Failed', \
                                 attempts = max_attempts, last_result = $2, done_at = now(), \
                                 lock_by = NULL WHERE id = $1 AND lock_by = $3 \
                                 AND status IN ('Queued', 'Running')",
                            )
                            .bind(id)
                            .bind(why(error))
                            .bind(worker)
                        }
                    };
                    reclaim.execute(pool).await.map_err(|e| failed(&e))?;
                }
            }
            Server::Redis(connection) => {
                // apalis-redis's keys: the worker's in-flight set, the payloads, the queue,
                // the dead set and each job's metadata hash.
                let mut conn = connection.clone();
                let inflight = format!("{queue}:inflight:{worker}");
                let ids: Vec<String> = redis::cmd("SMEMBERS")
                    .arg(&inflight)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| failed(&e))?;
                for id in ids {
                    let job: Option<Vec<u8>> = redis::cmd("HGET")
                        .arg(format!("{queue}:data"))
                        .arg(&id)
                        .query_async(&mut conn)
                        .await
                        .map_err(|e| failed(&e))?;
                    // Only a job still in this worker's in-flight set is its to put back or
                    // fail: another worker's orphan recovery may have taken it meanwhile.
                    let (action, result) = match job.map(|job| serde_json::from_slice::<T>(&job)) {
                        Some(Ok(_)) => ("requeue", String::new()),
                        Some(Err(error)) => {
                            undecodable += 1;
                            ("fail", why(error).to_string())
                        }
                        None => ("drop", String::new()),
                    };
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |since| since.as_secs());
                    redis::Script::new(RECLAIM)
                        .key(&inflight)
                        .key(format!("{queue}:active"))
                        .key(format!("{queue}:dead"))
                        .key(format!("{queue}:meta:{id}"))
                        .arg(&id)
                        .arg(action)
                        .arg(result)
                        .arg(ITEM_STARTS.max(RUN_STARTS))
                        .arg(now)
                        .invoke_async::<()>(&mut conn)
                        .await
                        .map_err(|e| failed(&e))?;
                }
            }
        }
        Ok(undecodable)
    }

    /// How many times the job `task` of the `kind` queue has been started, this start
    /// included, when apalis's own count does not tell: on Redis, a job put back after its
    /// worker died keeps its attempt count, so pocketflow counts starts in the job's metadata
    /// hash. `None` on Postgres, where apalis counts them.
    pub(crate) async fn count_start(&self, kind: &str, task: &TaskId) -> Result<Option<usize>> {
        let Server::Redis(connection) = &self.inner.server else {
            return Ok(None);
        };
        let starts: usize = redis::cmd("HINCRBY")
            .arg(format!("{}.{kind}:meta:{task}", self.inner.name))
            .arg("pocketflow_starts")
            .arg(1)
            .query_async(&mut connection.clone())
            .await
            .map_err(|e| queue_error("cannot count the job's starts", e))?;
        Ok(Some(starts))
    }

    /// The error of a batch whose `waiting` items of node `node` made no progress for the
    /// item timeout.
    fn items_timed_out(&self, node: &str, waiting: usize) -> Error {
        Error::distributed_with(
            DistributedErrorKind::Timeout,
            format!(
                "no item of `{node}` finished for {:?} on queue `{}.items` ({waiting} still \
                 queued or running): no worker registers `{node}`, the workers are down, or the \
                 queue's server lost them; see `Queue::item_timeout`",
                self.inner.item_timeout, self.inner.name
            )
            .into(),
        )
    }
}

/// The node whose items a batch sends: its name (in errors) and the name workers register it
/// under.
#[derive(Clone, Copy)]
pub(crate) struct ItemsOf {
    pub(crate) name: &'static str,
    pub(crate) registered_as: &'static str,
}

/// The output of item `index` from its worker's answer, or the error the answer stands for.
fn output_of<O: DeserializeOwned>(
    node: ItemsOf,
    index: usize,
    answer: Result<ItemAnswer, String>,
) -> Result<O> {
    let ItemsOf {
        name,
        registered_as: node,
    } = node;
    match answer {
        Ok(ItemAnswer::Output(value)) => serde_json::from_value(value).map_err(|e| {
            unreadable(
                &format!("the result of item {index} of `{node}` does not read back"),
                e,
            )
        }),
        Ok(ItemAnswer::Failed { attempts, message }) => {
            let source: BoxError = message.into();
            Err(Error::phase_failed(name, Phase::Exec, attempts, source).on_item(index))
        }
        Ok(ItemAnswer::UnknownNode { worker, registered }) => {
            let registered = if registered.is_empty() {
                "none".to_owned()
            } else {
                registered.join(", ")
            };
            Err(Error::distributed_with(
                DistributedErrorKind::UnknownNode,
                format!(
                    "worker `{worker}` has no node registered as `{node}` (it has: {registered}); register it with `Worker::node` on every worker of this queue"
                )
                .into(),
            ))
        }
        Ok(ItemAnswer::BadItem { message }) => Err(Error::distributed_with(
            DistributedErrorKind::Unreadable,
            format!("item {index} of `{node}` does not read on its worker: {message}").into(),
        )),
        Err(message) => Err(Error::distributed_with(
            DistributedErrorKind::GivenUp,
            format!("item {index} of `{node}` was given up by the queue: {message}").into(),
        )),
    }
}

/// A new task id of the form apalis's Postgres and Redis backends read back (a ULID).
fn new_task_id() -> TaskId {
    TaskId::from_ulid(ulid::Ulid::generate())
}

impl<T> Storage<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static,
{
    /// Queues `jobs`, each under its task id, each started at most `starts` times.
    pub(crate) async fn push(&mut self, jobs: Vec<(TaskId, T)>, starts: usize) -> Result<()> {
        self.push_after(jobs, starts, Duration::ZERO).await
    }

    /// As [`push`](Self::push), the jobs to be taken no sooner than `after` from now.
    pub(crate) async fn push_after(
        &mut self,
        jobs: Vec<(TaskId, T)>,
        starts: usize,
        after: Duration,
    ) -> Result<()> {
        let tasks = jobs.into_iter().map(|(id, job)| {
            let task = TaskBuilder::new(job).task_id(id).max_attempts(starts);
            if after.is_zero() {
                task.build()
            } else {
                task.run_after(after).build()
            }
        });
        let mut tasks = futures::stream::iter(tasks);
        let pushed = match self {
            Storage::Postgres(storage) => storage
                .push_all(&mut tasks)
                .await
                .map_err(|e| e.to_string()),
            Storage::Redis(storage) => storage
                .push_all(&mut tasks)
                .await
                .map_err(|e| e.to_string()),
        };
        pushed.map_err(|e| queue_error("cannot queue jobs", e))
    }

    /// The results of those of `ids` that finished, each once at most per call.
    pub(crate) async fn finished<O>(&mut self, ids: Vec<TaskId>) -> Result<Vec<TaskResult<O>>>
    where
        O: DeserializeOwned + Send + 'static,
    {
        let results = match self {
            Storage::Postgres(storage) => WaitForCompletion::<O>::check_status(storage, ids)
                .await
                .map_err(|e| e.to_string()),
            Storage::Redis(storage) => WaitForCompletion::<O>::check_status(storage, ids)
                .await
                .map_err(|e| e.to_string()),
        };
        results.map_err(|e| queue_error("cannot read answers from the queue", e))
    }
}

/// How many beats a worker may miss before the others take its jobs back: three, or more when
/// beats are short. Both apalis backends truncate the orphan timeout `beat × missed` to whole
/// seconds (and apalis-redis its heartbeats too): at 300 ms × 3 the timeout was zero, so on
/// Redis live workers reaped each other ("worker not registered") and on Postgres every beat
/// put every running job back on the queue.
fn missed_heartbeats(heartbeat: Duration) -> usize {
    let beat = heartbeat.as_secs_f64().max(0.001);
    let needed = (heartbeat.as_secs_f64().ceil() + 1.0) / beat;
    (needed.ceil() as usize).max(3)
}

#[cfg(test)]
mod heartbeat_tests {
    use super::*;

    #[test]
    fn live_workers_outlast_the_whole_second_orphan_timeout() {
        for millis in [100, 300, 999, 1000, 1500, 5000, 60_000] {
            let beat = Duration::from_millis(millis);
            let missed = missed_heartbeats(beat);
            let dead_for = (beat * missed as u32).as_secs();
            // A worker last seen up to ceil(beat) + 1 whole seconds ago is alive.
            assert!(
                dead_for > beat.as_secs_f64().ceil() as u64,
                "{millis} ms: {missed} beats"
            );
            assert!(missed >= 3);
        }
        assert_eq!(missed_heartbeats(Duration::from_secs(5)), 3);
    }
}
