//! Retries with exponential backoff, a per-attempt timeout and a fallback, against a flaky
//! service on a real socket.
//!
//! Run with `cargo run --example retry_fallback`. The example starts a TCP service on
//! 127.0.0.1 that fails its first requests in three ways (it closes the connection, it answers
//! `ERR busy`, it never answers) before it answers `OK <payload>`. The node that asks it has
//!
//! ```text
//! #[node(max_retries = 4, wait = "50ms", backoff = 2, timeout = "500ms")]
//! ```
//!
//! so it makes four attempts at most, each cut after 500 ms, with waits of 50, 100 and 200 ms
//! between them; after the fourth failure its `exec_fallback` returns a cached value. The
//! example runs it twice: once against a service that recovers in time (the fourth attempt
//! gets the payload) and once against one that never does (the cached value is used). The
//! `tracing` warnings for each failed attempt and for the fallback go to stderr.

use std::future::Future;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Instant;

use pocketflow::prelude::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One request to a service: `request` in, the reply line out.
trait Service: Send + Sync {
    fn call(&self, request: &str) -> impl Future<Output = Result<String, ServiceError>> + Send;
}

/// Why a request failed.
#[derive(Debug)]
enum ServiceError {
    Io(std::io::Error),
    /// The service closed the connection without a reply.
    Closed,
    /// The service said `ERR <reason>`.
    Refused(String),
    /// A reply that is neither `OK ..` nor `ERR ..`.
    Garbled(String),
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceError::Io(err) => write!(f, "i/o error: {err}"),
            ServiceError::Closed => f.write_str("connection closed without a reply"),
            ServiceError::Refused(reason) => write!(f, "service refused: {reason}"),
            ServiceError::Garbled(reply) => write!(f, "unexpected reply {reply:?}"),
        }
    }
}

impl std::error::Error for ServiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServiceError::Io(err) => Some(err),
            _ => None,
        }
    }
}

/// The real client: one TCP connection per request, one line each way.
struct TcpService {
    addr: SocketAddr,
}

impl Service for TcpService {
    async fn call(&self, request: &str) -> Result<String, ServiceError> {
        let mut stream = TcpStream::connect(self.addr)
            .await
            .map_err(ServiceError::Io)?;
        stream
            .write_all(format!("{request}\n").as_bytes())
            .await
            .map_err(ServiceError::Io)?;
        let mut reply = String::new();
        let read = BufReader::new(stream).read_line(&mut reply).await;
        match read {
            Ok(0) => Err(ServiceError::Closed),
            Ok(_) => Ok(reply.trim_end().to_owned()),
            // A peer that closes with our request unread resets the connection.
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {
                Err(ServiceError::Closed)
            }
            Err(err) => Err(ServiceError::Io(err)),
        }
    }
}

/// Where the value came from.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    Service,
    /// The fallback: the cached value, and the error that led to it.
    Cache(String),
}

#[derive(Debug, Clone, PartialEq)]
struct Quote {
    value: String,
    source: Source,
}

#[derive(Default)]
struct Shared {
    symbol: String,
    quote: Option<Quote>,
    attempts: u32,
}

/// Asks `service` for a quote; retried, and backed by a cached value.
struct FetchQuote<S> {
    service: S,
    cached: String,
    /// The attempts of the current run (exec has `&self` only, hence atomic).
    attempts: AtomicU32,
}

impl<S> FetchQuote<S> {
    fn new(service: S, cached: &str) -> FetchQuote<S> {
        FetchQuote {
            service,
            cached: cached.to_owned(),
            attempts: AtomicU32::new(0),
        }
    }
}

#[node(max_retries = 4, wait = "50ms", backoff = 2, timeout = "500ms")]
impl<S: Service> FetchQuote<S> {
    fn prep(&self, shared: &Shared) -> String {
        self.attempts.store(0, Ordering::Relaxed);
        format!("GET {}", shared.symbol)
    }

    async fn exec(&self, request: &String) -> Result<Quote, ServiceError> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let reply = self.service.call(request).await?;
        if let Some(value) = reply.strip_prefix("OK ") {
            Ok(Quote {
                value: value.to_owned(),
                source: Source::Service,
            })
        } else if let Some(reason) = reply.strip_prefix("ERR ") {
            Err(ServiceError::Refused(reason.to_owned()))
        } else {
            Err(ServiceError::Garbled(reply))
        }
    }

    fn exec_fallback(&self, _request: &String, err: pocketflow::Error) -> Quote {
        Quote {
            value: self.cached.clone(),
            source: Source::Cache(err.to_string()),
        }
    }

    fn post(&self, shared: &mut Shared, _request: String, quote: Quote) {
        shared.quote = Some(quote);
        shared.attempts = self.attempts.load(Ordering::Relaxed);
    }
}

/// How the flaky service fails a request.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Reads the request and closes the connection.
    Close,
    /// Answers `ERR busy`.
    Busy,
    /// Reads the request and never answers (the client's timeout ends it).
    Stall,
}

/// A line-based TCP service on 127.0.0.1 that fails its first `failures` requests, cycling
/// through `faults`, then answers `OK <payload>`. Stops when dropped.
struct FlakyService {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FlakyService {
    async fn start(faults: &[Fault], failures: usize, payload: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&requests);
        let faults = faults.to_vec();
        let payload = payload.to_owned();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let n = count.fetch_add(1, Ordering::SeqCst);
                let fault = (n < failures).then(|| faults[n % faults.len()]);
                let payload = payload.clone();
                // Each connection on its own task: a stalled one must not hold up the next.
                tokio::spawn(serve(stream, n + 1, fault, payload));
            }
        });
        Ok(FlakyService {
            addr,
            requests,
            task,
        })
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for FlakyService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(stream: TcpStream, n: usize, fault: Option<Fault>, payload: String) {
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    if reader.read_line(&mut request).await.is_err() {
        return;
    }
    let request = request.trim_end();
    let mut stream = reader.into_inner();
    let reply = match fault {
        Some(Fault::Close) => {
            tracing::info!("service: request {n} ({request}): closing the connection");
            return;
        }
        Some(Fault::Stall) => {
            tracing::info!("service: request {n} ({request}): not answering");
            // Until the client gives up and closes its end.
            let _ = stream.read_to_end(&mut Vec::new()).await;
            return;
        }
        Some(Fault::Busy) => {
            tracing::info!("service: request {n} ({request}): ERR busy");
            "ERR busy".to_owned()
        }
        None => {
            tracing::info!("service: request {n} ({request}): OK");
            format!("OK {payload}")
        }
    };
    let _ = stream.write_all(format!("{reply}\n").as_bytes()).await;
}

/// Runs the node against a fresh flaky service and prints what came of it.
async fn scenario(title: &str, failures: usize) -> Result<(), Box<dyn std::error::Error>> {
    println!("== {title} ==");
    let faults = [Fault::Close, Fault::Busy, Fault::Stall];
    let service = FlakyService::start(&faults, failures, "EUR/USD 1.0842").await?;
    let fetch = FetchQuote::new(TcpService { addr: service.addr }, "EUR/USD 1.0790");
    let mut shared = Shared {
        symbol: "EUR/USD".into(),
        ..Shared::default()
    };
    let start = Instant::now();
    fetch.run(&mut shared).await?;
    let elapsed = start.elapsed().as_secs_f64();
    let quote = shared.quote.expect("post stores the quote");
    let attempts = shared.attempts;
    match quote.source {
        Source::Service => println!(
            "OK {} after {attempts} attempts ({elapsed:.2} s)",
            quote.value
        ),
        Source::Cache(error) => {
            println!(
                "fallback: cached {} after {attempts} attempts ({elapsed:.2} s)",
                quote.value
            );
            println!("  last error: {error}");
        }
    }
    println!("  the service saw {} requests\n", service.requests());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .with_timer(tracing_subscriber::fmt::time::Uptime::default())
        .init();
    scenario("Run 1: the service fails 3 requests, then recovers", 3).await?;
    scenario("Run 2: the service never recovers", usize::MAX).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;

    /// What the in-memory service does with one request.
    enum Step {
        Reply(&'static str),
        Close,
        /// Never answers: only the node's timeout ends the attempt.
        Hang,
    }

    /// An in-memory service playing a script, recording when each request came, on tokio's
    /// clock (so the tests can pause it).
    struct Scripted {
        script: Mutex<VecDeque<Step>>,
        calls: Mutex<Vec<Instant>>,
    }

    impl Scripted {
        fn new(script: impl IntoIterator<Item = Step>) -> Scripted {
            Scripted {
                script: Mutex::new(script.into_iter().collect()),
                calls: Mutex::new(Vec::new()),
            }
        }
    }

    impl Service for Arc<Scripted> {
        async fn call(&self, _request: &str) -> Result<String, ServiceError> {
            self.calls.lock().unwrap().push(Instant::now());
            let step = self.script.lock().unwrap().pop_front();
            match step.unwrap_or(Step::Close) {
                Step::Reply(line) => Ok(line.to_owned()),
                Step::Close => Err(ServiceError::Closed),
                Step::Hang => std::future::pending().await,
            }
        }
    }

    /// Runs a fresh node on `service`: the quote, the attempts, the time taken, and when each
    /// attempt started, relative to the start.
    async fn run(service: &Arc<Scripted>) -> (Quote, u32, Duration, Vec<Duration>) {
        let fetch = FetchQuote::new(Arc::clone(service), "cached");
        let mut shared = Shared {
            symbol: "X".into(),
            ..Shared::default()
        };
        let start = Instant::now();
        fetch.run(&mut shared).await.unwrap();
        let elapsed = start.elapsed();
        let calls = service.calls.lock().unwrap();
        let starts = calls.iter().map(|at| *at - start).collect();
        (shared.quote.unwrap(), shared.attempts, elapsed, starts)
    }

    fn ms(millis: &[u64]) -> Vec<Duration> {
        millis.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn waits_back_off_and_a_stalled_attempt_times_out() {
        let service = Arc::new(Scripted::new([
            Step::Close,
            Step::Reply("ERR busy"),
            Step::Hang,
            Step::Reply("OK 42"),
        ]));
        let (quote, attempts, elapsed, starts) = run(&service).await;
        assert_eq!(quote.value, "42");
        assert_eq!(quote.source, Source::Service);
        assert_eq!(attempts, 4);
        // Waits of 50, 100 and 200 ms; the third attempt hangs until its 500 ms timeout.
        assert_eq!(starts, ms(&[0, 50, 150, 850]));
        assert_eq!(elapsed, Duration::from_millis(850));
    }

    #[tokio::test(start_paused = true)]
    async fn no_wait_before_a_first_success() {
        let service = Arc::new(Scripted::new([Step::Reply("OK 1")]));
        let (quote, attempts, elapsed, _) = run(&service).await;
        assert_eq!((quote.value.as_str(), attempts), ("1", 1));
        assert_eq!(elapsed, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn four_failures_take_the_fallback_with_no_wait_after_the_last() {
        let service = Arc::new(Scripted::new([
            Step::Reply("ERR busy"),
            Step::Close,
            Step::Reply("nonsense"),
            Step::Reply("ERR down"),
        ]));
        let (quote, attempts, elapsed, starts) = run(&service).await;
        assert_eq!(quote.value, "cached");
        let Source::Cache(error) = quote.source else {
            panic!("no fallback: {quote:?}");
        };
        assert_eq!(
            error,
            "node `FetchQuote` failed in exec after 4 attempts: service refused: down"
        );
        assert_eq!(attempts, 4);
        assert_eq!(starts, ms(&[0, 50, 150, 350]));
        assert_eq!(elapsed, Duration::from_millis(350));
    }

    /// The `tracing` output of this thread while the guard lives.
    #[tokio::test(start_paused = true)]
    async fn one_warning_per_failed_attempt_and_one_for_the_fallback() {
        let (logs, _capture) = pocketflow_tests::capture_logs();
        let service = Arc::new(Scripted::new([
            Step::Close,
            Step::Hang,
            Step::Close,
            Step::Close,
        ]));
        run(&service).await;
        let warnings = logs.warnings();
        assert_eq!(warnings.len(), 5, "{warnings:#?}");
        assert!(warnings[0].contains("exec attempt 1 of 4 failed: connection closed"));
        assert!(warnings[1].contains("exec attempt 2 of 4 failed: attempt timed out after 500ms"));
        assert!(warnings[4].contains("exec failed 4 time(s); running exec_fallback"));
    }

    // On real sockets, on the normal clock; without stalls each run takes only its waits.

    async fn over_tcp(failures: usize) -> (Shared, usize) {
        let service = FlakyService::start(&[Fault::Close, Fault::Busy], failures, "p")
            .await
            .unwrap();
        let fetch = FetchQuote::new(TcpService { addr: service.addr }, "cached");
        let mut shared = Shared::default();
        fetch.run(&mut shared).await.unwrap();
        (shared, service.requests())
    }

    #[tokio::test]
    async fn over_tcp_the_service_recovers_within_the_retries() {
        let (shared, requests) = over_tcp(2).await;
        let quote = shared.quote.unwrap();
        assert_eq!((quote.value.as_str(), quote.source), ("p", Source::Service));
        assert_eq!((shared.attempts, requests), (3, 3));
    }

    #[tokio::test]
    async fn over_tcp_a_service_that_never_recovers_gets_the_fallback() {
        let (shared, requests) = over_tcp(usize::MAX).await;
        let quote = shared.quote.unwrap();
        assert_eq!(quote.value, "cached");
        assert!(
            matches!(quote.source, Source::Cache(ref e) if e.ends_with("service refused: busy"))
        );
        assert_eq!((shared.attempts, requests), (4, 4));
    }
}
