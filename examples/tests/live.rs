//! The `live` example end to end: its server on an ephemeral loopback port, its server-sent
//! events read over HTTP and, where Chromium and chromedriver are installed, its page driven in
//! headless Chromium, with a screenshot saved as `target/live-finished.png`.
//!
//! Without the browser the browser test prints why and passes, unless `CI` is set: there it
//! fails, so that CI cannot go green without having run it.

#[path = "support/browser.rs"]
mod browser;
#[path = "../live/web.rs"]
mod web;
// The driver's helpers this test does not use.
#[allow(dead_code)]
#[path = "support/webdriver.rs"]
mod webdriver;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use browser::{Scratch, browser, screenshot_path};
use web::TRANSLATIONS;
use webdriver::Driver;

const TIMEOUT: Duration = Duration::from_secs(30);

/// The example's server with `pause` between tokens: returns its base URL.
async fn serve(pause: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, web::router(pause)).await.unwrap() });
    format!("http://{address}")
}

/// Every event of one run, read from `GET /events` to the end of the response.
async fn events(base: &str) -> Vec<Value> {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = http
        .get(format!("{base}/events"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    body.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).unwrap())
        .collect()
}

#[tokio::test]
async fn the_events_say_each_translation_in_order_three_at_a_time() {
    let base = serve(Duration::from_millis(1)).await;
    let events = events(&base).await;
    let kinds = |event: &Value| event["kind"].as_str().unwrap().to_owned();

    // Each run's tokens, in its own order, make its sentence.
    let mut texts: BTreeMap<u64, String> = BTreeMap::new();
    for event in events.iter().filter(|e| e["kind"] == "emitted") {
        let item = event["item"].as_u64().unwrap();
        texts
            .entry(item)
            .or_default()
            .push_str(event["value"].as_str().unwrap());
        assert_eq!(event["path"], serde_json::json!(["Languages", "translate"]));
    }
    let expected: BTreeMap<u64, String> = TRANSLATIONS
        .iter()
        .enumerate()
        .map(|(item, (_, sentence))| (item as u64, (*sentence).to_owned()))
        .collect();
    assert_eq!(texts, expected);

    // At most three runs between their start and their end at any time, and three at once.
    let (mut open, mut most) = (0, 0);
    for event in events.iter().filter(|e| e["item"].is_u64()) {
        match kinds(event).as_str() {
            "started" => open += 1,
            "finished" => open -= 1,
            _ => {}
        }
        most = most.max(open);
    }
    assert_eq!(most, 3);

    // The batch flow's own start, progress and end, around everything else.
    assert_eq!(kinds(&events[0]), "started");
    assert_eq!(events[0]["path"], serde_json::json!(["Languages"]));
    let last = events.last().unwrap();
    assert_eq!(
        (kinds(last), last["item"].clone()),
        ("finished".into(), Value::Null)
    );
    let progress: Vec<u64> = events
        .iter()
        .filter(|e| e["kind"] == "progress")
        .map(|e| e["done"].as_u64().unwrap())
        .collect();
    assert_eq!(progress, (1..=10).collect::<Vec<_>>());
}

#[tokio::test]
async fn watch_the_run_in_headless_chromium() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let started = Instant::now();
    let base = serve(Duration::from_millis(20)).await;
    let driver = Driver::start(&chromedriver, TIMEOUT).await.unwrap();
    let profile = Scratch::new("live-chromium");
    let session = driver.session(&chromium, &profile.0).await.unwrap();
    let result = watch_in(&session, &base).await;
    let closed = session.close().await;
    let path = result.unwrap();
    closed.unwrap();
    eprintln!(
        "browser test: ten translations watched in {:?}; screenshot {}",
        started.elapsed(),
        path.display()
    );
}

/// Opens the page, presses Start, waits for the run to finish, checks each row and the
/// result, and saves the screenshot: returns its path.
async fn watch_in(
    session: &webdriver::Session<'_>,
    base: &str,
) -> Result<std::path::PathBuf, webdriver::Error> {
    session.goto(&format!("{base}/")).await?;
    assert_eq!(session.text("#status").await?, "idle");
    session.click("#start").await?;
    let deadline = Instant::now() + TIMEOUT;
    while session.text("#status").await? != "finished" {
        assert!(Instant::now() < deadline, "not finished after {TIMEOUT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (item, (language, sentence)) in TRANSLATIONS.iter().enumerate() {
        let row = session.text(&format!("#row-{item}")).await?;
        assert_eq!(row, format!("{language} {sentence}"), "row {item}");
    }
    // The rows are in item order: the table's text lists them so.
    let table = session.text("#rows").await?;
    let order: Vec<&str> = table
        .lines()
        .map(|line| line.split(' ').next().unwrap_or(""))
        .collect();
    let expected: Vec<&str> = TRANSLATIONS.iter().map(|(language, _)| *language).collect();
    assert_eq!(order, expected);
    assert_eq!(session.text("#result").await?, "All 10 translations done.");

    let png = session.screenshot().await?;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let path = screenshot_path("live-finished.png");
    std::fs::create_dir_all(path.parent().unwrap())?;
    std::fs::write(&path, png)?;
    Ok(path)
}
