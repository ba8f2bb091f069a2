//! Helpers shared by the integration tests.

use std::cell::RefCell;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once};

use pocketflow::node;
use tracing_subscriber::fmt::MakeWriter;

/// Fails its first `failures` exec attempts, synchronously.
pub struct SyncFlaky {
    pub failures: u32,
    pub attempts: AtomicU32,
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

/// The `tracing` output of the current thread since [`capture_logs`] was called, as text.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The lines logged at WARN level.
    pub fn warnings(&self) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| line.contains("WARN"))
            .map(str::to_owned)
            .collect()
    }
}

thread_local! {
    static CAPTURING: RefCell<Option<Logs>> = const { RefCell::new(None) };
}

/// Writes to the [`Logs`] of the current thread, if it is capturing.
struct ThisThread;

impl Write for ThisThread {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|capturing| {
            if let Some(logs) = &*capturing.borrow() {
                logs.0.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for ThisThread {
    type Writer = ThisThread;
    fn make_writer(&'a self) -> ThisThread {
        ThisThread
    }
}

/// Stops the capture of the current thread when dropped.
pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURING.with(|capturing| capturing.borrow_mut().take());
    }
}

/// Captures `tracing` events (INFO and above, with span context) of this thread until the guard
/// is dropped. Use it from `#[tokio::test]`'s default current-thread runtime.
///
/// One global subscriber routes each thread's events to that thread's capture. A thread-local
/// default subscriber would race with tests on other threads: `tracing` caches whether a
/// callsite is enabled, and a test without a subscriber could cache "never" for a warning
/// another test waits for.
pub fn capture_logs() -> (Logs, CaptureGuard) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(ThisThread)
            .with_max_level(tracing::Level::INFO)
            .without_time()
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
    });
    let logs = Logs::default();
    CAPTURING.with(|capturing| *capturing.borrow_mut() = Some(logs.clone()));
    (logs, CaptureGuard(()))
}

/// The README's example, compiled and run as a doc test so that it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeExample;

/// The URL of a test server from the environment variable `variable` (`PG_URL`, `REDIS_URL`),
/// or `None` after printing why the test skips. Under `CI` a missing server fails the test:
/// `.ci/run` starts them, and a skipped test there would hide a broken setup.
///
/// ```
/// if let Some(url) = pocketflow_tests::server_url("PG_URL") {
///     assert!(url.starts_with("postgres"));
/// }
/// ```
pub fn server_url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(std::env::var_os("CI").is_none(), "CI must set {variable}");
            eprintln!("skipped: {variable} is not set");
            None
        }
    }
}

/// A `redis-server` of a test's own on loopback `port`, with `settings` (`--save`, `--dir` and
/// the like), or `None` after printing why the test skips; under `CI` a missing `redis-server`
/// fails the test.
///
/// ```no_run
/// if let Some(mut redis) = pocketflow_tests::spawn_redis(57_999, &["--save".as_ref(), "".as_ref()]) {
///     redis.kill().unwrap();
/// }
/// ```
pub fn spawn_redis(port: u16, settings: &[&std::ffi::OsStr]) -> Option<std::process::Child> {
    let child = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(settings)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match child {
        Ok(child) => Some(child),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have redis-server: {e}"
            );
            eprintln!("skipped: cannot start redis-server: {e}");
            None
        }
    }
}
