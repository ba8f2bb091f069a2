//! Everything the runtime tells `tracing`: one span per node run, a warning per failed attempt,
//! per fallback and per unmatched action. With no subscriber set, each is a cached "disabled"
//! check.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tracing::Span;
use tracing::field::Empty;

/// The span of one node run; `attempt` and `action` are recorded as the run proceeds.
#[inline]
pub(crate) fn node_span(node: &'static str) -> Span {
    // Without a subscriber that wants INFO, no span at all. `info_span!` would make a disabled
    // one, but when another crate turns on tracing's `log` feature (sqlx does, so the durable
    // backends bring it), a disabled span is handed to `log` and its fields recorded there:
    // three times the cost of a chain step (113 -> 400 instructions).
    if !tracing::level_enabled!(tracing::Level::INFO) {
        return Span::none();
    }
    tracing::info_span!("node", node, attempt = Empty, action = Empty)
}

#[inline]
pub(crate) fn record_attempt(span: &Span, attempt: u32) {
    if !span.is_disabled() {
        span.record("attempt", attempt);
    }
}

#[inline]
pub(crate) fn record_action(span: &Span, action: &str) {
    if !span.is_disabled() {
        span.record("action", action);
    }
}

pin_project_lite::pin_project! {
    /// A future polled inside a span. Unlike `Instrument::instrument`, the span is borrowed, so
    /// the one span of a node run is neither cloned nor moved.
    pub(crate) struct InSpan<'s, F> {
        span: &'s Span,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for InSpan<'_, F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        this.future.poll(cx)
    }
}

/// Polls `future` inside `span` (a cheap check per poll when the span is disabled).
#[inline]
pub(crate) fn in_span<F: Future>(span: &Span, future: F) -> InSpan<'_, F> {
    InSpan { span, future }
}

// The warnings say everything in their message, and carry the node's name in the node's span
// (`node{node="Fetch"}: exec attempt 1 of 3 failed: ..`): fields repeating the message would
// print twice with a plain `fmt` subscriber.

pub(crate) fn attempt_failed(
    node: &'static str,
    attempt: u32,
    max_retries: u32,
    error: &(dyn std::error::Error + 'static),
) {
    let _ = node;
    tracing::warn!("exec attempt {attempt} of {max_retries} failed: {error}");
}

pub(crate) fn fallback_runs(node: &'static str, attempts: u32) {
    let _ = node;
    tracing::warn!("exec failed {attempts} time(s); running exec_fallback");
}

/// The warning of a flow that ends because the action a node returned has no edge.
pub fn unmatched_action(step: &'static str, action: &str, edges: &[&'static str]) {
    tracing::warn!(
        "flow ends: step `{step}` returned action {action:?}, which has no edge; its edges are {edges:?}"
    );
}
