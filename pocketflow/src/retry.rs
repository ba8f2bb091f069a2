//! Retries of `exec`, the wait between attempts, and the fallback after the last one.

use std::future::Future;
use std::time::Duration;

use tracing::Span;

use crate::error::{BoxError, Error, Phase, Result};
use crate::trace;

/// How a node's `exec` is retried: `max_retries` attempts in total, `wait` between two of them.
///
/// `#[node(max_retries = 3, wait = "500ms")]` sets a node's policy at compile time;
/// [`Configure`](crate::Configure) changes it on a node value at run time.
///
/// ```
/// use std::time::Duration;
/// use pocketflow::RetryPolicy;
///
/// let policy = RetryPolicy::new(3, Duration::from_millis(500));
/// assert_eq!(policy.max_retries(), 3);
/// assert_eq!(policy.wait(), Duration::from_millis(500));
/// assert_eq!(RetryPolicy::default(), RetryPolicy::new(1, Duration::ZERO));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    max_retries: u32,
    wait: Duration,
}

impl RetryPolicy {
    /// `max_retries` attempts in total (at least 1 for a node to run), `wait` between them.
    pub const fn new(max_retries: u32, wait: Duration) -> RetryPolicy {
        RetryPolicy { max_retries, wait }
    }

    /// The total number of `exec` attempts.
    pub const fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The pause after a failed attempt that is not the last.
    pub const fn wait(&self) -> Duration {
        self.wait
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

    /// The same policy with another wait.
    ///
    /// ```
    /// # use pocketflow::RetryPolicy;
    /// # use std::time::Duration;
    /// assert_eq!(RetryPolicy::default().with_wait(Duration::from_secs(1)).wait(), Duration::from_secs(1));
    /// ```
    pub const fn with_wait(self, wait: Duration) -> RetryPolicy {
        RetryPolicy { wait, ..self }
    }
}

impl RetryPolicy {
    /// The error a run of `node` fails with when this policy cannot run it (no attempts).
    #[inline]
    pub(crate) fn check(&self, node: &'static str) -> Result<()> {
        if self.max_retries == 0 {
            return Err(zero_retries(node));
        }
        Ok(())
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::new(1, Duration::ZERO)
    }
}

/// Runs the `exec` attempt `|| $attempt` until it succeeds or `$policy.max_retries()` attempts
/// (checked to be at least 1 by [`RetryPolicy::check`]) have failed, sleeping `$policy.wait()` on tokio's clock between attempts; then runs the
/// fallback `|$error| $fallback` with the last error, which hands the error back when the node
/// has no fallback.
///
/// The first attempt runs inline, in the caller's future; only after it fails is the rest of
/// the loop ([`after_failure`]) boxed. A macro rather than an `async fn`: one future less per
/// node run, and the timer and the fallback stay out of every node's future on the path that
/// does not need them.
macro_rules! exec_with_retries {
    ($node:expr, $span:expr, $policy:expr, || $attempt:expr, |$error:ident| $fallback:expr) => {{
        $crate::trace::record_attempt($span, 1);
        match $attempt.await {
            Ok(value) => Ok(value),
            Err(failure) => {
                ::std::boxed::Box::pin($crate::retry::after_failure(
                    $node,
                    $span,
                    $policy,
                    failure,
                    || $attempt,
                    |$error| $fallback,
                ))
                .await
            }
        }
    }};
}
pub(crate) use exec_with_retries;

/// The rest of `exec_with_retries!` once attempt 1 has failed with `failure`.
pub(crate) async fn after_failure<T, AttemptFut, FallbackFut>(
    node: &'static str,
    span: &Span,
    policy: RetryPolicy,
    mut failure: BoxError,
    mut attempt: impl FnMut() -> AttemptFut,
    fallback: impl FnOnce(Error) -> Result<FallbackFut, Error>,
) -> Result<T>
where
    AttemptFut: Future<Output = Result<T, BoxError>>,
    FallbackFut: Future<Output = Result<T, BoxError>>,
{
    let mut attempts = 1;
    loop {
        trace::attempt_failed(node, attempts, policy.max_retries, &*failure);
        if attempts == policy.max_retries {
            break;
        }
        if !policy.wait.is_zero() {
            tokio::time::sleep(policy.wait).await;
        }
        attempts += 1;
        trace::record_attempt(span, attempts);
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(next) => failure = next,
        }
    }
    let fallback = fallback(Error::phase_failed(node, Phase::Exec, attempts, failure))?;
    trace::fallback_runs(node, attempts);
    fallback
        .await
        .map_err(|failure| fallback_error(node, attempts, failure))
}

#[cold]
fn zero_retries(node: &'static str) -> Error {
    Error::invalid_config(
        node,
        "max_retries is 0; a node needs at least one exec attempt",
    )
}

/// A fallback that hands back a `pocketflow::Error` (re-raising what it was given) keeps that
/// error as it is rather than wrapping it in a second one.
fn fallback_error(node: &'static str, attempts: u32, failure: BoxError) -> Error {
    match failure.downcast::<Error>() {
        Ok(error) => *error,
        Err(failure) => Error::phase_failed(node, Phase::ExecFallback, attempts, failure),
    }
}
