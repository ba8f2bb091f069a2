//! An answer streamed to the terminal token by token, as the model writes it (SPEC section 12):
//!
//! ```text
//! cargo run -p pocketflow-examples --example chat_stream -- "why is the sky blue?"
//! ```
//!
//! The `Answer` node's `exec` takes `&Emitter<String>` and emits each token as it arrives; the
//! flow runs as a stream (`flow.stream::<String>(&mut chat)`), and the terminal prints each
//! `Emitted` token, and each retry, as the events come.
//!
//! With `OPENAI_API_KEY` set (and optionally `OPENAI_BASE_URL` and `OPENAI_MODEL`), the tokens
//! come from an OpenAI-compatible `/chat/completions` with `"stream": true`: server-sent events
//! read with `eventsource-stream`, each `data:` a JSON chunk whose `choices[0].delta.content` is
//! the next piece of text, until `data: [DONE]`. Without it, a scripted model says its piece.

#[path = "agent/config.rs"]
mod config;

use std::io::Write;
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::{Stream, StreamExt};
use pocketflow::prelude::*;
use pocketflow::stream::{Emitter, EventKind};
use serde_json::{Value, json};

use config::LlmConfig;

#[derive(Debug, Default)]
struct Chat {
    question: String,
    answer: String,
}

/// Where the tokens come from.
enum Model {
    /// A model behind an OpenAI-compatible API.
    OpenAi {
        config: LlmConfig,
        http: reqwest::Client,
    },
    /// A canned answer, a word at a time: the example offline.
    Scripted,
}

impl Model {
    /// Streams the answer to `question`, calling `token` with each piece as it arrives, and
    /// returns the whole answer.
    async fn answer(&self, question: &str, token: impl FnMut(&str)) -> Result<String, String> {
        match self {
            Model::OpenAi { config, http } => {
                let url = config.endpoint();
                let request = json!({
                    "model": config.model,
                    "stream": true,
                    "messages": [{ "role": "user", "content": question }],
                });
                let response = http
                    .post(&url)
                    .bearer_auth(&config.api_key)
                    .json(&request)
                    .send()
                    .await
                    .map_err(|err| format!("POST {url}: {err}"))?;
                let status = response.status();
                if !status.is_success() {
                    let body = response.text().await.unwrap_or_default();
                    return Err(format!("POST {url}: {status}: {body}"));
                }
                read_tokens(response.bytes_stream(), token).await
            }
            Model::Scripted => {
                let mut token = token;
                let mut answer = String::new();
                let script = format!(
                    "You asked: \"{question}\". A scripted model has no answer of its own, \
                     but it streams like one: word by word, as a model writes."
                );
                for word in script.split_inclusive(' ') {
                    tokio::time::sleep(Duration::from_millis(40)).await;
                    token(word);
                    answer.push_str(word);
                }
                Ok(answer)
            }
        }
    }
}

/// Reads a `/chat/completions` stream of server-sent events: each `data:` is a JSON chunk whose
/// `choices[0].delta.content` (when present) is the next piece of the answer, and `[DONE]` ends
/// it. A multi-byte character split across two reads is put back together by the parser.
async fn read_tokens<B, E>(
    body: impl Stream<Item = Result<B, E>> + Unpin,
    mut token: impl FnMut(&str),
) -> Result<String, String>
where
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let mut events = body.eventsource();
    let mut answer = String::new();
    while let Some(event) = events.next().await {
        let event = event.map_err(|err| format!("the model's stream: {err}"))?;
        if event.data == "[DONE]" {
            return Ok(answer);
        }
        let chunk: Value = serde_json::from_str(&event.data)
            .map_err(|err| format!("a chunk of the model's stream is not JSON ({err})"))?;
        if let Some(piece) = chunk["choices"][0]["delta"]["content"].as_str() {
            token(piece);
            answer.push_str(piece);
        }
    }
    Err("the model's stream ended before [DONE]".into())
}

/// Answers the chat's question, emitting each token as it arrives.
struct Answer {
    model: Model,
}

#[node(max_retries = 2, wait = "1s")]
impl Answer {
    fn prep(&self, chat: &Chat) -> String {
        chat.question.clone()
    }

    async fn exec(&self, question: &String, tokens: &Emitter<String>) -> Result<String, String> {
        self.model
            .answer(question, |token| tokens.emit(token.to_owned()))
            .await
    }

    fn post(&self, chat: &mut Chat, _question: String, answer: String) {
        chat.answer = answer;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "why is the sky blue?".to_owned());
    let model = match LlmConfig::from_env() {
        Some(config) => Model::OpenAi {
            http: config.http()?,
            config,
        },
        None => {
            println!("Offline: OPENAI_API_KEY is not set, so a scripted model answers.");
            Model::Scripted
        }
    };
    let answer = Answer { model };
    let chat_flow = flow! { answer };
    let mut chat = Chat {
        question,
        ..Chat::default()
    };

    let mut events = chat_flow.stream::<String>(&mut chat);
    let mut out = std::io::stdout();
    while let Some(event) = events.next().await {
        match event.kind() {
            EventKind::Emitted(token) => write!(out, "{token}")?,
            EventKind::Retrying { attempt, error } => {
                writeln!(out, "\n[attempt {attempt} failed: {error}; retrying]")?;
            }
            _ => {}
        }
        out.flush()?;
    }
    writeln!(out)?;
    events.finish().await?;
    assert!(!chat.answer.is_empty());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorded `/chat/completions` stream, cut into the reads a client may get: a chunk
    /// split inside the two bytes of `é`, an event split across reads, a chunk with no
    /// content (the role), and `[DONE]`.
    fn recorded() -> Vec<&'static [u8]> {
        vec![
            b"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n",
            b"data: {\"choices\":[{\"delta\":{\"content\":\"caf\xc3",
            b"\xa9 \"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"au \"}}]}\n\n",
            b"data: {\"choices\":[{\"del",
            b"ta\":{\"content\":\"lait\"}}]}\n\n",
            b"data: [DONE]\n\n",
        ]
    }

    #[tokio::test]
    async fn a_recorded_stream_reads_back_token_by_token() {
        let reads = futures::stream::iter(recorded().into_iter().map(Ok::<_, String>));
        let mut tokens = Vec::new();
        let answer = read_tokens(reads, |token| tokens.push(token.to_owned()))
            .await
            .unwrap();
        assert_eq!(tokens, ["café ", "au ", "lait"]);
        assert_eq!(answer, "café au lait");
    }

    #[tokio::test]
    async fn a_stream_without_done_is_an_error() {
        let reads =
            futures::stream::iter(recorded()[..4].to_vec().into_iter().map(Ok::<_, String>));
        let error = read_tokens(reads, |_| {}).await.unwrap_err();
        assert_eq!(error, "the model's stream ended before [DONE]");
    }

    /// The example end to end against a local server that replays the recorded stream in
    /// separate writes: the flow streams each token as an `Emitted` event, in order.
    #[tokio::test]
    async fn the_flow_streams_the_tokens_a_server_sends() {
        use axum::body::{Body, Bytes};
        use axum::http::header;
        use axum::response::IntoResponse;

        async fn completions() -> impl IntoResponse {
            let reads = futures::stream::iter(recorded()).then(|read| async move {
                // One write per read, apart in time, so the client sees them one by one.
                tokio::time::sleep(Duration::from_millis(5)).await;
                Ok::<_, std::convert::Infallible>(Bytes::from_static(read))
            });
            (
                [(header::CONTENT_TYPE, "text/event-stream")],
                Body::from_stream(reads),
            )
        }
        let app =
            axum::Router::new().route("/v1/chat/completions", axum::routing::post(completions));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });

        let config = LlmConfig {
            api_key: "test-key".into(),
            base_url: format!("http://{address}/v1"),
            model: "test-model".into(),
        };
        let answer = Answer {
            model: Model::OpenAi {
                http: config.http().unwrap(),
                config,
            },
        };
        let chat_flow = flow! { answer };
        let mut chat = Chat {
            question: "coffee?".into(),
            ..Chat::default()
        };
        let tokens: Vec<String> = chat_flow
            .stream::<String>(&mut chat)
            .filter_map(|event| async move {
                match event.into_kind() {
                    EventKind::Emitted(token) => Some(token),
                    _ => None,
                }
            })
            .collect()
            .await;
        assert_eq!(tokens, ["café ", "au ", "lait"]);
        assert_eq!(chat.answer, "café au lait");
    }
}
