//! How a node's `exec` is retried: attempts, waits, backoff, per-attempt timeout.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// How a node's `exec` is retried: `max_retries` attempts in total, `wait` after a failed one,
/// growing by `backoff` each time up to `max_wait`, and each attempt limited to `timeout`.
///
/// `#[node(max_retries = 5, wait = "100ms", backoff = 2, max_wait = "1s", timeout = "30s")]`
/// sets a node's policy at compile time; [`Configure`](crate::Configure) changes it on a node
/// value at run time.
///
/// ```
/// use std::time::Duration;
/// use pocketflow::RetryPolicy;
///
/// let policy = RetryPolicy::new(5, Duration::from_millis(100))
///     .with_backoff(2.0, Duration::from_millis(300))
///     .with_timeout(Some(Duration::from_secs(30)));
/// assert_eq!(policy.max_retries(), 5);
/// // the waits after attempts 1, 2, 3 and 4:
/// assert_eq!(policy.wait_after(1), Duration::from_millis(100));
/// assert_eq!(policy.wait_after(2), Duration::from_millis(200));
/// assert_eq!(policy.wait_after(3), Duration::from_millis(300));
/// assert_eq!(policy.wait_after(4), Duration::from_millis(300));
/// assert_eq!(policy.timeout(), Some(Duration::from_secs(30)));
/// assert_eq!(RetryPolicy::default(), RetryPolicy::new(1, Duration::ZERO));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    max_retries: u32,
    wait: Duration,
    /// The factor between two successive waits, in thousandths (1000: a constant wait).
    backoff_per_mille: u32,
    max_wait: Option<Duration>,
    timeout: Option<Duration>,
}

impl RetryPolicy {
    /// `max_retries` attempts in total (at least 1 for a node to run), `wait` between them.
    pub const fn new(max_retries: u32, wait: Duration) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            wait,
            backoff_per_mille: 1000,
            max_wait: None,
            timeout: None,
        }
    }

    /// The total number of `exec` attempts.
    pub const fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The pause after the first failed attempt.
    pub const fn wait(&self) -> Duration {
        self.wait
    }

    /// The factor by which each wait exceeds the one before (1 for a constant wait).
    pub fn backoff(&self) -> f64 {
        f64::from(self.backoff_per_mille) / 1000.0
    }

    /// The longest wait, if bounded.
    pub const fn max_wait(&self) -> Option<Duration> {
        self.max_wait
    }

    /// The limit on one `exec` attempt, if any: an attempt still running then is dropped and
    /// counts as failed, with a [`TimedOut`] error.
    pub const fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The pause after failed attempt number `attempt` (1-based): `wait * backoff^(attempt - 1)`,
    /// at most `max_wait`. Computed in closed form, whatever `attempt` is: a product too large
    /// for a [`Duration`] saturates at [`Duration::MAX`] before `max_wait` applies.
    ///
    /// ```
    /// # use pocketflow::RetryPolicy;
    /// # use std::time::Duration;
    /// let unbounded = RetryPolicy::new(u32::MAX, Duration::from_secs(1)).with_backoff_per_mille(2000, None);
    /// assert_eq!(unbounded.wait_after(u32::MAX), Duration::MAX);
    /// let bounded = unbounded.with_backoff(2.0, Duration::from_secs(60));
    /// assert_eq!(bounded.wait_after(u32::MAX), Duration::from_secs(60));
    /// ```
    pub fn wait_after(&self, attempt: u32) -> Duration {
        let grown = if self.backoff_per_mille == 1000 || self.wait.is_zero() || attempt <= 1 {
            self.wait
        } else {
            // Nanoseconds as f64 are exact up to 2^53 (104 days), and a factor's power is
            // rounded once, not once per attempt.
            let factor = self.backoff().powf(f64::from(attempt - 1));
            let nanos = self.wait.as_nanos() as f64 * factor;
            if nanos >= Duration::MAX.as_nanos() as f64 {
                Duration::MAX
            } else {
                let nanos = nanos.round() as u128;
                // `nanos` is below Duration::MAX's, so its seconds fit in a u64.
                Duration::new(
                    (nanos / 1_000_000_000) as u64,
                    (nanos % 1_000_000_000) as u32,
                )
            }
        };
        self.max_wait.map_or(grown, |max| grown.min(max))
    }

    /// The same policy with another number of attempts.
    ///
    /// ```
    /// # use pocketflow::RetryPolicy;
    /// assert_eq!(RetryPolicy::default().with_max_retries(4).max_retries(), 4);
    /// ```
    pub const fn with_max_retries(self, max_retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            ..self
        }
    }

    /// The same policy with another first wait.
    ///
    /// ```
    /// # use pocketflow::RetryPolicy;
    /// # use std::time::Duration;
    /// assert_eq!(RetryPolicy::default().with_wait(Duration::from_secs(1)).wait(), Duration::from_secs(1));
    /// ```
    pub const fn with_wait(self, wait: Duration) -> RetryPolicy {
        RetryPolicy { wait, ..self }
    }

    /// The same policy with waits growing by `factor` (at least 1; smaller factors count as 1)
    /// after each failed attempt, up to `max_wait`.
    ///
    /// ```
    /// # use pocketflow::RetryPolicy;
    /// # use std::time::Duration;
    /// let policy = RetryPolicy::new(4, Duration::from_secs(1)).with_backoff(1.5, Duration::from_secs(60));
    /// assert_eq!(policy.wait_after(3), Duration::from_millis(2250));
    /// ```
    pub fn with_backoff(self, factor: f64, max_wait: Duration) -> RetryPolicy {
        // Saturating float-to-int conversion; NaN becomes 0 and then 1000.
        let per_mille = (factor * 1000.0).round() as u32;
        self.with_backoff_per_mille(per_mille, Some(max_wait))
    }

    /// [`with_backoff`](Self::with_backoff) in thousandths, for the macros' constants.
    #[doc(hidden)]
    pub const fn with_backoff_per_mille(
        self,
        per_mille: u32,
        max_wait: Option<Duration>,
    ) -> RetryPolicy {
        let backoff_per_mille = if per_mille < 1000 { 1000 } else { per_mille };
        RetryPolicy {
            backoff_per_mille,
            max_wait,
            ..self
        }
    }

    /// The same policy with each attempt limited to `timeout` (`None`: unlimited). Only an
    /// `async fn exec` can be interrupted; a node whose `exec` is a plain `fn` fails to run with a
    /// timeout.
    ///
    /// ```
    /// # use pocketflow::RetryPolicy;
    /// # use std::time::Duration;
    /// assert_eq!(RetryPolicy::default().with_timeout(Some(Duration::from_secs(5))).timeout(), Some(Duration::from_secs(5)));
    /// ```
    pub const fn with_timeout(self, timeout: Option<Duration>) -> RetryPolicy {
        RetryPolicy { timeout, ..self }
    }

    /// The error a run of `node` fails with when this policy cannot run it (no attempts).
    #[inline]
    pub(crate) fn check(&self, node: &'static str) -> Result<()> {
        if self.max_retries == 0 {
            return Err(invalid(
                node,
                "max_retries is 0; a node needs at least one exec attempt",
            ));
        }
        Ok(())
    }

    /// As [`check`](Self::check), for nodes whose `exec` is synchronous and so cannot time out.
    #[inline]
    pub(crate) fn check_sync(&self, node: &'static str) -> Result<()> {
        self.check(node)?;
        if self.timeout.is_some() {
            return Err(invalid(
                node,
                "a timeout needs an `async fn exec`: a synchronous exec cannot be interrupted",
            ));
        }
        Ok(())
    }
}

#[cold]
fn invalid(node: &'static str, problem: &'static str) -> Error {
    Error::invalid_config(node, problem)
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::new(1, Duration::ZERO)
    }
}

/// The error of an `exec` attempt that outlasted its node's timeout; the attempt counts as
/// failed and is retried like any other.
///
/// ```
/// use std::time::Duration;
/// let error = pocketflow::TimedOut::new(Duration::from_millis(1500));
/// assert_eq!(error.to_string(), "attempt timed out after 1.5s");
/// assert_eq!(error.limit(), Duration::from_millis(1500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut {
    limit: Duration,
}

impl TimedOut {
    /// An attempt that ran longer than `limit`.
    pub fn new(limit: Duration) -> TimedOut {
        TimedOut { limit }
    }

    /// The timeout the attempt outlasted.
    pub fn limit(&self) -> Duration {
        self.limit
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attempt timed out after {:?}", self.limit)
    }
}

impl std::error::Error for TimedOut {}
