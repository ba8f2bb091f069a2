//! Watching a run: its events as a stream, LLM tokens included (SPEC section 12).
//!
//! Any node or flow runs as a [`futures::Stream`] of [`Event`]s with
//! [`Run::stream`](crate::Run::stream): each step's start and end, the values its `exec`
//! emits through an [`Emitter`], its retries, a batch's progress, and a durable run's
//! checkpoints. The stream drives the run as it is polled: no task is spawned and nothing needs
//! `'static`; dropping the stream cancels the run.
//!
//! ```
//! use futures::StreamExt;
//! use pocketflow::prelude::*;
//! use pocketflow::stream::{Emitter, EventKind};
//!
//! #[derive(Default)]
//! struct Chat { question: String, answer: String }
//!
//! struct Answer;
//! #[node]
//! impl Answer {
//!     fn prep(&self, chat: &Chat) -> String { chat.question.clone() }
//!     async fn exec(&self, question: &String, tokens: &Emitter<String>) -> String {
//!         let mut answer = String::new();
//!         for word in question.split(' ').rev() {
//!             tokens.emit(format!("{word} "));
//!             answer.push_str(word);
//!         }
//!         answer
//!     }
//!     fn post(&self, chat: &mut Chat, _question: String, answer: String) { chat.answer = answer; }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let answer = Answer;
//! let agent = flow! { answer };
//! let mut chat = Chat { question: "world hello".into(), ..Chat::default() };
//! let mut events = agent.stream::<String>(&mut chat);
//! let mut seen = Vec::new();
//! while let Some(event) = events.next().await {
//!     match event.kind() {
//!         EventKind::Started => seen.push(format!("[{}]", event.path().join("/"))),
//!         EventKind::Emitted(token) => seen.push(token.clone()),
//!         EventKind::Finished { action } => seen.push(format!("done: {action}")),
//!         _ => {}
//!     }
//! }
//! events.finish().await.unwrap();
//! assert_eq!(seen, ["[answer]", "hello ", "world ", "done: default"]);
//! assert_eq!(chat.answer, "helloworld");
//! # });
//! ```

mod context;
mod emitter;
mod event;
mod events;
mod path;

pub use self::context::StreamOn;
pub use self::emitter::{Emits, Emitter, Silent};
#[doc(hidden)]
pub use self::emitter::{EmittedBy, Emitters, Reporter, SameEmits, emits_checks};
pub use self::event::{Event, EventKind};
pub use self::events::EventStream;

pub(crate) use self::context::stream_run;
#[cfg(feature = "durable")]
pub(crate) use self::context::{LastCommit, stream_layered};
