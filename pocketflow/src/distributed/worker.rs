//! [`Worker`]: the flows and distributed nodes a process registers, and the two apalis workers
//! (runs and items) that execute the queue's jobs with them.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{
    Attempt, BackendExt, BoxDynError, Data, TaskId, WorkerBuilder, WorkerBuilderExt, WorkerError,
};
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::items::Distributed;
use super::jobs::{ItemAnswer, ItemJob, RunJob};
use super::queue::{ITEM_STARTS, Queue, RUN_STARTS, Storage};
use crate::drive::retry::exec_with_retries;
use crate::durable::{Checkpoints, Outcome, Postgres, Status};
use crate::error::{BoxError, DistributedErrorKind, DurableErrorKind, Error, ErrorKind, Result};
use crate::node::Node;
use crate::run::Run;

/// A process's share of a fleet: the flows it can run by name and the distributed batch nodes
/// whose items it can execute, and how many jobs it runs at once. [`run`](Self::run) takes jobs
/// until the future is dropped or the queue fails.
///
/// - A run job executes as a durable run on the [`checkpoints`](Self::checkpoints) (Postgres,
///   shared by every worker). A run is never executed by two workers at once: a worker takes a
///   Postgres advisory lock on the run id first, on a connection of its own (not one of the
///   checkpoints' pool, which the run's steps need), so each run in flight holds one server
///   connection besides the pool's. A job whose run is held elsewhere is queued again, to be
///   taken a second later, until the lock is free. A worker that dies releases the lock with
///   its connection; the queue gives its job to another worker after three missed heartbeats,
///   which resumes the run from its last checkpoint. The distributed nodes of a run send their
///   items to the same queue.
/// - A fleet stays up whatever a job does. A run whose code panics, or that cannot reach its
///   checkpoints or queue, fails its job, which the queue starts again; a run job is started at
///   most 25 times (crashes of the workers that held it count), the last failing start marks
///   the run failed with its error (running it again retries it). A panic in an item's `exec`
///   fails that attempt as an error would: the node's retries and fallback go on.
/// - Items travel up to 8 to a job (the queue's work per job is shared by them); a worker runs
///   at most [`concurrency`](Self::concurrency) items' `exec` at once, whatever their jobs.
/// - An item runs the node's `exec` with the retries, timeout and fallback of the node's
///   attribute (`#[batch_node(.., max_retries = 3)]`): a run-time policy of the caller
///   (`with_max_retries` and the like) does not travel with the item. A job for a node
///   this worker does not register fails the caller's batch with an error naming the node and
///   the ones registered: every worker of a queue that takes items should register every
///   distributed node of the fleet (or give fleets their own [`Queue::named`]).
/// - A worker takes item jobs only when it registers nodes, run jobs only when it registers
///   flows.
///
/// ```no_run
/// # use pocketflow::prelude::*;
/// # #[derive(Default, serde::Serialize, serde::Deserialize)] struct Book { pages: Vec<String> }
/// # struct Translate;
/// # #[batch_node(parallel, distributed = "translate")]
/// # impl Translate {
/// #     fn prep(&self, book: &Book) -> Vec<String> { book.pages.clone() }
/// #     async fn exec(&self, page: &String) -> String { page.clone() }
/// # }
/// use pocketflow::distributed::{Queue, Worker};
/// use pocketflow::durable::Postgres;
///
/// # async fn demo() -> pocketflow::Result<()> {
/// let queue = Queue::connect("postgres://localhost/app").await?;
/// let db = Postgres::connect("postgres://localhost/app").await?;
/// let translate = Translate;
/// Worker::new("worker-1", &queue)
///     .concurrency(32)
///     .checkpoints(&db)
///     .node(Translate)
///     .flow("translate", flow! { translate })
///     .run()
///     .await
/// # }
/// ```
pub struct Worker {
    name: String,
    queue: Queue,
    concurrency: usize,
    checkpoints: Option<Postgres>,
    nodes: HashMap<&'static str, Arc<dyn RemoteNode>>,
    flows: HashMap<String, Arc<dyn RemoteFlow>>,
}

/// What a worker shares with its job handlers.
struct Registry {
    worker: String,
    queue: Queue,
    checkpoints: Option<Postgres>,
    nodes: HashMap<&'static str, Arc<dyn RemoteNode>>,
    flows: HashMap<String, Arc<dyn RemoteFlow>>,
    /// One permit per item that may run its `exec` at once: jobs carry several items.
    item_slots: tokio::sync::Semaphore,
}

/// Runs one apalis worker named `$name` on `$storage` (a [`Storage`] of concrete job type),
/// handling each job with `$handle`. A macro: apalis's worker bounds are written for concrete
/// job types, and each arm of the match is a different backend type.
macro_rules! take_jobs {
    ($name:expr, $storage:expr, $polls:expr, $concurrency:expr, $registry:expr, $handle:expr) => {{
        let name: String = $name;
        let stopped = match $storage {
            Storage::Postgres(storage) => {
                WorkerBuilder::new(name.as_str())
                    .backend(storage.poll_with_strategy($polls))
                    .concurrency($concurrency)
                    .data($registry.clone())
                    .build($handle)
                    .run()
                    .await
            }
            Storage::Redis(storage) => {
                WorkerBuilder::new(name.as_str())
                    .backend(storage.poll_with_strategy($polls))
                    .concurrency($concurrency)
                    .data($registry.clone())
                    .build($handle)
                    .run()
                    .await
            }
        };
        stopped
    }};
}

impl Worker {
    /// A worker named `name` (unique in the fleet: apalis tracks leases by it) on `queue`, with
    /// nothing registered yet and 32 jobs at a time.
    pub fn new(name: impl Into<String>, queue: &Queue) -> Worker {
        Worker {
            name: name.into(),
            queue: queue.clone(),
            concurrency: 32,
            checkpoints: None,
            nodes: HashMap::new(),
            flows: HashMap::new(),
        }
    }

    /// Runs at most `jobs` runs, and at most `jobs` items' `exec`, at once (at least 1).
    pub fn concurrency(mut self, jobs: usize) -> Worker {
        self.concurrency = jobs.max(1);
        self
    }

    /// The checkpoints the runs execute on: the Postgres database every worker shares.
    pub fn checkpoints(mut self, db: &Postgres) -> Worker {
        self.checkpoints = Some(db.clone());
        self
    }

    /// Registers a distributed batch node: this worker runs the items sent to the name in its
    /// `distributed = "name"`. A second node under the same name replaces the first.
    pub fn node<N: Distributed + Send + 'static>(mut self, node: N) -> Worker {
        self.nodes.insert(N::REGISTERED_AS, Arc::new(node));
        self
    }

    /// Registers `flow` under `name`, for runs queued with
    /// [`Queue::enqueue_run`] and `()` params.
    pub fn flow<F, S>(self, name: impl Into<String>, flow: F) -> Worker
    where
        F: Node<S, ()> + Send + Sync + 'static,
        S: Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        self.flow_with::<(), F, S>(name, flow)
    }

    /// Registers `flow` under `name`, for runs queued with params of type `P`:
    /// `.flow_with::<MyParams, _, _>("name", flow)`.
    pub fn flow_with<P, F, S>(mut self, name: impl Into<String>, flow: F) -> Worker
    where
        F: Node<S, P> + Send + Sync + 'static,
        S: Serialize + DeserializeOwned + Send + Sync + 'static,
        P: DeserializeOwned + Send + Sync + 'static,
    {
        let flow = FlowOf::<F, S, P> {
            flow,
            types: PhantomData,
        };
        self.flows.insert(name.into(), Arc::new(flow));
        self
    }

    /// Takes jobs until the queue fails (its server gone) or the future is dropped (the jobs in
    /// hand then go to other workers after three missed heartbeats). A worker with flows needs
    /// [`checkpoints`](Self::checkpoints); one with nothing registered is an error.
    pub async fn run(self) -> Result<()> {
        if self.nodes.is_empty() && self.flows.is_empty() {
            return Err(Error::distributed_with(
                DistributedErrorKind::Setup,
                format!(
                    "worker `{}` has nothing to run; register nodes with `Worker::node` or flows with `Worker::flow`",
                    self.name
                )
                .into(),
            ));
        }
        if !self.flows.is_empty() && self.checkpoints.is_none() {
            return Err(Error::distributed_with(
                DistributedErrorKind::Setup,
                format!(
                    "worker `{}` has flows but no checkpoints to run them on; add `.checkpoints(&db)` with the fleet's Postgres",
                    self.name
                )
                .into(),
            ));
        }
        let registry = Arc::new(Registry {
            worker: self.name.clone(),
            queue: self.queue.clone(),
            checkpoints: self.checkpoints,
            nodes: self.nodes,
            flows: self.flows,
            item_slots: tokio::sync::Semaphore::new(self.concurrency),
        });
        // A worker takes the jobs of the kinds it registers: one with flows only leaves the
        // items to the workers with nodes.
        let items = async {
            if registry.nodes.is_empty() {
                return Ok(());
            }
            let mut name = format!("{}.items", self.name);
            for restart in 1_u64.. {
                let stopped = take_jobs!(
                    name.clone(),
                    self.queue
                        .storage_fetching::<ItemJob>("items", self.concurrency),
                    self.queue.polls("items"),
                    self.concurrency,
                    registry,
                    item_job
                );
                if !restart_after::<ItemJob>(&self.queue, "items", &name, stopped).await? {
                    break;
                }
                name = format!("{}.items.{restart}", self.name);
            }
            Ok(())
        };
        let runs = async {
            if registry.flows.is_empty() {
                return Ok(());
            }
            let mut name = format!("{}.runs", self.name);
            for restart in 1_u64.. {
                let stopped = take_jobs!(
                    name.clone(),
                    self.queue
                        .storage_fetching::<RunJob>("runs", self.concurrency),
                    self.queue.polls("runs"),
                    self.concurrency,
                    registry,
                    run_job
                );
                if !restart_after::<RunJob>(&self.queue, "runs", &name, stopped).await? {
                    break;
                }
                name = format!("{}.runs.{restart}", self.name);
            }
            Ok(())
        };
        futures::future::try_join(items, runs).await.map(|_| ())
    }
}

/// Whether the apalis worker `name` of the `kind` queue, which stopped as `stopped` says, is to
/// be started again: apalis stops a worker at a job whose payload does not decode (written by
/// another program or another version). That job is failed with the decoding error and the
/// worker goes on, under a new name (apalis-redis refuses a name still seen alive); any other
/// stop is the worker's error.
async fn restart_after<T: DeserializeOwned>(
    queue: &Queue,
    kind: &str,
    name: &str,
    stopped: std::result::Result<(), WorkerError>,
) -> Result<bool> {
    let Err(error) = stopped else {
        return Ok(false);
    };
    // apalis's `DurableError::CodecError`, whose type parameters are the backend's own: told
    // by its text.
    let undecodable = matches!(&error, WorkerError::BackendError(source)
        if source.to_string().starts_with("Task decoding error"));
    if undecodable {
        let failed = queue.fail_undecodable::<T>(kind, name).await?;
        tracing::warn!(
            worker = name,
            failed,
            "failed jobs that do not decode: {error}"
        );
        return Ok(true);
    }
    Err(Error::distributed(
        format!("worker `{name}` stopped: {error}").into(),
    ))
}

/// An item job: the node's `exec` on each of its items at once, each with the node's retries
/// and fallback, each always answered (a failure too), so that the queue never runs it again
/// for a failure the node already retried.
async fn item_job(
    job: ItemJob,
    registry: Data<Arc<Registry>>,
    attempt: Attempt,
    task: TaskId,
) -> std::result::Result<Vec<ItemAnswer>, BoxDynError> {
    let answer_all = |answer: ItemAnswer| job.items.iter().map(|_| answer.clone()).collect();
    // A count that cannot be read counts as apalis's: the item still gets its answer.
    let starts = registry
        .queue
        .count_start("items", &task)
        .await
        .ok()
        .flatten();
    let starts = starts.unwrap_or_else(|| attempt.current());
    if starts > ITEM_STARTS {
        return Ok(answer_all(ItemAnswer::Failed {
            attempts: 0,
            message: format!(
                "the item was started {} times without an answer (each start crashed its \
                 worker); given up",
                starts - 1
            ),
        }));
    }
    let Some(node) = registry.nodes.get(job.node.as_str()) else {
        let mut registered: Vec<String> =
            registry.nodes.keys().map(|name| name.to_string()).collect();
        registered.sort();
        return Ok(answer_all(ItemAnswer::UnknownNode {
            worker: registry.worker.clone(),
            registered,
        }));
    };
    let answers = job.items.into_iter().map(|item| async {
        // Never closed: the registry owns it.
        let _slot = registry.item_slots.acquire().await;
        let answer = AssertUnwindSafe(node.exec(item)).catch_unwind().await;
        answer.unwrap_or_else(|panic| ItemAnswer::Failed {
            attempts: 1,
            message: format!(
                "exec panicked on worker `{}`: {}",
                registry.worker,
                panic_text(&*panic)
            ),
        })
    });
    Ok(futures::future::join_all(answers).await)
}

/// A run job: the durable run of the registered flow, under the run's lock. A run that ends,
/// stops for a person or fails in a node is an answer; a run that cannot reach its checkpoints
/// or queue, or whose code panics, fails the job, which the queue starts again (at most
/// [`RUN_STARTS`](super::queue::RUN_STARTS) times: the last start that fails marks the run
/// failed with its error). A run whose lock another worker holds is queued again for later.
async fn run_job(
    job: RunJob,
    registry: Data<Arc<Registry>>,
    attempt: Attempt,
    task: TaskId,
) -> std::result::Result<Value, BoxDynError> {
    let Some(flow) = registry.flows.get(&job.flow) else {
        let mut registered: Vec<&String> = registry.flows.keys().collect();
        registered.sort();
        return Ok(
            json!({ "unknown_flow": job.flow, "worker": registry.worker, "registered": registered }),
        );
    };
    let Some(db) = &registry.checkpoints else {
        return Err("the worker has no checkpoints".into());
    };
    // Orphaned starts (a worker that died holding the job) count too: a run that kills every
    // worker that takes it ends here, failed, instead of going round the fleet for ever.
    let starts = registry.queue.count_start("runs", &task).await?;
    let starts = starts.unwrap_or_else(|| attempt.current());
    if starts > RUN_STARTS {
        let why = format!(
            "run `{}` was started {} times without ending; given up (every start crashed its \
             worker or failed to reach the database)",
            job.run,
            starts - 1
        );
        mark_failed(db, &job.run, &why).await?;
        return Ok(json!({ "failed": why }));
    }
    let Some(lock) = db.lock_run(&job.run).await? else {
        // Held by a worker still running it, or by one whose connection the server has not
        // yet seen die: tried again later, never dropped.
        registry
            .queue
            .enqueue_run_job(job.clone(), BUSY_RETRY)
            .await?;
        return Ok(json!({ "busy": job.run, "again_in_ms": BUSY_RETRY.as_millis() as u64 }));
    };
    let run = AssertUnwindSafe(registry.queue.with_workers(flow.run(&job, db)));
    let outcome = run.catch_unwind().await;
    lock.release().await;
    let failed = match outcome {
        Ok(Ok(Outcome::Finished(action))) => return Ok(json!({ "finished": action.to_string() })),
        Ok(Ok(Outcome::Interrupted(why))) => {
            return Ok(json!({ "interrupted": why.node(), "reason": why.reason() }));
        }
        Ok(Err(error)) if !may_pass_on_retry(&error) => {
            return Ok(json!({ "failed": error.to_string() }));
        }
        Ok(Err(error)) => error.to_string(),
        Err(panic) => format!(
            "run `{}` panicked on worker `{}`: {}",
            job.run,
            registry.worker,
            panic_text(&*panic)
        ),
    };
    if starts >= RUN_STARTS {
        if mark_failed(db, &job.run, &failed).await.is_err() {
            // The database is still away: the run stays `running`, so a job must stay to
            // resume it, a while later.
            registry
                .queue
                .enqueue_run_job(job.clone(), OUTAGE_RETRY)
                .await?;
            return Ok(json!({ "again_in_ms": OUTAGE_RETRY.as_millis() as u64, "after": failed }));
        }
        return Ok(json!({ "failed": failed }));
    }
    Err(failed.into())
}

/// How long a run job whose run is locked by another worker waits before it is taken again.
const BUSY_RETRY: Duration = Duration::from_secs(1);
/// How long a run job that used up its starts while the checkpoints were unreachable waits
/// before it is taken again.
const OUTAGE_RETRY: Duration = Duration::from_secs(60);

/// Whether a run that failed with `error` may do better when its job is started again: the
/// database or queue failed, or another process moved the run on. An unreadable store, a
/// changed shape or a missing run fail the same way every time, and a node's failure is the
/// run's own: those are answers, not failed jobs.
fn may_pass_on_retry(error: &Error) -> bool {
    match error.kind() {
        // An item that does not read on the other side, or that crashed its workers 25 times,
        // does the same on the next start; a server or a worker may come back.
        ErrorKind::Distributed => !matches!(
            error.distributed_kind(),
            Some(DistributedErrorKind::Unreadable | DistributedErrorKind::GivenUp)
        ),
        ErrorKind::Durable => matches!(
            error.durable_kind(),
            Some(DurableErrorKind::Backend | DurableErrorKind::Conflict) | None
        ),
        _ => false,
    }
}

/// Marks run `id` failed with `why`, unless it ended meanwhile: its next `run` retries it.
async fn mark_failed(db: &Postgres, id: &str, why: &str) -> Result<()> {
    let Some(mut saved) = db.load(id).await? else {
        return Ok(());
    };
    if saved.status == Status::Finished {
        return Ok(());
    }
    let expected = saved.version;
    saved.status = Status::Failed;
    saved.message = Some(why.to_owned());
    saved.version += 1;
    // Moved on meanwhile (an update, another worker): that writer's state stands.
    db.save_after(id, Some(expected), &saved).await.map(drop)
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic")
}

/// A registered node, its types erased: JSON item in, answer out.
trait RemoteNode: Send + Sync {
    fn exec(&self, item: Value) -> BoxFuture<'_, ItemAnswer>;
}

impl<N: Distributed + Send> RemoteNode for N {
    fn exec(&self, item: Value) -> BoxFuture<'_, ItemAnswer> {
        Box::pin(async move {
            let item: N::Item = match serde_json::from_value(item) {
                Ok(item) => item,
                Err(e) => {
                    return ItemAnswer::BadItem {
                        message: e.to_string(),
                    };
                }
            };
            let unrecorded = tracing::Span::none();
            let output = exec_with_retries!(
                N::NAME,
                &unrecorded,
                N::POLICY,
                // Items on workers stream nothing of their own (SPEC section 12).
                |_, _| {},
                || caught(self.remote_exec(&item)),
                |error| self.remote_exec_fallback(&item, error)
            );
            match output.and_then(|output| {
                serde_json::to_value(output).map_err(|e| {
                    Error::distributed_with(DistributedErrorKind::Unreadable, e.into())
                })
            }) {
                Ok(value) => ItemAnswer::Output(value),
                Err(error) => ItemAnswer::Failed {
                    attempts: error.attempts(),
                    message: std::error::Error::source(&error)
                        .map_or_else(|| error.to_string(), ToString::to_string),
                },
            }
        })
    }
}

/// One attempt of an item's `exec`, a panic in it that attempt's error: it counts as an
/// attempt, and the node's retries go on (SPEC 11).
async fn caught<O>(
    attempt: impl std::future::Future<Output = std::result::Result<O, BoxError>>,
) -> std::result::Result<O, BoxError> {
    match AssertUnwindSafe(attempt).catch_unwind().await {
        Ok(answer) => answer,
        Err(panic) => Err(format!("exec panicked: {}", panic_text(&*panic)).into()),
    }
}

/// A registered flow, its store and params types erased.
trait RemoteFlow: Send + Sync {
    fn run<'a>(&'a self, job: &'a RunJob, db: &'a Postgres) -> BoxFuture<'a, Result<Outcome>>;
}

struct FlowOf<F, S, P> {
    flow: F,
    types: PhantomData<fn() -> (S, P)>,
}

impl<F, S, P> RemoteFlow for FlowOf<F, S, P>
where
    F: Node<S, P> + Send + Sync,
    S: Serialize + DeserializeOwned + Send + Sync,
    P: DeserializeOwned + Send + Sync,
{
    fn run<'a>(&'a self, job: &'a RunJob, db: &'a Postgres) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            let unreadable = |what: &str, e: serde_json::Error| {
                Error::durable(format!("the queued run's {what} does not read: {e}").into())
            };
            let mut store: S =
                serde_json::from_value(job.store.clone()).map_err(|e| unreadable("store", e))?;
            let params: P =
                serde_json::from_value(job.params.clone()).map_err(|e| unreadable("params", e))?;
            self.flow
                .durable(db, job.run.clone())
                .run_with(&mut store, &params)
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_a_new_start_may_mend_are_retried() {
        let distributed = |kind| Error::distributed_with(kind, "x".into());
        let durable = |kind| Error::durable_with(kind, "x".into());
        for (error, retried) in [
            (distributed(DistributedErrorKind::Server), true),
            (distributed(DistributedErrorKind::Timeout), true),
            (distributed(DistributedErrorKind::UnknownNode), true),
            (distributed(DistributedErrorKind::Unreadable), false),
            (distributed(DistributedErrorKind::GivenUp), false),
            (durable(DurableErrorKind::Backend), true),
            (durable(DurableErrorKind::Conflict), true),
            (durable(DurableErrorKind::Unreadable), false),
            (durable(DurableErrorKind::ShapeChanged), false),
            (durable(DurableErrorKind::NotFound), false),
        ] {
            assert_eq!(may_pass_on_retry(&error), retried, "{error:?}");
        }
    }
}

#[cfg(test)]
mod round_trip {
    //! The queue and a worker without the macros: a hand-written distributed node, on the
    //! servers of `PG_URL` and `REDIS_URL` (skipped with a reason when unset outside CI).

    use super::*;
    use crate::configure::Configure;
    use crate::distributed::items::send_items;
    use crate::error::BoxError;
    use crate::node::NodeInfo;

    struct Double;

    impl NodeInfo for Double {
        type Action = crate::action::Action;
        const NAME: &'static str = "Double";
    }

    impl Configure for Double {
        const POLICY: crate::policy::RetryPolicy =
            crate::policy::RetryPolicy::new(2, Duration::ZERO);
    }

    impl Distributed for Double {
        const REGISTERED_AS: &'static str = "double";
        type Item = u64;
        type Output = u64;

        async fn remote_exec(&self, item: &u64) -> std::result::Result<u64, BoxError> {
            static PANICKED: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());
            match *item {
                13 => return Err("thirteen".into()),
                666 => panic!("the item panics"),
                // Panics on its first attempt only.
                1000.. if !PANICKED.lock().unwrap().contains(item) => {
                    PANICKED.lock().unwrap().push(*item);
                    panic!("first attempt")
                }
                _ => {}
            }
            Ok(item * 2)
        }
    }

    fn server(variable: &str) -> Option<String> {
        match std::env::var(variable) {
            Ok(url) => Some(url),
            Err(_) => {
                assert!(std::env::var_os("CI").is_none(), "CI must set {variable}");
                eprintln!("skipped: {variable} is not set");
                None
            }
        }
    }

    /// `panics_once`: an item that panics on its first attempt, of this test's own.
    async fn items_round_trip(queue: Queue, panics_once: u64) {
        let name = format!("unit-{}", ulid::Ulid::generate());
        let queue = queue.named(name);
        let worker = tokio::spawn(Worker::new("unit-worker", &queue).node(Double).run());
        let items: Vec<u64> = (100..150).collect();
        let outputs = send_items::<Double>(&queue, &items, 8, None, &|_| {})
            .await
            .unwrap();
        assert_eq!(outputs, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let error = send_items::<Double>(&queue, &[1, 13], 8, None, &|_| {})
            .await
            .unwrap_err();
        assert_eq!((error.item(), error.attempts()), (Some(1), 2), "{error}");
        assert!(error.to_string().contains("thirteen"), "{error}");
        // A panic is a failed attempt: the second attempt answers, and the worker goes on.
        let outputs = send_items::<Double>(&queue, &[panics_once, 3], 8, None, &|_| {})
            .await
            .unwrap();
        assert_eq!(outputs, [panics_once * 2, 6]);
        let error = send_items::<Double>(&queue, &[666], 8, None, &|_| {})
            .await
            .unwrap_err();
        assert_eq!(error.attempts(), 2, "{error}");
        assert!(error.to_string().contains("the item panics"), "{error}");
        worker.abort();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn items_round_trip_on_postgres() {
        let Some(url) = server("PG_URL") else { return };
        items_round_trip(Queue::connect(&url).await.unwrap(), 1000).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn items_round_trip_on_redis() {
        let Some(url) = server("REDIS_URL") else {
            return;
        };
        items_round_trip(Queue::connect(&url).await.unwrap(), 1001).await;
    }
}
