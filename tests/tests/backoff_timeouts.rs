//! Exponential backoff and per-attempt timeouts, on tokio's clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pocketflow::ErrorKind;
use pocketflow::prelude::*;
use pocketflow_tests::{SyncFlaky, capture_logs};
use tokio::time::Instant;

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

/// A timeout or a retry wait on a runtime without tokio's timer, or with no runtime at all, is
/// an error naming the node and the builder call to add: not tokio's panic, and the exec is not
/// retried.
#[test]
fn a_missing_timer_is_an_error_not_a_panic() {
    struct Timed;
    #[node(timeout = "1s")]
    impl Timed {
        async fn exec(&self) {}
    }
    struct Waits {
        attempts: AtomicU32,
    }
    #[node(max_retries = 3, wait = "10ms")]
    impl Waits {
        fn exec(&self) -> Result<(), std::io::Error> {
            self.attempts.fetch_add(1, Ordering::SeqCst);
            Err(std::io::Error::other("busy"))
        }
    }

    let no_timer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let waits = Waits {
        attempts: AtomicU32::new(0),
    };
    let timed = no_timer.block_on(Timed.run(&mut ())).unwrap_err();
    let waited = no_timer.block_on(waits.run(&mut ())).unwrap_err();
    for err in [&timed, &waited] {
        assert_eq!(err.kind(), ErrorKind::Runtime);
        assert!(err.to_string().contains("add `enable_time()`"), "{err}");
    }
    assert_eq!(
        timed.to_string(),
        "node `Timed` cannot run: its timeout or retry wait needs tokio's timer, and this runtime \
         was built without it; add `enable_time()` (or `enable_all()`) to the runtime builder"
    );
    assert_eq!(waits.attempts.load(Ordering::SeqCst), 1);

    let outside = futures::executor::block_on(Timed.run(&mut ())).unwrap_err();
    assert_eq!(outside.kind(), ErrorKind::Runtime);
    assert!(
        outside.to_string().contains("no tokio runtime is running"),
        "{outside}"
    );
}
