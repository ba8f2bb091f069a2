//! Behaviour of the runtime beyond Python PocketFlow's tests: retries and waits on tokio's
//! clock, warnings, errors, the step guard, typed actions, sync and async phases alike.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pocketflow::prelude::*;
use pocketflow::{ErrorKind, RetryPolicy};
use pocketflow_tests::capture_logs;
use tokio::time::Instant;

/// Fails its first `failures` exec attempts, synchronously.
struct SyncFlaky {
    failures: u32,
    attempts: AtomicU32,
}

#[node(max_retries = 3, wait = "100ms")]
impl SyncFlaky {
    fn exec(&self) -> Result<u32, String> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        if attempt <= self.failures {
            Err(format!("attempt {attempt} failed"))
        } else {
            Ok(attempt)
        }
    }

    fn post(&self, out: &mut u32, _prep: (), attempt: u32) {
        *out = attempt;
    }
}

/// The same, with async phases.
struct AsyncFlaky {
    failures: u32,
    attempts: AtomicU32,
}

#[node(max_retries = 3, wait = "100ms")]
impl AsyncFlaky {
    async fn exec(&self) -> Result<u32, String> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
        if attempt <= self.failures {
            Err(format!("attempt {attempt} failed"))
        } else {
            Ok(attempt)
        }
    }

    async fn post(&self, out: &mut u32, _prep: (), attempt: u32) {
        *out = attempt;
    }
}

#[tokio::test(start_paused = true)]
async fn a_sync_exec_is_retried_with_waits_between_attempts_only() {
    let node = SyncFlaky {
        failures: 2,
        attempts: AtomicU32::new(0),
    };
    let mut out = 0;
    let start = Instant::now();
    node.run(&mut out).await.unwrap();
    assert_eq!(out, 3);
    assert_eq!(start.elapsed(), Duration::from_millis(200));
}

#[tokio::test(start_paused = true)]
async fn an_async_exec_is_retried_with_waits_between_attempts_only() {
    let node = AsyncFlaky {
        failures: 2,
        attempts: AtomicU32::new(0),
    };
    let mut out = 0;
    let start = Instant::now();
    node.run(&mut out).await.unwrap();
    assert_eq!(out, 3);
    // three 10 ms attempts and two 100 ms waits
    assert_eq!(start.elapsed(), Duration::from_millis(230));
}

#[tokio::test(start_paused = true)]
async fn no_wait_follows_the_last_failed_attempt() {
    let node = SyncFlaky {
        failures: 5,
        attempts: AtomicU32::new(0),
    };
    let start = Instant::now();
    let err = node.run(&mut 0).await.unwrap_err();
    assert_eq!(node.attempts.load(Ordering::SeqCst), 3);
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.phase(), Some(Phase::Exec));
    assert_eq!(
        err.to_string(),
        "node `SyncFlaky` failed in exec after 3 attempts: attempt 3 failed"
    );
    assert_eq!(start.elapsed(), Duration::from_millis(200));
}

#[tokio::test]
async fn every_failed_attempt_and_the_fallback_are_warnings_in_the_node_span() {
    struct Rescued;
    #[node(max_retries = 2)]
    impl Rescued {
        fn exec(&self) -> Result<(), String> {
            Err("boom".into())
        }
        fn exec_fallback(&self, _prep: &(), _err: pocketflow::Error) {}
    }

    let (logs, _guard) = capture_logs();
    Rescued.run(&mut ()).await.unwrap();
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        warnings[0].contains("exec attempt 1 of 2 failed: boom"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1].contains("exec attempt 2 of 2 failed: boom"),
        "{}",
        warnings[1]
    );
    assert!(
        warnings[2].contains("running exec_fallback"),
        "{}",
        warnings[2]
    );
    for warning in &warnings {
        assert!(
            warning.contains("node{node=\"Rescued\""),
            "not in the node's span: {warning}"
        );
    }
    // The span records the attempt once, when exec is done with: a subscriber may append every
    // recording of a field, so per-attempt recordings would pile up as `attempt=1 attempt=2`.
    assert!(
        warnings[2].contains("{node=\"Rescued\" attempt=2}"),
        "the span records the last attempt once: {}",
        warnings[2]
    );
}

#[tokio::test]
async fn a_successful_run_logs_no_warning() {
    let (logs, _guard) = capture_logs();
    SyncFlaky {
        failures: 0,
        attempts: AtomicU32::new(0),
    }
    .run(&mut 0)
    .await
    .unwrap();
    tracing::warn!("marker");
    assert_eq!(
        logs.warnings().len(),
        1,
        "only the marker: {:?}",
        logs.warnings()
    );
}

#[tokio::test]
async fn zero_retries_at_run_time_is_an_error_before_prep_runs() {
    struct Counted;
    #[node]
    impl Counted {
        fn prep(&self, runs: &mut u32) {
            *runs += 1;
        }
    }

    let mut runs = 0;
    let err = Counted
        .with_max_retries(0)
        .run(&mut runs)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert_eq!(runs, 0);
    assert!(err.to_string().contains("max_retries is 0"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn run_time_settings_override_the_attribute() {
    let node = SyncFlaky {
        failures: 4,
        attempts: AtomicU32::new(0),
    }
    .with_policy(RetryPolicy::new(5, Duration::from_secs(1)));
    let start = Instant::now();
    let mut out = 0;
    node.run(&mut out).await.unwrap();
    assert_eq!(out, 5);
    assert_eq!(start.elapsed(), Duration::from_secs(4));
}

#[tokio::test]
async fn a_fallback_that_returns_the_error_leaves_it_unwrapped() {
    struct Reraise;
    #[node]
    impl Reraise {
        fn exec(&self) -> Result<(), std::io::Error> {
            Err(std::io::Error::other("disk full"))
        }
        fn exec_fallback(
            &self,
            _prep: &(),
            err: pocketflow::Error,
        ) -> Result<(), pocketflow::Error> {
            Err(err)
        }
    }

    let err = Reraise.run(&mut ()).await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Exec));
    assert_eq!(
        err.to_string(),
        "node `Reraise` failed in exec after 1 attempt: disk full"
    );
}

#[tokio::test]
async fn a_failing_fallback_is_reported_as_such() {
    struct BadFallback;
    #[node]
    impl BadFallback {
        async fn exec(&self) -> Result<(), String> {
            Err("first".into())
        }
        async fn exec_fallback(&self, _prep: &(), _err: pocketflow::Error) -> Result<(), String> {
            Err("second".into())
        }
    }

    let err = BadFallback.run(&mut ()).await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::ExecFallback));
    assert_eq!(
        err.to_string(),
        "node `BadFallback` failed in exec_fallback after 1 attempt: second"
    );
}

#[test]
fn exec_by_value_gets_a_fresh_clone_per_attempt() {
    struct Consume;
    #[node(max_retries = 3)]
    impl Consume {
        fn prep(&self, _: &Vec<String>) -> Vec<String> {
            vec!["a".into()]
        }
        fn exec(&self, mut items: Vec<String>) -> Result<Vec<String>, String> {
            items.push("b".into());
            if items.len() == 2 {
                Err("again".into())
            } else {
                Ok(items)
            }
        }
        fn exec_fallback(&self, items: Vec<String>, _err: pocketflow::Error) -> Vec<String> {
            items
        }
        fn post(&self, out: &mut Vec<String>, _prep: Vec<String>, items: Vec<String>) {
            *out = items;
        }
    }

    let mut out = Vec::new();
    Consume.run_blocking(&mut out).unwrap();
    // every attempt started from ["a"], so each failed; the fallback got an untouched clone
    assert_eq!(out, ["a"]);
}

#[test]
fn a_batch_item_error_names_the_item_and_stops_the_batch() {
    struct Halve {
        seen: AtomicU32,
    }
    #[batch_node]
    impl Halve {
        fn prep(&self, _: &()) -> Vec<u32> {
            vec![2, 4, 5, 6]
        }
        fn exec(&self, n: &u32) -> Result<u32, String> {
            self.seen.fetch_add(1, Ordering::SeqCst);
            if n.is_multiple_of(2) {
                Ok(n / 2)
            } else {
                Err(format!("{n} is odd"))
            }
        }
    }

    let node = Halve {
        seen: AtomicU32::new(0),
    };
    let err = node.run_blocking(&mut ()).unwrap_err();
    assert_eq!(err.item(), Some(2));
    assert_eq!(node.seen.load(Ordering::SeqCst), 3);
    assert_eq!(
        err.to_string(),
        "node `Halve` failed in exec on item 2 after 1 attempt: 5 is odd"
    );
}

#[test]
fn an_error_names_the_steps_it_left_through() {
    struct Boom;
    #[node]
    impl Boom {
        fn post(&self, _: &mut ()) -> Result<(), String> {
            Err("no".into())
        }
    }
    struct Fine;
    #[node]
    impl Fine {}

    let start = Fine;
    let explode = Boom;
    let inner = flow! { start >> explode };
    let outer = flow! { inner };
    let err = outer.run_blocking(&mut ()).unwrap_err();
    assert_eq!(err.path(), ["inner", "explode"]);
    assert_eq!(err.node(), "Boom");
    assert_eq!(err.phase(), Some(Phase::Post));
    assert_eq!(
        err.to_string(),
        "step `inner.explode` (node `Boom`) failed in post: no"
    );
}

#[test]
fn run_blocking_refuses_to_block_inside_a_runtime() {
    struct Nop;
    #[node]
    impl Nop {}

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = runtime
        .block_on(async { Nop.run_blocking(&mut ()) })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert!(err.to_string().contains("inside an async runtime"), "{err}");
    assert_eq!(Nop.run_blocking(&mut ()).unwrap(), Action::DEFAULT);
}

/// Counts its runs and loops forever.
struct Forever;
#[node]
impl Forever {
    fn post(&self, runs: &mut u64) -> &'static str {
        *runs += 1;
        "again"
    }
}

#[test]
fn the_step_guard_stops_a_loop_after_its_limit() {
    let forever = Forever;
    let flow = flow! { forever - "again" >> forever }.with_max_steps(1000);
    let mut runs = 0;
    let err = flow.run_blocking(&mut runs).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxSteps);
    assert_eq!(runs, 1000);
    assert_eq!(
        err.to_string(),
        "flow stopped after 1000 steps (its max_steps) before running step `forever`"
    );
}

#[derive(Action, Clone, Copy, Debug, PartialEq)]
enum Verdict {
    Approve,
    #[default]
    Revise,
    Reject,
}

/// Returns the verdicts of `script` in turn (`None` is the default action).
struct Judge {
    script: Vec<Option<Verdict>>,
}
#[node]
impl Judge {
    fn post(&self, turn: &mut Vec<&'static str>) -> Option<Verdict> {
        let verdict = self.script[turn.len()];
        turn.push("judge");
        verdict
    }
}

struct Mark(&'static str);
#[node]
impl Mark {
    fn post(&self, turn: &mut Vec<&'static str>) -> &'static str {
        turn.push(self.0);
        self.0
    }
}

#[test]
fn typed_edges_match_variants_and_none_follows_the_default_edge() {
    let judge = Judge {
        script: vec![None, Some(Verdict::Revise), Some(Verdict::Approve)],
    };
    let publish = Mark("publish");
    let bin = Mark("bin");
    let flow = flow! {
        judge - Verdict::Approve >> publish;
        judge - Verdict::Reject >> bin;
        judge >> judge;
    };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "publish");
    assert_eq!(turn, ["judge", "judge", "judge", "publish"]);
}

#[test]
fn an_unmatched_typed_action_ends_the_flow_with_a_warning() {
    let (logs, _guard) = capture_logs();
    let judge = Judge {
        script: vec![Some(Verdict::Reject)],
    };
    let publish = Mark("publish");
    let flow = flow! { judge - Verdict::Approve >> publish };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "reject");
    assert_eq!(turn, ["judge"]);
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(r#"flow ends: step `judge` returned action "reject", which has no edge; its edges are ["Verdict::Approve"]"#),
        "{}",
        warnings[0]
    );
}

#[test]
fn a_node_without_edges_ends_the_flow_quietly() {
    let (logs, _guard) = capture_logs();
    let first = Mark("first");
    let last = Mark("last");
    let flow = flow! { first - "first" >> last };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "last");
    assert_eq!(turn, ["first", "last"]);
    assert!(logs.warnings().is_empty(), "{:?}", logs.warnings());
}

#[test]
fn the_empty_string_is_an_ordinary_label() {
    let empty = Mark("");
    let next = Mark("next");
    let flow = flow! { empty - "" >> next };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "next");
    assert_eq!(turn, ["", "next"]);

    // ...and it does not follow a plain edge, which is for the default action only
    let empty = Mark("");
    let next = Mark("next");
    let flow = flow! { empty >> next };
    let mut turn = Vec::new();
    assert_eq!(flow.run_blocking(&mut turn).unwrap(), "");
    assert_eq!(turn, [""]);
}

#[tokio::test]
async fn a_flow_runs_on_a_multi_thread_runtime_and_in_a_spawned_task() {
    let forever = Forever;
    let flow = flow! { forever - "again" >> forever }.with_max_steps(10);
    let handle = tokio::runtime::Handle::current();
    let runs = handle
        .spawn(async move {
            let mut runs = 0;
            let _ = flow.run(&mut runs).await;
            runs
        })
        .await
        .unwrap();
    assert_eq!(runs, 10);
}

/// Takes longer than its timeout on its first two attempts.
struct Slow {
    attempts: AtomicU32,
}

#[node(max_retries = 3, wait = "100ms", timeout = "1s")]
impl Slow {
    async fn exec(&self) -> u32 {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        let work = if attempt < 3 {
            Duration::from_secs(10)
        } else {
            Duration::from_millis(500)
        };
        tokio::time::sleep(work).await;
        attempt
    }

    fn post(&self, out: &mut u32, _prep: (), attempt: u32) {
        *out = attempt;
    }
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_attempt_is_a_failed_attempt() {
    let (logs, _guard) = capture_logs();
    let node = Slow {
        attempts: AtomicU32::new(0),
    };
    let start = Instant::now();
    let mut out = 0;
    node.run(&mut out).await.unwrap();
    assert_eq!(out, 3);
    // two attempts cut at 1 s, two waits of 100 ms, then 500 ms of work
    assert_eq!(start.elapsed(), Duration::from_millis(2700));
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("attempt timed out after 1s"),
        "{}",
        warnings[0]
    );
}

#[tokio::test(start_paused = true)]
async fn the_last_timeout_is_the_nodes_error() {
    let node = Slow {
        attempts: AtomicU32::new(0),
    }
    .with_max_retries(2);
    let err = node.run(&mut 0).await.unwrap_err();
    assert_eq!(err.attempts(), 2);
    let source = std::error::Error::source(&err).unwrap();
    let timed_out = source
        .downcast_ref::<pocketflow::TimedOut>()
        .expect("a TimedOut source");
    assert_eq!(timed_out.limit(), Duration::from_secs(1));
    assert_eq!(
        err.to_string(),
        "node `Slow` failed in exec after 2 attempts: attempt timed out after 1s"
    );
}

/// Always fails.
struct Down {
    attempts: AtomicU32,
}

#[node(max_retries = 5, wait = "100ms", backoff = 2, max_wait = "300ms")]
impl Down {
    async fn exec(&self) -> Result<(), String> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        Err("down".into())
    }
}

#[tokio::test(start_paused = true)]
async fn waits_back_off_exponentially_up_to_max_wait() {
    let node = Down {
        attempts: AtomicU32::new(0),
    };
    let start = Instant::now();
    let err = node.run(&mut ()).await.unwrap_err();
    assert_eq!(err.attempts(), 5);
    // waits of 100, 200, 300 (capped from 400) and 300 (capped from 800) ms
    assert_eq!(start.elapsed(), Duration::from_millis(900));
}

#[tokio::test(start_paused = true)]
async fn backoff_and_timeout_can_be_set_at_run_time() {
    let node = Down {
        attempts: AtomicU32::new(0),
    }
    .with_max_retries(4)
    .with_wait(Duration::from_secs(1))
    .with_backoff(3.0, Duration::from_secs(60));
    let start = Instant::now();
    node.run(&mut ()).await.unwrap_err();
    // waits of 1, 3 and 9 s
    assert_eq!(start.elapsed(), Duration::from_secs(13));

    let slow = Slow {
        attempts: AtomicU32::new(0),
    }
    .with_timeout(Duration::from_secs(20));
    let start = Instant::now();
    let mut out = 0;
    slow.run(&mut out).await.unwrap();
    assert_eq!(out, 1, "the first attempt fits in 20 s");
    assert_eq!(start.elapsed(), Duration::from_secs(10));
}

#[test]
fn a_timeout_on_a_sync_exec_is_refused_at_run_time() {
    let err = SyncFlaky {
        failures: 0,
        attempts: AtomicU32::new(0),
    }
    .with_timeout(Duration::from_secs(1))
    .run_blocking(&mut 0)
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(
        err.to_string()
            .contains("a timeout needs an `async fn exec`"),
        "{err}"
    );
}
