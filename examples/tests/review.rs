//! The `review` example end to end: its server on an ephemeral loopback port, driven over HTTP
//! and, where Chromium and chromedriver are installed (Debian's `chromium` and
//! `chromium-driver`), through the page in headless Chromium, with a screenshot saved as
//! `target/review-approved.png`.
//!
//! Without the browser the browser test prints why and passes, unless `CI` is set: there it
//! fails, so that CI cannot go green without having run it.

// The example's modules, compiled here as they are there. The example's `main` uses some
// items these tests do not.
#[allow(dead_code)]
#[path = "../review/flow.rs"]
mod flow;
#[allow(dead_code)]
#[path = "../review/web.rs"]
mod web;
#[path = "support/webdriver.rs"]
mod webdriver;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pocketflow::durable::{Memory, Outcome};

use flow::{Report, Review, WAITING, draft_for};
use webdriver::Driver;

/// Debian's paths; `CHROMIUM` and `CHROMEDRIVER` in the environment point elsewhere.
const CHROMIUM: (&str, &str) = ("CHROMIUM", "/usr/bin/chromium");
const CHROMEDRIVER: (&str, &str) = ("CHROMEDRIVER", "/usr/bin/chromedriver");
const TOPIC: &str = "reviews in the browser";
/// How long the run may take to finish after the click, and chromedriver to start.
const TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// The example's server on 127.0.0.1 with an ephemeral port, its run started (waiting at
/// `ask`): returns the base URL.
async fn serve(run_id: &str) -> String {
    let review = Review::new(Memory::new(), run_id);
    let outcome = review.start(TOPIC).await.unwrap();
    assert!(matches!(outcome, Outcome::Interrupted(ref why) if why.node() == "ask"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = web::router(Arc::clone(&review));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn status(http: &reqwest::Client, base: &str) -> Report {
    let response = http.get(format!("{base}/status")).send().await.unwrap();
    response.json().await.unwrap()
}

/// Polls `/status` every [`POLL`] until the run has finished, for at most [`TIMEOUT`].
async fn until_finished(http: &reqwest::Client, base: &str) -> Report {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let report = status(http, base).await;
        if report.finished {
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "not finished after {TIMEOUT:?}: {report:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}

#[tokio::test]
async fn approve_over_http_publishes_once() {
    let base = serve("http-approve").await;
    let http = client();
    let waiting = status(&http, &base).await;
    assert_eq!(
        (waiting.state.as_str(), waiting.run.as_str()),
        (WAITING, "interrupted")
    );
    assert_eq!(waiting.doc.draft, draft_for(TOPIC));
    let page = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(WAITING) && page.contains(r#"action="/approve""#));

    // The redirect is followed: the answer comes back as the page.
    let response = http.post(format!("{base}/approve")).send().await.unwrap();
    assert_eq!(response.url().path(), "/");
    let done = until_finished(&http, &base).await;
    assert_eq!(done.state, "published");
    assert_eq!(done.doc.approved, Some(true));
    let published = done.doc.published.clone().unwrap();
    assert!(published.starts_with(&draft_for(TOPIC)));
    let page = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("published") && !page.contains(r#"action="/approve""#));

    // A second click finds nothing waiting: no step runs again.
    http.post(format!("{base}/approve")).send().await.unwrap();
    http.post(format!("{base}/reject")).send().await.unwrap();
    assert_eq!(status(&http, &base).await, done);
}

#[tokio::test]
async fn reject_over_http_publishes_nothing() {
    let base = serve("http-reject").await;
    let http = client();
    http.post(format!("{base}/reject")).send().await.unwrap();
    let done = until_finished(&http, &base).await;
    assert_eq!(done.state, "rejected");
    assert_eq!((done.doc.approved, done.doc.published), (Some(false), None));
}

/// The screenshot's path: `review-approved.png` in `CARGO_TARGET_DIR`, or the workspace's
/// `target/`.
fn screenshot_path() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    target.join("review-approved.png")
}

/// Chromium and chromedriver, when both are installed; without them, `None` after saying why,
/// or a panic when `CI` is set.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let [chromium, chromedriver] = [CHROMIUM, CHROMEDRIVER].map(|(var, path)| {
        std::env::var_os(var).map_or_else(|| PathBuf::from(path), PathBuf::from)
    });
    let missing: Vec<String> = [&chromium, &chromedriver]
        .into_iter()
        .filter(|path| !path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if missing.is_empty() {
        return Some((chromium, chromedriver));
    }
    let why = format!(
        "{} missing (Debian: apt-get install chromium chromium-driver)",
        missing.join(" and ")
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set, and the browser test cannot run: {why}"
    );
    eprintln!("skipping the browser test: {why}");
    None
}

/// A fresh, empty profile directory for one browser, removed when dropped.
struct Profile(PathBuf);

impl Profile {
    fn new() -> Profile {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "pocketflow-review-chromium-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Profile(dir)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn approve_in_headless_chromium() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let started = Instant::now();
    let base = serve("browser-approve").await;
    let driver = Driver::start(&chromedriver, TIMEOUT).await.unwrap();
    let profile = Profile::new();
    let session = driver.session(&chromium, &profile.0).await.unwrap();
    let result = approve_in(&session, &base).await;
    // Close the browser whatever happened, then report.
    let closed = session.close().await;
    let path = result.unwrap();
    closed.unwrap();
    eprintln!(
        "browser test: approved and published in {:?}; screenshot {}",
        started.elapsed(),
        path.display()
    );
}

/// Opens the page, checks the draft waits, clicks Approve, waits for the run to finish, checks
/// the page says published and saves the screenshot: returns its path.
async fn approve_in(
    session: &webdriver::Session<'_>,
    base: &str,
) -> Result<PathBuf, webdriver::Error> {
    session.goto(&format!("{base}/")).await?;
    assert_eq!(session.text("#status").await?, WAITING);
    let draft = session.text("#draft").await?;
    let first_line = draft_for(TOPIC).lines().next().unwrap().to_owned();
    assert!(draft.contains(&first_line), "draft shown: {draft:?}");

    session.click("#approve").await?;
    let http = client();
    let done = until_finished(&http, base).await;
    assert_eq!(done.state, "published");

    // The click's redirect brought the browser back to the page; load it as it is now.
    assert_eq!(session.url().await?, format!("{base}/"));
    session.goto(&format!("{base}/")).await?;
    assert_eq!(session.text("#status").await?, "published");
    let published = session.text("#published").await?;
    assert!(
        published.contains("published by the `publish` node"),
        "{published:?}"
    );

    let png = session.screenshot().await?;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let path = screenshot_path();
    std::fs::create_dir_all(path.parent().unwrap())?;
    std::fs::write(&path, png)?;
    Ok(path)
}
