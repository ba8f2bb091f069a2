//! The `review` example's web page: the draft, its state, Approve and Reject, and the run's
//! history with a "Retry from here" button per step.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::header::{HOST, ORIGIN, REFERER};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pocketflow::durable::Checkpoints;

use crate::flow::{Report, Review, WAITING};

/// The routes: `GET /` (the page), `POST /approve`, `POST /reject` (record the answer, resume
/// the run, redirect to `/`), `POST /retry/{step}` (fork the run at that step and show the
/// fork) and `GET /status` (the [`Report`] as JSON), every one behind the [`SameOrigin`]
/// check.
pub fn router<C: Checkpoints + 'static>(review: Arc<Review<C>>, allowed: SameOrigin) -> Router {
    Router::new()
        .route("/", get(page::<C>))
        .route("/approve", post(approve::<C>))
        .route("/reject", post(reject::<C>))
        .route("/retry/{step}", post(retry::<C>))
        .route("/status", get(status::<C>))
        .with_state(review)
        .layer(middleware::from_fn_with_state(
            Arc::new(allowed),
            same_origin,
        ))
}

/// Which requests the server takes. A click on Approve publishes, and the page has no login, so
/// without this any site the reviewer visits could post to `/approve` from its own page
/// (cross-site request forgery), and a site that points its own name at 127.0.0.1 (DNS
/// rebinding) could read the page too. So every request must name this server in `Host` (a
/// rebinding site's name is not one of them), and every request that may change something (a
/// POST) must come from this server's own page: its `Origin` header, or its `Referer` when a
/// browser sends no `Origin`, is the origin of that `Host`. Browsers set both headers
/// themselves; a page of another site cannot forge them.
#[derive(Debug, Clone)]
pub struct SameOrigin {
    /// The `Host` values the server answers to: `host:port`, lowercase.
    hosts: Vec<String>,
    /// The origin a reverse proxy serves the page at, lowercase, when there is one.
    public: Option<String>,
}

impl SameOrigin {
    /// A server bound to `port` on loopback, reached as `127.0.0.1`, `localhost` or `[::1]`.
    pub fn loopback(port: u16) -> SameOrigin {
        // Browsers leave the default port out of `Host` and `Origin`.
        let hosts = ["127.0.0.1", "localhost", "[::1]"].map(|name| match port {
            80 => name.to_owned(),
            _ => format!("{name}:{port}"),
        });
        SameOrigin {
            hosts: hosts.to_vec(),
            public: None,
        }
    }

    /// Also takes requests through a reverse proxy that serves the page at `origin`
    /// (`https://review.example.com`, as the browser's address bar shows it, without a path):
    /// POSTs whose `Origin` is `origin`, and `origin`'s host in `Host`, for the proxies that
    /// pass the browser's `Host` on.
    pub fn with_public(mut self, origin: &str) -> Result<SameOrigin, String> {
        let public = origin.trim_end_matches('/').to_ascii_lowercase();
        let host = ["http://", "https://"]
            .iter()
            .find_map(|scheme| public.strip_prefix(scheme))
            .filter(|host| !host.is_empty() && !host.contains(['/', '?', '#', '@']))
            .ok_or_else(|| format!("not an origin (scheme://host[:port]): {origin:?}"))?;
        self.hosts.push(host.to_owned());
        self.public = Some(public);
        Ok(self)
    }

    /// Checks a request's headers, `may_change` for the methods that are not safe (POST): `Err`
    /// says why the request is refused.
    fn check(&self, headers: &HeaderMap, may_change: bool) -> Result<(), &'static str> {
        let host = text(headers, HOST).ok_or("forbidden: no host header")?;
        if !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Err("forbidden: not a host this server serves");
        }
        if !may_change {
            return Ok(());
        }
        // An `Origin` that says `null` (a sandboxed frame, a redirect) is refused, not
        // replaced by the `Referer`.
        let source = text(headers, ORIGIN)
            .or_else(|| text(headers, REFERER))
            .map(origin_of)
            .ok_or("forbidden: no origin or referer header")?;
        let own = source.eq_ignore_ascii_case(&format!("http://{host}"))
            || self
                .public
                .as_deref()
                .is_some_and(|public| source.eq_ignore_ascii_case(public));
        if own {
            Ok(())
        } else {
            Err("forbidden: cross-origin request")
        }
    }
}

/// The middleware of [`SameOrigin`]: a refused request gets 403 and never reaches its handler,
/// so the run is left as it was.
async fn same_origin(
    State(allowed): State<Arc<SameOrigin>>,
    request: Request,
    next: Next,
) -> Response {
    let may_change = !request.method().is_safe();
    match allowed.check(request.headers(), may_change) {
        Ok(()) => next.run(request).await,
        Err(why) => (StatusCode::FORBIDDEN, why).into_response(),
    }
}

/// A header's value, when it is there and is text.
fn text(headers: &HeaderMap, name: axum::http::HeaderName) -> Option<&str> {
    headers.get(name)?.to_str().ok()
}

/// The `scheme://host[:port]` a URL starts with (a `Referer` is a whole URL).
fn origin_of(url: &str) -> &str {
    let authority = url.find("://").map_or(0, |at| at + 3);
    match url[authority..].find(['/', '?', '#']) {
        Some(end) => &url[..authority + end],
        None => url,
    }
}

async fn page<C: Checkpoints + 'static>(State(review): State<Arc<Review<C>>>) -> Response {
    match review.report().await {
        Ok(report) => Html(render(&report)).into_response(),
        Err(error) => failure(error),
    }
}

async fn status<C: Checkpoints + 'static>(State(review): State<Arc<Review<C>>>) -> Response {
    match review.report().await {
        Ok(report) => axum::Json(report).into_response(),
        Err(error) => failure(error),
    }
}

async fn approve<C: Checkpoints + 'static>(State(review): State<Arc<Review<C>>>) -> Response {
    decide(&review, true).await
}

async fn reject<C: Checkpoints + 'static>(State(review): State<Arc<Review<C>>>) -> Response {
    decide(&review, false).await
}

/// Records the answer and goes back to the page (303, so a reload does not post again). A run
/// that is not waiting keeps its state: the page shows it as it is.
async fn decide<C: Checkpoints + 'static>(review: &Arc<Review<C>>, approved: bool) -> Response {
    match review.decide(approved).await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(error) => failure(error),
    }
}

/// Forks the run at `step` and goes back to the page, which shows the fork.
async fn retry<C: Checkpoints + 'static>(
    State(review): State<Arc<Review<C>>>,
    Path(step): Path<u64>,
) -> Response {
    match review.retry_from(step).await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(error) => failure(error),
    }
}

fn failure(error: pocketflow::Error) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
}

/// The page for a report: plain HTML with its style inline, no script and no external asset.
/// While the run moves on by itself (resuming, running) the page reloads every second.
pub fn render(report: &Report) -> String {
    let doc = &report.doc;
    let waiting = report.state == WAITING;
    let moving = matches!(report.state.as_str(), "resuming" | "running");
    let refresh = if moving {
        r#"<meta http-equiv="refresh" content="1">"#
    } else {
        ""
    };
    let buttons = if waiting {
        r#"<div class="actions">
<form method="post" action="/approve"><button id="approve" class="approve" type="submit">Approve</button></form>
<form method="post" action="/reject"><button id="reject" class="reject" type="submit">Reject</button></form>
</div>"#
    } else {
        ""
    };
    let published = match &doc.published {
        Some(text) => format!(
            "<h2>Published</h2>\n<div id=\"published\" class=\"text\">{}</div>",
            escape(text)
        ),
        None => String::new(),
    };
    let history = history(report);
    let detail = match (&report.node, &report.message) {
        (Some(node), Some(message)) => {
            format!("at <code>{}</code>: {}", escape(node), escape(message))
        }
        (Some(node), None) => format!("last step <code>{}</code>", escape(node)),
        _ => String::new(),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{refresh}
<title>Review: {topic}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
h1 {{ font-size: 1.5rem; margin-bottom: .25rem; }}
h2 {{ font-size: 1.1rem; margin-top: 1.5rem; }}
.meta {{ color: #666; font-size: .9rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
td, th {{ text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #eee; }}
button.retry {{ font-size: .8rem; padding: .1rem .6rem; }}
.state {{ display: inline-block; padding: .1rem .6rem; border-radius: 1rem; background: #eee; font-weight: 600; }}
.state.waiting {{ background: #fff3c4; }} .state.published {{ background: #d4f5d4; }} .state.rejected {{ background: #fbd5d5; }}
.text {{ white-space: pre-wrap; border-left: 3px solid #ccc; padding: .5rem 1rem; background: #fafafa; }}
.actions {{ display: flex; gap: .75rem; margin-top: 1rem; }}
button {{ font: inherit; padding: .4rem 1.2rem; border-radius: .3rem; border: 1px solid #888; cursor: pointer; }}
button.approve {{ background: #1f7a1f; color: white; border-color: #1f7a1f; }}
button.reject {{ background: white; color: #a11; border-color: #a11; }}
</style>
</head>
<body>
<h1>Review: {topic}</h1>
<p class="meta">run <code>{run_id}</code>, {steps} {noun} done, {detail}</p>
<p>State: <span id="status" class="state {class}">{state}</span></p>
<h2>Draft</h2>
<div id="draft" class="text">{draft}</div>
{buttons}
{published}
{history}
</body>
</html>
"#,
        topic = escape(&doc.topic),
        run_id = escape(&report.run_id),
        steps = report.steps,
        noun = if report.steps == 1 { "step" } else { "steps" },
        class = if waiting { "waiting" } else { &report.state },
        state = escape(&report.state),
        draft = escape(&doc.draft),
    )
}

/// The run's checkpoints as a table, each step with a button that retries the run from there
/// (the first checkpoint of a step: an interrupt saves the same step again).
fn history(report: &Report) -> String {
    let mut rows = String::new();
    let mut last = None;
    for past in &report.history {
        let button = if last == Some(past.step) {
            String::new()
        } else {
            format!(
                r#"<form method="post" action="/retry/{step}"><button id="retry-{step}" class="retry" type="submit">Retry from here</button></form>"#,
                step = past.step
            )
        };
        last = Some(past.step);
        rows.push_str(&format!(
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{button}</td></tr>\n",
            past.step,
            escape(past.node.as_deref().unwrap_or("start")),
            escape(past.action.as_deref().unwrap_or("")),
            escape(&past.status),
        ));
    }
    format!(
        "<h2>History</h2>\n<table id=\"history\">\n<tr><th>step</th><th>node</th><th>action</th><th>status</th><th></th></tr>\n{rows}</table>"
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
