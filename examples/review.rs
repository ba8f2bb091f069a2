//! A person in the loop: a durable run waits at an interrupt until a web page's Approve button
//! resumes it.
//!
//! ```text
//! cargo run -p pocketflow-examples --example review --features durable
//! cargo run -p pocketflow-examples --example review --features durable -- --port 8080 "durable runs"
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
//! the run in the background; `GET /status` gives the state as JSON. The checkpoints live in
//! the backend that `flow::open_db` opens (one line to change).

#[path = "review/flow.rs"]
mod flow;
#[path = "review/web.rs"]
mod web;

use pocketflow::durable::Outcome;

const DEFAULT_PORT: u16 = 3000;
const DEFAULT_TOPIC: &str = "durable runs in pocketflow";

/// The command line: `[--port N] [--run-id ID] [TOPIC]`.
struct Args {
    port: u16,
    run_id: String,
    topic: String,
}

fn parse_args() -> Result<Args, String> {
    let mut port = match std::env::var("PORT") {
        Ok(text) => parse_port(&text)?,
        Err(_) => DEFAULT_PORT,
    };
    let mut run_id = "review-1".to_owned();
    let mut topic = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = parse_port(&args.next().ok_or("--port needs a number")?)?,
            "--run-id" => run_id = args.next().ok_or("--run-id needs an id")?,
            "-h" | "--help" => {
                return Err("usage: review [--port N] [--run-id ID] [TOPIC]".to_owned());
            }
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
    let db = flow::open_db().await?;
    let review = flow::Review::new(db, args.run_id);
    match review.start(&args.topic).await? {
        Outcome::Interrupted(why) => println!("the run waits at {}: {}", why.node(), why.reason()),
        Outcome::Finished(action) => println!("the run has finished: {action}"),
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("review the draft at http://{}/", listener.local_addr()?);
    axum::serve(listener, web::router(review)).await?;
    Ok(())
}
