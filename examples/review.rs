//! A person in the loop: a durable run waits at an interrupt until a web page's Approve button
//! resumes it.
//!
//! ```text
//! cargo run -p pocketflow-examples --example review --features durable
//! cargo run -p pocketflow-examples --example review --features durable -- --port 8080 "durable runs"
//! cargo run -p pocketflow-examples --example review --features durable -- --db /tmp/mine/runs.db
//! ```
//!
//! The flow is `write >> ask >> publish` on a [`Doc`](flow::Doc). `write` drafts a text about
//! the topic (offline, the same every time); `ask` returns `pocketflow::Interrupt` while the
//! document has no answer, so the durable run stops before it with `Outcome::Interrupted` and
//! its checkpoint saved; `publish` writes the final text when the draft was approved.
//!
//! An axum server on 127.0.0.1 (port 3000, or `--port N`, or the `PORT` variable) serves the
//! page: `GET /` shows the draft, the run's state and Approve / Reject buttons; the buttons post
//! to `/approve` or `/reject`, which edit the saved store with `DurableRun::update` and resume
//! the run in the background; `GET /status` gives the state as JSON. The page has no login:
//! [`web::SameOrigin`] refuses (403) a request whose `Host` is not this server and a POST that
//! does not come from the page itself, so that other sites cannot press the buttons. Behind a
//! reverse proxy that authenticates, `--origin https://review.example.com` names the address
//! the proxy serves it at.
//!
//! The checkpoints live in an SQLite file: `--db PATH`, or the `REVIEW_DB` variable, or by
//! default `pocketflow-review/runs.db` under `$XDG_STATE_HOME` or `~/.local/state`
//! ([`flow::default_db`]), its directory created owner-only by [`flow::open_db`].

#[path = "review/flow.rs"]
mod flow;
#[path = "review/web.rs"]
mod web;

use std::path::PathBuf;

use pocketflow::durable::Outcome;

const DEFAULT_PORT: u16 = 3000;
const DEFAULT_TOPIC: &str = "durable runs in pocketflow";

const USAGE: &str = "usage: review [--port N] [--run-id ID] [--db PATH] [--origin URL] [TOPIC]";

/// The command line: `[--port N] [--run-id ID] [--db PATH] [--origin URL] [TOPIC]`.
struct Args {
    port: u16,
    run_id: String,
    db: PathBuf,
    origin: Option<String>,
    topic: String,
}

fn parse_args() -> Result<Args, String> {
    let mut port = match std::env::var("PORT") {
        Ok(text) => parse_port(&text)?,
        Err(_) => DEFAULT_PORT,
    };
    let mut run_id = "review-1".to_owned();
    let mut db = std::env::var_os("REVIEW_DB")
        .filter(|path| !path.is_empty())
        .map(PathBuf::from);
    let mut origin = None;
    let mut topic = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = parse_port(&args.next().ok_or("--port needs a number")?)?,
            "--run-id" => run_id = args.next().ok_or("--run-id needs an id")?,
            "--db" => db = Some(args.next().ok_or("--db needs a path")?.into()),
            "--origin" => origin = Some(args.next().ok_or("--origin needs a url")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            _ => topic.push(arg),
        }
    }
    let topic = if topic.is_empty() {
        DEFAULT_TOPIC.to_owned()
    } else {
        topic.join(" ")
    };
    Ok(Args {
        port,
        run_id,
        db: db.unwrap_or_else(flow::default_db),
        origin,
        topic,
    })
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("not a port number: {text:?}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    // Loopback only: anyone who reaches the page can press its buttons.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    let address = listener.local_addr()?;
    let mut allowed = web::SameOrigin::loopback(address.port());
    if let Some(origin) = &args.origin {
        allowed = allowed.with_public(origin)?;
    }
    let db = flow::open_db(&args.db).await?;
    println!("runs are kept in {}", args.db.display());
    let review = flow::Review::new(db, args.run_id);
    match review.start(&args.topic).await? {
        Outcome::Interrupted(why) => println!("the run waits at {}: {}", why.node(), why.reason()),
        Outcome::Finished(action) => println!("the run has finished: {action}"),
    }
    println!("review the draft at http://{address}/");
    axum::serve(listener, web::router(review, allowed)).await?;
    Ok(())
}
