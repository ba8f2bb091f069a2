//! Durable runs: checkpoints after every step, resume after a crash, interrupts for a person.
//!
//! Opt-in with cargo features: `durable` (serde, and the [`Memory`] backend), `sqlite` and
//! `postgres` (their backends, on rusqlite 0.39 and sqlx 0.9, which need rustc 1.94 or newer).
//! Without them none of this is compiled, and nothing on the plain path pays for it.
//!
//! A backend keeps, per run id, the run's last [`Checkpoint`] (status, step count, position,
//! shared store as JSON, the flow's shape) and its history. It implements [`Checkpoints`]; write
//! your own for another database.

mod checkpoints;
#[doc(hidden)]
pub mod codec;
mod context;
mod items;
#[doc(hidden)]
pub mod journal;
mod json;
mod memory;
mod parallel;
#[cfg(feature = "postgres")]
mod postgres;
mod run;
mod saver;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod travel;

pub use self::checkpoints::{Checkpoint, Checkpoints, HistoryEntry, RunInfo, Status};
pub use self::memory::Memory;
#[cfg(feature = "postgres")]
pub use self::postgres::Postgres;
pub use self::run::{
    DurableEmits, DurableRun, Interruption, Outcome, StreamDurable, StreamDurableWith,
};
#[cfg(feature = "sqlite")]
pub use self::sqlite::{Durability, Sqlite};
pub use crate::error::DurableErrorKind;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
