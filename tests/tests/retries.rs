//! Retries on tokio's clock: attempts, the waits between them, run-time retry settings.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pocketflow::prelude::*;
use pocketflow::{ErrorKind, RetryPolicy};
use pocketflow_tests::SyncFlaky;
use tokio::time::Instant;

/// Like [`SyncFlaky`], with async phases.
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
