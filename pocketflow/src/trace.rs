//! Everything the runtime tells `tracing`: one span per node run, a warning per failed attempt,
//! per fallback and per unmatched action. With no subscriber set, each is a cached "disabled"
//! check.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use tracing::Span;
use tracing::field::Empty;

/// The span of one node run; `attempt` and `action` are recorded as the run proceeds.
pub(crate) fn node_span(node: &'static str) -> Span {
    tracing::info_span!("node", node, attempt = Empty, action = Empty)
}

pub(crate) fn record_attempt(span: &Span, attempt: u32) {
    if !span.is_disabled() {
        span.record("attempt", attempt);
    }
}

pub(crate) fn record_action(span: &Span, action: &str) {
    if !span.is_disabled() {
        span.record("action", action);
    }
}

/// Polls `future` inside `span`. Unlike `Instrument::instrument`, the span is borrowed, so the
/// one span of a node run serves each of its phases without being cloned or moved.
pub(crate) async fn in_span<F: Future>(span: &Span, future: F) -> F::Output {
    let mut future = pin!(future);
    std::future::poll_fn(|cx| {
        let _entered = span.enter();
        match future.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready(output),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

pub(crate) fn attempt_failed(
    node: &'static str,
    attempt: u32,
    max_retries: u32,
    error: &(dyn std::error::Error + 'static),
) {
    tracing::warn!(
        node,
        attempt,
        max_retries,
        error,
        "exec attempt {attempt} of {max_retries} failed: {error}"
    );
}

pub(crate) fn fallback_runs(node: &'static str, attempts: u32) {
    tracing::warn!(
        node,
        attempts,
        "exec failed {attempts} time(s); running exec_fallback"
    );
}

/// The warning of a flow that ends because the action a node returned has no edge.
pub fn unmatched_action(step: &'static str, action: &str, edges: &[&'static str]) {
    tracing::warn!(
        step,
        action,
        ?edges,
        "flow ends: step `{step}` returned action {action:?}, which has no edge; its edges are {edges:?}"
    );
}
