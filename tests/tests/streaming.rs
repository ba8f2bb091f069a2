//! Streamed runs (SPEC section 12): the events of a run in order, with their paths and items.

use futures::StreamExt;
use pocketflow::prelude::*;
use pocketflow::stream::{Emitter, Event, EventKind};

#[derive(Default)]
struct Chat {
    question: String,
    answer: String,
    log: Vec<String>,
}

struct Decide;
#[node]
impl Decide {
    fn post(&self, chat: &mut Chat) -> &'static str {
        if chat.log.is_empty() {
            "search"
        } else {
            "answer"
        }
    }
}

struct Search;
#[node]
impl Search {
    fn post(&self, chat: &mut Chat) {
        chat.log.push("searched".into());
    }
}

struct Answer;
#[node(max_retries = 2)]
impl Answer {
    fn prep(&self, chat: &Chat) -> String {
        chat.question.clone()
    }
    async fn exec(&self, question: &String, tokens: &Emitter<String>) -> String {
        let mut answer = String::new();
        for word in question.split(' ') {
            tokens.emit(word.to_owned());
            tokio::task::yield_now().await;
            answer.push_str(word);
        }
        answer
    }
    fn post(&self, chat: &mut Chat, _q: String, answer: String) {
        chat.answer = answer;
    }
}

/// Each event as one line: `path kind`.
fn line<T: std::fmt::Debug>(event: &Event<T>) -> String {
    let what = match event.kind() {
        EventKind::Started => "started".to_owned(),
        EventKind::Emitted(value) => format!("emitted {value:?}"),
        EventKind::Retrying { attempt, error } => format!("retrying {attempt} {error}"),
        EventKind::Progress { done, total } => format!("progress {done}/{total}"),
        EventKind::Finished { action } => format!("finished {action}"),
        EventKind::Checkpoint { step } => format!("checkpoint {step}"),
        EventKind::Failed { error } => format!("failed {error}"),
        _ => "other".to_owned(),
    };
    let item = event.item().map(|i| format!("#{i} ")).unwrap_or_default();
    format!("{} {item}{what}", event.path().join("/"))
}

#[tokio::test]
async fn a_flow_streams_its_steps_and_tokens_in_order() {
    let (decide, search, answer) = (Decide, Search, Answer);
    let agent =
        flow! { decide - "answer" >> answer; decide - "search" >> search; search >> decide };
    let mut chat = Chat {
        question: "hello streamed world".into(),
        ..Chat::default()
    };
    let mut events = agent.stream::<String>(&mut chat);
    let mut lines = Vec::new();
    while let Some(event) = events.next().await {
        lines.push(line(&event));
    }
    let action = events.finish().await.unwrap();
    assert_eq!(action, Action::DEFAULT);
    assert_eq!(
        lines,
        [
            "decide started",
            "decide finished search",
            "search started",
            "search finished default",
            "decide started",
            "decide finished answer",
            "answer started",
            "answer emitted \"hello\"",
            "answer emitted \"streamed\"",
            "answer emitted \"world\"",
            "answer finished default",
        ]
    );
    assert_eq!(chat.answer, "hellostreamedworld");
}
