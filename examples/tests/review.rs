//! The `review` example end to end: its server on an ephemeral loopback port, driven over HTTP
//! and, where Chromium and chromedriver are installed (Debian's `chromium` and
//! `chromium-driver`), through the page in headless Chromium, with a screenshot saved as
//! `target/review-approved.png`.
//!
//! Without the browser the browser test prints why and passes, unless `CI` is set: there it
//! fails, so that CI cannot go green without having run it.

// The example's modules, compiled here as they are there. The example's `main` uses some
// items these tests do not.
#[path = "support/browser.rs"]
mod browser;
#[allow(dead_code)]
#[path = "../review/flow.rs"]
mod flow;
#[allow(dead_code)]
#[path = "../review/web.rs"]
mod web;
#[path = "support/webdriver.rs"]
mod webdriver;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::http::header::{HOST, ORIGIN, REFERER};
use pocketflow::durable::{Memory, Outcome};

use browser::{Scratch, browser, screenshot_path};
use flow::{Report, Review, WAITING, draft_for};
use web::SameOrigin;
use webdriver::Driver;

const TOPIC: &str = "reviews in the browser";
/// How long the run may take to finish after the click, and chromedriver to start.
const TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

/// The example's server on 127.0.0.1 with an ephemeral port, its run started (waiting at
/// `ask`): returns the base URL.
async fn serve(run_id: &str) -> String {
    serve_behind(run_id, None).await
}

/// [`serve`], also taking requests for `public`, the origin of a reverse proxy, when given.
async fn serve_behind(run_id: &str, public: Option<&str>) -> String {
    let review = Review::new(Memory::new(), run_id);
    let outcome = review.start(TOPIC).await.unwrap();
    assert!(matches!(outcome, Outcome::Interrupted(ref why) if why.node() == "ask"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut allowed = SameOrigin::loopback(address.port());
    if let Some(public) = public {
        allowed = allowed.with_public(public).unwrap();
    }
    let router = web::router(Arc::clone(&review), allowed);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A POST to `path` as the page's own form sends it: with the page's origin in `Origin`.
fn post(http: &reqwest::Client, base: &str, path: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}{path}")).header(ORIGIN, base)
}

/// Sends a request that the server must refuse, and checks it said 403 with `why`.
async fn refused(request: reqwest::RequestBuilder, why: &str) {
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.text().await.unwrap(), format!("forbidden: {why}"));
}

/// Checks the run still waits for its answer, none recorded.
async fn still_waiting(http: &reqwest::Client, base: &str) {
    let report = status(http, base).await;
    assert_eq!(
        (report.state.as_str(), report.doc.approved),
        (WAITING, None),
        "{report:?}"
    );
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
    let response = post(&http, &base, "/approve").send().await.unwrap();
    assert_eq!(
        (response.status(), response.url().path()),
        (StatusCode::OK, "/")
    );
    let done = until_finished(&http, &base).await;
    assert_eq!(done.state, "published");
    assert_eq!(done.doc.approved, Some(true));
    let published = done.doc.published.clone().unwrap();
    assert!(published.starts_with(&draft_for(TOPIC)));
    let page = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("published") && !page.contains(r#"action="/approve""#));

    // A second click finds nothing waiting: no step runs again.
    for path in ["/approve", "/reject"] {
        let response = post(&http, &base, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(status(&http, &base).await, done);
}

#[tokio::test]
async fn retry_from_a_step_forks_the_run_and_asks_again() {
    let base = serve("http-retry").await;
    let http = client();
    post(&http, &base, "/approve").send().await.unwrap();
    let published = until_finished(&http, &base).await;
    let steps: Vec<u64> = published.history.iter().map(|past| past.step).collect();
    // The start, `write`, the interrupt at `ask` (the same step again), `ask`, `publish`.
    assert_eq!(steps, [0, 1, 1, 2, 3]);
    let page = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"action="/retry/1""#), "{page}");

    // Retry from step 1: the fork waits for the reviewer again, on an id of its own.
    let response = post(&http, &base, "/retry/1").send().await.unwrap();
    assert_eq!(
        (response.status(), response.url().path()),
        (StatusCode::OK, "/")
    );
    let retried = status(&http, &base).await;
    assert_eq!(retried.run_id, "http-retry-retry-1");
    assert_eq!((retried.state.as_str(), retried.steps), (WAITING, 1));
    assert_eq!(
        (retried.doc.approved, retried.doc.published.as_ref()),
        (None, None)
    );
    assert_eq!(retried.doc.draft, draft_for(TOPIC));
    assert_eq!(retried.history[0].step, 1);
    post(&http, &base, "/reject").send().await.unwrap();
    assert_eq!(until_finished(&http, &base).await.state, "rejected");

    // A retry of the retry takes the next id; a step the run never took is an error.
    post(&http, &base, "/retry/2").send().await.unwrap();
    assert_eq!(status(&http, &base).await.run_id, "http-retry-retry-2");
    let response = post(&http, &base, "/retry/9").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("never committed step 9")
    );
}

#[tokio::test]
async fn reject_over_http_publishes_nothing() {
    let base = serve("http-reject").await;
    let http = client();
    // A browser that sends no `Origin` still sends the page as `Referer`.
    let response = http
        .post(format!("{base}/reject"))
        .header(REFERER, format!("{base}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let done = until_finished(&http, &base).await;
    assert_eq!(done.state, "rejected");
    assert_eq!((done.doc.approved, done.doc.published), (Some(false), None));
}

#[tokio::test]
async fn cross_origin_post_is_refused() {
    let base = serve("http-cross-origin").await;
    let http = client();
    let approve = format!("{base}/approve");
    let evil = "http://evil.example";
    refused(
        http.post(&approve).header(ORIGIN, evil),
        "cross-origin request",
    )
    .await;
    // The `Origin` decides, whatever the `Referer` says; without `Origin`, the `Referer`.
    let forged = http
        .post(&approve)
        .header(ORIGIN, evil)
        .header(REFERER, format!("{base}/"));
    refused(forged, "cross-origin request").await;
    refused(
        http.post(&approve).header(ORIGIN, "null"),
        "cross-origin request",
    )
    .await;
    refused(
        http.post(&approve).header(REFERER, format!("{evil}/page")),
        "cross-origin request",
    )
    .await;
    // The same host on another port is another origin.
    let port = base.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let other_port = format!("http://127.0.0.1:{}", port ^ 1);
    refused(
        http.post(&approve).header(ORIGIN, other_port),
        "cross-origin request",
    )
    .await;
    still_waiting(&http, &base).await;
}

#[tokio::test]
async fn post_without_origin_or_referer_is_refused() {
    let base = serve("http-no-origin").await;
    let http = client();
    for path in ["/approve", "/reject"] {
        refused(
            http.post(format!("{base}{path}")),
            "no origin or referer header",
        )
        .await;
    }
    still_waiting(&http, &base).await;
}

/// DNS rebinding: a site points its own name at 127.0.0.1, so its page's requests reach the
/// server from its own origin, with its name in `Host`.
#[tokio::test]
async fn another_host_is_refused() {
    let base = serve("http-rebinding").await;
    let port = base.rsplit(':').next().unwrap();
    let http = client();
    for host in ["evil.example".to_owned(), format!("evil.example:{port}")] {
        let post = http
            .post(format!("{base}/approve"))
            .header(HOST, &host)
            .header(ORIGIN, format!("http://{host}"));
        refused(post, "not a host this server serves").await;
        let read = http.get(format!("{base}/status")).header(HOST, &host);
        refused(read, "not a host this server serves").await;
    }
    still_waiting(&http, &base).await;
}

#[tokio::test]
async fn every_loopback_name_is_served() {
    let base = serve("http-localhost").await;
    let port = base.rsplit(':').next().unwrap();
    let http = client();
    for host in ["[::1]", "LOCALHOST", "localhost"].map(|name| format!("{name}:{port}")) {
        let page = http.get(&base).header(HOST, &host).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{host}");
    }
    // The page at http://localhost:PORT/ posts with its own origin.
    let localhost = format!("http://localhost:{port}");
    let response = http
        .post(format!("{base}/approve"))
        .header(HOST, format!("localhost:{port}"))
        .header(ORIGIN, &localhost)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(until_finished(&http, &base).await.state, "published");
}

#[tokio::test]
async fn a_reverse_proxy_origin_is_served() {
    let public = "https://review.example.com";
    let base = serve_behind("http-proxy", Some(public)).await;
    let http = client();
    let approve = format!("{base}/approve");
    // Behind a proxy that sends its upstream's `Host` (127.0.0.1:PORT), and one that passes
    // the browser's on.
    for host in [None, Some("review.example.com")] {
        let mut evil = http.post(&approve).header(ORIGIN, "http://evil.example");
        if let Some(host) = host {
            evil = evil.header(HOST, host);
        }
        refused(evil, "cross-origin request").await;
    }
    still_waiting(&http, &base).await;
    for host in [None, Some("review.example.com")] {
        let mut own = http.post(&approve).header(ORIGIN, public);
        if let Some(host) = host {
            own = own.header(HOST, host);
        }
        let response = own.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{host:?}");
    }
    assert_eq!(until_finished(&http, &base).await.state, "published");
}

#[test]
fn a_public_origin_is_scheme_and_host() {
    for bad in [
        "review.example.com",
        "https://",
        "https://review.example.com/review",
        "ftp://x",
    ] {
        assert!(
            SameOrigin::loopback(3000).with_public(bad).is_err(),
            "{bad}"
        );
    }
    for good in ["https://review.example.com/", "http://10.0.0.5:8080"] {
        assert!(
            SameOrigin::loopback(3000).with_public(good).is_ok(),
            "{good}"
        );
    }
}

#[tokio::test]
async fn open_db_makes_its_directory_owner_only() {
    let scratch = Scratch::new("db");
    let path = scratch
        .0
        .join("state")
        .join("pocketflow-review")
        .join("runs.db");
    let db = flow::open_db(&path).await.unwrap();
    let review = Review::new(db, "db-run");
    review.start(TOPIC).await.unwrap();
    assert!(path.is_file());
    #[cfg(unix)]
    for dir in [path.parent().unwrap(), &scratch.0.join("state")] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{}", dir.display());
    }
    assert!(flow::default_db().ends_with("pocketflow-review/runs.db"));
}

#[tokio::test]
async fn approve_in_headless_chromium() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let started = Instant::now();
    let base = serve("browser-approve").await;
    let driver = Driver::start(&chromedriver, TIMEOUT).await.unwrap();
    let profile = Scratch::new("chromium");
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

    let path = save_screenshot(session, "review-approved.png").await?;

    // "Retry from here" on the step before `ask`: the fork waits for the reviewer again.
    session.click("#retry-1").await?;
    // The page the click leads to comes once the fork waits; then load it as it is.
    let deadline = Instant::now() + TIMEOUT;
    while status(&http, base).await.run_id != "browser-approve-retry-1" {
        assert!(Instant::now() < deadline, "no retry after {TIMEOUT:?}");
        tokio::time::sleep(POLL).await;
    }
    session.goto(&format!("{base}/")).await?;
    assert_eq!(session.text("#status").await?, WAITING);
    let history = session.text("#history").await?;
    assert!(history.starts_with("step"), "{history:?}");
    assert!(history.contains("write"), "{history:?}");
    save_screenshot(session, "review-retried.png").await?;
    Ok(path)
}

/// Saves the page as it is as `target/<name>`; returns its path.
async fn save_screenshot(
    session: &webdriver::Session<'_>,
    name: &str,
) -> Result<PathBuf, webdriver::Error> {
    let png = session.screenshot().await?;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let path = screenshot_path(name);
    std::fs::create_dir_all(path.parent().unwrap())?;
    std::fs::write(&path, png)?;
    Ok(path)
}
