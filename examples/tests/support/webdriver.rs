//! Just enough of the W3C WebDriver protocol to drive headless Chromium through chromedriver:
//! a session, navigation, elements by CSS selector, their text, a click and a screenshot.
//!
//! WebDriver is JSON over HTTP, so this is a few calls on the `reqwest` client the examples
//! already depend on, rather than a WebDriver crate and its dependencies.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The errors of this client: what chromedriver said, or why it could not be asked.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The flags the browser runs with: headless, and nothing that reaches for the network (the
/// machine has none but loopback).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,900",
];

/// A chromedriver process on a loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port and waits (at most `timeout`) until it
    /// says it is ready.
    pub async fn start(chromedriver: &Path, timeout: Duration) -> Result<Driver, Error> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
        let driver = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder().no_proxy().build()?,
        };
        let deadline = Instant::now() + timeout;
        loop {
            let ready = match driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
            {
                Ok(response) => response.json::<Value>().await?["value"]["ready"] == true,
                Err(_) => false,
            };
            if ready {
                return Ok(driver);
            }
            if Instant::now() > deadline {
                return Err(format!("chromedriver not ready after {timeout:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens a browser: `chromium` with [`CHROMIUM_FLAGS`] and the profile in `profile` (a
    /// fresh, empty directory).
    pub async fn session(&self, chromium: &Path, profile: &Path) -> Result<Session<'_>, Error> {
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": { "binary": chromium, "args": args }
                }
            }
        });
        let value = self.call("POST", "/session", Some(capabilities)).await?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {value}"))?
            .to_owned();
        Ok(Session { driver: self, id })
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Error> {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let response = request.send().await?;
        let status = response.status();
        let mut reply: Value = response.json().await?;
        if !status.is_success() {
            let error = &reply["value"];
            return Err(format!(
                "{method} {path}: {status}: {} {}",
                error["error"], error["message"]
            )
            .into());
        }
        Ok(reply["value"].take())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser window, closed by [`close`](Session::close).
pub struct Session<'d> {
    driver: &'d Driver,
    id: String,
}

impl Session<'_> {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Error> {
        let path = format!("/session/{}{path}", self.id);
        self.driver.call(method, &path, body).await
    }

    /// Loads `url` and waits until the page has loaded.
    pub async fn goto(&self, url: &str) -> Result<(), Error> {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .await
            .map(drop)
    }

    /// The first element that matches the CSS `selector`.
    pub async fn find(&self, selector: &str) -> Result<String, Error> {
        let body = json!({ "using": "css selector", "value": selector });
        let value = self.call("POST", "/element", Some(body)).await?;
        Ok(value[ELEMENT]
            .as_str()
            .ok_or_else(|| format!("no element for {selector:?} in {value}"))?
            .to_owned())
    }

    /// The rendered text of the element that matches `selector`.
    pub async fn text(&self, selector: &str) -> Result<String, Error> {
        let element = self.find(selector).await?;
        let value = self
            .call("GET", &format!("/element/{element}/text"), None)
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Clicks the element that matches `selector`.
    pub async fn click(&self, selector: &str) -> Result<(), Error> {
        let element = self.find(selector).await?;
        self.call("POST", &format!("/element/{element}/click"), None)
            .await
            .map(drop)
    }

    /// The URL the window shows.
    pub async fn url(&self) -> Result<String, Error> {
        let value = self.call("GET", "/url", None).await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// A PNG of the window.
    pub async fn screenshot(&self) -> Result<Vec<u8>, Error> {
        let value = self.call("GET", "/screenshot", None).await?;
        let encoded = value.as_str().ok_or("the screenshot is not a string")?;
        Ok(base64::engine::general_purpose::STANDARD.decode(encoded)?)
    }

    /// Closes the browser.
    pub async fn close(self) -> Result<(), Error> {
        self.call("DELETE", "", None).await.map(drop)
    }
}
