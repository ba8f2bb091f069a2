//! A run you can watch in a browser (SPEC section 12): a page where a person starts a parallel
//! batch flow of ten translations (three at a time) and watches it over server-sent events, a
//! row per translation filling with its tokens, a progress bar, and the result.
//!
//! ```text
//! cargo run -p pocketflow-examples --example live --features web   # http://127.0.0.1:3001/
//! ```
//!
//! The server streams a new run per `GET /events`: `translations.stream::<String>(&mut book)`,
//! each `Event` sent as its JSON (`{"path":..,"item":..,"kind":"emitted","value":..}`).

#[path = "live/web.rs"]
mod web;

use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3001);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("Open http://{}/ and press Start.", listener.local_addr()?);
    axum::serve(listener, web::router(Duration::from_millis(150))).await?;
    Ok(())
}
