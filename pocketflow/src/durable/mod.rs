//! Durable runs: checkpoints after every step, resume after a crash, interrupts for a person.
//!
//! Opt-in with cargo features: `durable` (serde, and the [`Memory`] backend), `sqlite` and
//! `postgres` (their backends, on sqlx). Without them none of this is compiled, and nothing on
//! the plain path pays for it.
//!
//! A backend keeps, per run id, the run's last [`Checkpoint`] (status, step count, position,
//! shared store as JSON, the flow's shape) and its history. It implements [`Checkpoints`]; write
//! your own for another database.

mod checkpoints;
#[doc(hidden)]
pub mod journal;
mod memory;
mod run;

pub use self::checkpoints::{Checkpoint, Checkpoints, HistoryEntry, RunInfo, Status};
pub use self::memory::Memory;
pub use self::run::{DurableRun, Interruption, Outcome};
