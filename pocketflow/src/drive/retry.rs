//! Retries of `exec`: each attempt within its timeout, the waits between attempts, and the
//! fallback after the last one.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tracing::Span;

use crate::error::{BoxError, Error, Phase, Result};
use crate::interrupt::Interrupt;
use crate::policy::{RetryPolicy, TimedOut};
use crate::runtime::{self, MissingTimer};
use crate::trace;

/// Runs the `exec` attempt `|| $attempt` until it succeeds or `$policy.max_retries()` attempts
/// (checked to be at least 1 by [`RetryPolicy::check`]) have failed, each limited to the
/// policy's timeout, sleeping [`RetryPolicy::wait_after`] on tokio's clock between them; then runs the
/// fallback `|$error| $fallback` with the last error, which hands the error back when the node
/// has no fallback.
///
/// The first attempt runs inline, in the caller's future; only after it fails is the rest of
/// the loop ([`after_failure`]) boxed. A macro rather than an `async fn`: one future less per
/// node run, and the timer and the fallback stay out of every node's future on the path that
/// does not need them.
macro_rules! exec_with_retries {
    ($node:expr, $span:expr, $policy:expr, $retrying:expr, || $attempt:expr, |$error:ident| $fallback:expr) => {{
        match $crate::drive::retry::attempt($policy.timeout(), $attempt).await {
            Ok(value) => {
                $crate::trace::record_attempt($span, 1);
                Ok(value)
            }
            Err(failure) => {
                ::std::boxed::Box::pin($crate::drive::retry::after_failure(
                    $node,
                    $span,
                    $policy,
                    failure,
                    $retrying,
                    || $attempt,
                    |$error| $fallback,
                ))
                .await
            }
        }
    }};
}
pub(crate) use exec_with_retries;

/// The rest of `exec_with_retries!` once attempt 1 has failed with `failure`; `retrying` hears
/// of each failed attempt that another follows (a streamed run's `Retrying` event).
pub(crate) async fn after_failure<T, AttemptFut, FallbackFut>(
    node: &'static str,
    span: &Span,
    policy: RetryPolicy,
    mut failure: BoxError,
    retrying: impl Fn(u32, &BoxError),
    mut attempt: impl FnMut() -> AttemptFut,
    fallback: impl FnOnce(Error) -> Result<FallbackFut, Error>,
) -> Result<T>
where
    AttemptFut: Future<Output = Result<T, BoxError>>,
    FallbackFut: Future<Output = Result<T, BoxError>>,
{
    let mut attempts = 1;
    loop {
        if let Some(missing) = failure.downcast_ref::<MissingTimer>() {
            // Not the exec's failure: no attempt would fare better.
            trace::record_attempt(span, attempts);
            return Err(missing.to_error(node));
        }
        if failure.is::<Interrupt>() {
            // A person is asked: retrying or falling back would answer for them.
            trace::record_attempt(span, attempts);
            return Err(Error::phase_failed(node, Phase::Exec, attempts, failure));
        }
        trace::attempt_failed(node, attempts, policy.max_retries(), &*failure);
        if attempts == policy.max_retries() {
            break;
        }
        retrying(attempts, &failure);
        let wait = policy.wait_after(attempts);
        if wait.is_zero() {
            // Attempts that never wait (a sync exec, no pause) still yield now and then.
            tokio::task::coop::consume_budget().await;
        } else {
            match runtime::timer(|| tokio::time::sleep(wait)) {
                Ok(sleep) => sleep.await,
                Err(missing) => return Err(missing.to_error(node)),
            }
        }
        attempts += 1;
        match self::attempt(policy.timeout(), attempt()).await {
            Ok(value) => {
                trace::record_attempt(span, attempts);
                return Ok(value);
            }
            Err(next) => failure = next,
        }
    }
    // Recorded once, at the end: a subscriber may append every recording of a field.
    trace::record_attempt(span, attempts);
    let fallback = fallback(Error::phase_failed(node, Phase::Exec, attempts, failure))?;
    trace::fallback_runs(node, attempts);
    fallback
        .await
        .map_err(|failure| fallback_error(node, attempts, failure))
}

/// A fallback that hands back a `pocketflow::Error` (re-raising what it was given) keeps that
/// error as it is rather than wrapping it in a second one.
fn fallback_error(node: &'static str, attempts: u32, failure: BoxError) -> Error {
    match failure.downcast::<Error>() {
        Ok(error) => *error,
        Err(failure) => Error::phase_failed(node, Phase::ExecFallback, attempts, failure),
    }
}

pin_project_lite::pin_project! {
    /// One `exec` attempt, failed with [`TimedOut`] if it outlasts the policy's timeout. The
    /// timer is boxed: nodes without a timeout keep it out of their futures. With a timeout
    /// and no tokio timer, the attempt is not run and fails with [`MissingTimer`].
    #[project = AttemptProjection]
    pub(crate) enum Attempt<F> {
        Unlimited { #[pin] attempt: F },
        Limited { attempt: Pin<Box<tokio::time::Timeout<F>>>, limit: Duration },
        NoTimer { missing: Option<MissingTimer> },
    }
}

/// `attempt`, limited to `timeout` when there is one.
#[inline]
pub(crate) fn attempt<F: Future>(timeout: Option<Duration>, attempt: F) -> Attempt<F> {
    match timeout {
        None => Attempt::Unlimited { attempt },
        Some(limit) => match runtime::timer(|| tokio::time::timeout(limit, attempt)) {
            Ok(attempt) => Attempt::Limited {
                attempt: Box::pin(attempt),
                limit,
            },
            Err(missing) => Attempt::NoTimer {
                missing: Some(missing),
            },
        },
    }
}

impl<T, F: Future<Output = Result<T, BoxError>>> Future for Attempt<F> {
    type Output = Result<T, BoxError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            AttemptProjection::Unlimited { attempt } => attempt.poll(cx),
            AttemptProjection::Limited { attempt, limit } => match attempt.as_mut().poll(cx) {
                Poll::Ready(Ok(output)) => Poll::Ready(output),
                Poll::Ready(Err(_elapsed)) => Poll::Ready(Err(Box::new(TimedOut::new(*limit)))),
                Poll::Pending => Poll::Pending,
            },
            AttemptProjection::NoTimer { missing } => match missing.take() {
                Some(missing) => Poll::Ready(Err(Box::new(missing))),
                None => Poll::Pending,
            },
        }
    }
}
