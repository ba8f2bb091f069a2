//! A crash-point conformance kit for [`Checkpoints`] backends (cargo feature `testing`).
//!
//! [`Faulty`] wraps a backend and injects one [`Fault`] at the k-th call: the call fails, the
//! process dies before, during or after it, or another process edits the run while it is in
//! flight. [`check`] runs every shape of durable run (a chain, a nested flow, batch nodes
//! sequential and parallel, batch flows sequential and parallel, a parallel group of a flow and
//! a node, an interrupt answered by an update) once cleanly, then again with each fault at each
//! call the clean run made, resuming after every fault until the run finishes, and checks what
//! the runtime promises: every `post` applied exactly once and in order, and the final store
//! equal to the clean run's with the injected edit kept.
//!
//! `Memory`, `Sqlite` and `Postgres` pass it; a backend whose `save_after` is not one
//! transaction does not.
//!
//! ```
//! use pocketflow::durable::Memory;
//! use pocketflow::durable::testing;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let report = testing::check(&Memory::new()).await.unwrap();
//! assert!(report.faults > 100);
//! println!("{report}");
//! # });
//! ```

mod faulty;
mod shapes;

use std::fmt;
use std::pin::pin;

use futures::future::{Either, select};

pub use self::faulty::{Fault, Faulty};
use self::shapes::{Log, SHAPES};
use super::{Checkpoints, Outcome};

/// How many times a run is run again after a fault before the harness calls it stuck.
const ATTEMPTS: usize = 20;

/// What [`check`] ran.
///
/// ```
/// let report = pocketflow::durable::testing::Report { shapes: 7, cases: 700, faults: 650 };
/// assert_eq!(report.to_string(), "7 shapes, 700 cases, 650 faults injected");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// The shapes run.
    pub shapes: usize,
    /// The runs, each with one fault at one call (or none, when the call was never made).
    pub cases: usize,
    /// The cases whose fault was injected.
    pub faults: usize,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} shapes, {} cases, {} faults injected",
            self.shapes, self.cases, self.faults
        )
    }
}

/// A broken promise: which shape, which fault at which call, and what went wrong.
///
/// ```
/// use pocketflow::durable::testing::{Failure, Fault};
/// let failure = Failure {
///     shape: "chain",
///     fault: Some(Fault::Update),
///     call: 4,
///     problem: "the edit was lost".into(),
/// };
/// assert_eq!(failure.to_string(), "shape `chain`, update at call 4: the edit was lost");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The shape that broke it.
    pub shape: &'static str,
    /// The fault injected (`None`: the clean run).
    pub fault: Option<Fault>,
    /// The backend call the fault was injected at.
    pub call: u64,
    /// What went wrong.
    pub problem: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fault {
            Some(fault) => write!(
                f,
                "shape `{}`, {fault} at call {}: {}",
                self.shape, self.call, self.problem
            ),
            None => write!(f, "shape `{}`, clean run: {}", self.shape, self.problem),
        }
    }
}

impl std::error::Error for Failure {}

/// Runs every shape through every fault point on `backend` (see the [module](self) docs).
/// Run ids start with `conformance-` and the process id and time, so a shared database is
/// fine; the runs are left in it.
///
/// # Errors
///
/// The first [`Failure`] found.
pub async fn check<C: Checkpoints>(backend: &C) -> Result<Report, Failure> {
    let prefix = format!(
        "conformance-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos())
    );
    let mut report = Report {
        shapes: 0,
        cases: 0,
        faults: 0,
    };
    for (shape, ordered) in SHAPES {
        let failure = |fault, call, problem: String| Failure {
            shape,
            fault,
            call,
            problem,
        };
        let clean = Faulty::new(backend);
        let id = format!("{prefix}-{shape}-clean");
        finish(shape, &clean, &id)
            .await
            .map_err(|problem| failure(None, 0, problem))?;
        let expected = saved(shape, backend, &id)
            .await
            .map_err(|problem| failure(None, 0, problem))?;
        report.shapes += 1;
        // Time travel: a fork from each step the clean run committed ends as the clean run did.
        let steps: std::collections::BTreeSet<u64> = backend
            .history(&id)
            .await
            .map_err(|error| failure(None, 0, format!("reading the history: {error}")))?
            .into_iter()
            .map(|entry| entry.step)
            .collect();
        for step in steps {
            let fork = format!("{id}-fork-{step}");
            let log = async {
                shapes::fork(shape, backend, &id, step, &fork)
                    .await
                    .map_err(|error| format!("forking at step {step}: {error}"))?;
                finish(shape, backend, &fork).await?;
                saved(shape, backend, &fork).await
            }
            .await
            .map_err(|problem| failure(None, 0, format!("the fork at step {step}: {problem}")))?;
            report.cases += 1;
            compare(&expected, &log, ordered, false).map_err(|problem| {
                failure(None, 0, format!("the fork at step {step}: {problem}"))
            })?;
        }
        for call in 1..=clean.calls() {
            for fault in Fault::ALL {
                let id = format!("{prefix}-{shape}-{fault}-{call}");
                let faulty = Faulty::new(backend).fault_at(call, fault);
                let log = async {
                    survive(shape, backend, &faulty, &id).await?;
                    saved(shape, backend, &id).await
                }
                .await
                .map_err(|problem| failure(Some(fault), call, problem))?;
                report.cases += 1;
                report.faults += usize::from(faulty.calls() >= call);
                compare(&expected, &log, ordered, faulty.edited())
                    .map_err(|problem| failure(Some(fault), call, problem))?;
            }
        }
    }
    Ok(report)
}

/// Runs `shape` as run `id` on `faulty` until it finishes or a fault kills the process; then,
/// as the next process would, on `backend` until it finishes.
async fn survive<C: Checkpoints>(
    shape: &'static str,
    backend: &C,
    faulty: &Faulty<'_, C>,
    id: &str,
) -> Result<(), String> {
    {
        let first = pin!(finish(shape, faulty, id));
        if let Either::Left((finished, _)) = select(first, pin!(faulty.dead())).await {
            return finished;
        }
        // The process died: its run future is dropped where it stood, here, with whatever
        // it held (a connection, a transaction), before the next process starts.
    }
    finish(shape, backend, id).await
}

/// The store finished run `id` committed, as running it again hands it back.
async fn saved<C: Checkpoints>(shape: &str, db: &C, id: &str) -> Result<Log, String> {
    let mut log = Log::default();
    match shapes::run(shape, db, id, &mut log).await {
        Ok(Outcome::Finished(_)) => Ok(log),
        other => Err(format!("the finished run, run again, gave {other:?}")),
    }
}

/// Runs `shape` as run `id` again and again, answering its interrupt, until it finishes.
async fn finish<C: Checkpoints>(shape: &str, db: &C, id: &str) -> Result<(), String> {
    let mut errors = Vec::new();
    for _ in 0..ATTEMPTS {
        let mut log = Log::default();
        match shapes::run(shape, db, id, &mut log).await {
            Ok(Outcome::Finished(_)) => return Ok(()),
            Ok(Outcome::Interrupted(_)) => {
                if let Err(error) = shapes::approve(db, id).await {
                    errors.push(error.to_string());
                }
            }
            Err(error) => errors.push(error.to_string()),
        }
    }
    Err(format!(
        "the run did not finish after {ATTEMPTS} attempts; errors: {}",
        errors.join("; ")
    ))
}

/// Whether `log` is what the clean run left, every post once and in order (or, for a parallel
/// batch flow, once each), with the injected edit if it was committed.
fn compare(expected: &Log, log: &Log, ordered: bool, edited: bool) -> Result<(), String> {
    let (mut want, mut got) = (expected.posts.clone(), log.posts.clone());
    if !ordered {
        want.sort();
        got.sort();
    }
    if want != got {
        return Err(format!(
            "posts applied {:?}, expected each of {:?} once",
            log.posts, expected.posts
        ));
    }
    let edits = u32::from(edited);
    if log.edits != edits {
        return Err(format!(
            "the store holds {} edits, {edits} committed: an edit was lost or applied twice",
            log.edits
        ));
    }
    if log.approved != expected.approved {
        return Err(format!(
            "`approved` is {}, not {}",
            log.approved, expected.approved
        ));
    }
    Ok(())
}
