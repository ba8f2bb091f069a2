//! A fake OpenAI-compatible server on 127.0.0.1 for the agent's tests: it answers
//! `POST /v1/chat/completions` with canned replies and records what it was sent.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::llm::{LlmClient, LlmConfig};

/// What the fake server saw of one request.
pub struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    body: Value,
}

impl Seen {
    /// What the real API would reject in the request (the tests' client has key `test-key`
    /// and model `test-model`).
    fn problems(&self) -> Vec<&'static str> {
        let mut problems = Vec::new();
        if self.method != "POST" || self.path != "/v1/chat/completions" {
            problems.push("not POST /v1/chat/completions");
        }
        if self.authorization.as_deref() != Some("Bearer test-key") {
            problems.push("no `Authorization: Bearer test-key`");
        }
        if self.body["model"] != "test-model" {
            problems.push("model is not test-model");
        }
        let messages = self.body["messages"].as_array();
        if !messages.is_some_and(|messages| {
            !messages.is_empty()
                && messages
                    .iter()
                    .all(|m| m["role"].is_string() && m["content"].is_string())
        }) {
            problems.push("no messages with a role and a content");
        }
        problems
    }
}

/// What the server answers a request with; once they run out, it answers 500.
pub enum Reply {
    Content(&'static str),
    Status(u16),
}

/// An OpenAI-style server on 127.0.0.1 that answers each request with the next reply,
/// after checking it the way the real API would.
pub struct FakeOpenAi {
    base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeOpenAi {
    pub async fn start(replies: Vec<Reply>) -> FakeOpenAi {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let task = tokio::spawn(async move {
            let mut replies = replies.into_iter();
            while let Ok((mut stream, _)) = listener.accept().await {
                let Some(request) = read_request(&mut stream).await else {
                    continue;
                };
                let valid = request.problems().is_empty();
                log.lock().unwrap().push(request);
                let (status, body) = match replies.next() {
                    _ if !valid => (400, json!({ "error": { "message": "bad request" } })),
                    Some(Reply::Content(content)) => (200, completion(content)),
                    Some(Reply::Status(status)) => {
                        (status, json!({ "error": { "message": "overloaded" } }))
                    }
                    None => (500, json!({ "error": { "message": "no more replies" } })),
                };
                let body = body.to_string();
                let response = format!(
                    "HTTP/1.1 {status} Canned\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        FakeOpenAi {
            base_url,
            seen,
            task,
        }
    }

    pub fn client(&self) -> LlmClient {
        LlmClient::new(LlmConfig {
            api_key: "test-key".into(),
            base_url: self.base_url.clone(),
            model: "test-model".into(),
        })
        .unwrap()
    }

    /// The requests so far, each checked to be one the real API would accept.
    pub fn requests(&self) -> usize {
        let seen = self.seen.lock().unwrap();
        for (i, request) in seen.iter().enumerate() {
            let problems = request.problems();
            assert!(problems.is_empty(), "request {}: {problems:?}", i + 1);
        }
        seen.len()
    }

    /// The user message of request `i`.
    pub fn user_message(&self, i: usize) -> String {
        let seen = self.seen.lock().unwrap();
        seen[i].body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content },
            "finish_reason": "stop",
        }],
    })
}

/// Reads one HTTP/1.1 request with a `content-length` body.
async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (request_line.next()?, request_line.next()?);
    let mut length = 0;
    let mut authorization = None;
    for (name, value) in lines.filter_map(|line| line.split_once(':')) {
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => authorization = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok().filter(|&n| n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method: method.to_owned(),
        path: path.to_owned(),
        authorization,
        body: serde_json::from_slice(&buffer[head_end..head_end + length]).ok()?,
    })
}
