//! Flows yield to the scheduler even when their nodes never wait (issue 10, item 1).

use std::time::Duration;

use pocketflow::prelude::*;

struct Again;

#[node]
impl Again {
    fn post(&self, count: &mut u64) -> &'static str {
        *count += 1;
        "again"
    }
}

/// A loop of synchronous nodes with no step limit never returns `Pending` on its own; an outer
/// timeout can only stop it if the flow yields. Without the budget spent per step this test
/// hangs on the current-thread runtime.
#[tokio::test(flavor = "current_thread")]
async fn a_sync_self_loop_under_an_outer_timeout_returns_elapsed() {
    let again = Again;
    let flow = flow! { again - "again" >> again };
    let mut count = 0;
    let outcome = tokio::time::timeout(Duration::from_millis(20), flow.run(&mut count)).await;
    assert!(outcome.is_err(), "the loop cannot end by itself");
    assert!(count > 0);
}

/// The same loop shares a current-thread runtime with another task, which gets to run. (Not
/// `biased`: a flow polled first would spend the whole budget each time, and a `JoinHandle`
/// polled with none left is `Pending` too.)
#[tokio::test(flavor = "current_thread")]
async fn a_sync_self_loop_lets_other_tasks_run() {
    let other = tokio::spawn(async { 42 });
    let again = Again;
    let flow = flow! { again - "again" >> again };
    let mut count = 0;
    tokio::select! {
        _ = flow.run(&mut count) => unreachable!("the loop has no end"),
        answer = other => assert_eq!(answer.unwrap(), 42),
    }
}

struct AlwaysFails;

#[node]
impl AlwaysFails {
    fn exec(&self) -> Result<(), String> {
        Err("down".into())
    }
}

/// Retries with no wait of a synchronous exec never return `Pending` on their own either: each
/// attempt spends budget, so an outer timeout stops four billion of them.
#[tokio::test(flavor = "current_thread")]
async fn retries_without_a_wait_under_an_outer_timeout_return_elapsed() {
    let node = AlwaysFails.with_max_retries(u32::MAX);
    let outcome = tokio::time::timeout(Duration::from_millis(20), node.run(&mut ())).await;
    assert!(
        outcome.is_err(),
        "four billion attempts do not end in 20 ms"
    );
}

/// Its item's `exec` loops on an always-ready resource (here tokio's budget itself), never
/// awaiting anything that is pending.
struct Busy;

#[batch_node(parallel, timeout = "20ms")]
impl Busy {
    fn prep(&self, _: &()) -> [u8; 2] {
        [1, 2]
    }

    async fn exec(&self, _item: &u8) {
        loop {
            tokio::task::coop::consume_budget().await;
        }
    }
}

/// The items of a parallel batch run under tokio's cooperative budget (they ran unconstrained
/// before, so a busy `exec` never yielded and its timeout never fired: this test hung).
#[tokio::test(flavor = "current_thread")]
async fn a_busy_exec_in_a_parallel_batch_times_out() {
    let err = Busy.run(&mut ()).await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Exec));
    let source = std::error::Error::source(&err).unwrap();
    assert!(source.is::<pocketflow::TimedOut>(), "{source}");
}
