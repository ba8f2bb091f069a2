//! Stopping a run to wait for a person.

use std::fmt;

/// Stops a run where it is, to wait for a person: return it as the error of any phase.
///
/// A durable run then ends with `Outcome::Interrupted` naming the node and the reason, its
/// checkpoint kept before that node, and the next `run` starts the node again from `prep` (after
/// an `update` of the saved store, say). A plain run fails with an [`Error`](crate::Error) of
/// kind [`Interrupted`](crate::ErrorKind::Interrupted). An interrupt from `exec` is not retried
/// and does not run the fallback.
///
/// ```
/// use pocketflow::prelude::*;
/// use pocketflow::Interrupt;
///
/// #[derive(Default)]
/// struct Doc { approved: Option<bool> }
///
/// struct Ask;
/// #[node]
/// impl Ask {
///     fn prep(&self, doc: &Doc) -> Result<bool, Interrupt> {
///         doc.approved.ok_or_else(|| Interrupt::new("waiting for approval"))
///     }
/// }
///
/// let err = Ask.run_blocking(&mut Doc::default()).unwrap_err();
/// assert_eq!(err.interrupt().map(Interrupt::reason), Some("waiting for approval"));
/// assert!(Ask.run_blocking(&mut Doc { approved: Some(true) }).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupt {
    reason: String,
}

impl Interrupt {
    /// An interrupt saying why the run waits.
    pub fn new(reason: impl Into<String>) -> Interrupt {
        Interrupt {
            reason: reason.into(),
        }
    }

    /// Why the run waits.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Interrupt {}
