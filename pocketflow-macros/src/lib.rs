//! Procedural macros of [`pocketflow`](https://docs.rs/pocketflow). Use them through
//! `pocketflow::prelude::*`, not from this crate: the code they generate names
//! `::pocketflow::__private`.

mod action;
mod batch_flow;
mod diag;
mod duration;
mod flow;
mod impl_block;
mod node;
mod private;
#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// Makes a node of the phase methods of an inherent `impl` block.
///
/// The block holds up to four methods, each optional, each `fn` or `async fn`:
///
/// | method | takes (after `&self`) | returns |
/// |---|---|---|
/// | `prep` | `&S` or `&mut S`, then optionally `params: &P` | the prep value `T` |
/// | `exec` | `&T` (retried without `Clone`) or `T` (cloned per attempt), or nothing | the exec value `E` |
/// | `exec_fallback` | `&T` or `T`, then `pocketflow::Error` | `E` |
/// | `post` | `&mut S` or `&S`, `T`, `E`, then optionally `params: &P` (a prefix of these is fine) | the action |
///
/// Any phase may return a plain value or a `Result<_, E>` with `E: Into<Box<dyn Error + Send +
/// Sync>>`; an `Err` from `prep` or `post` ends the run, one from `exec` is retried. The macro
/// reads the return type's tokens: `Result<..>`, `io::Result<..>`, `anyhow::Result<..>` and
/// aliases named like `AppResult<..>` are results; spell any other alias as `Result<T, E>`. `post`
/// returns `()`, `&'static str`, `String`, `pocketflow::Action`, an enum with
/// `#[derive(Action)]`, or an `Option` of those. Missing phases do nothing (`prep` and `exec`
/// yield `()`; `post` returns the default action).
///
/// Arguments, all optional:
///
/// | key | meaning |
/// |---|---|
/// | `max_retries = N` | total `exec` attempts (default 1; 0 is an error) |
/// | `wait = "500ms"` | pause after the first failed attempt (units `ns`, `us`, `ms`, `s`, `m`, `h`) |
/// | `backoff = 2` | each later pause is this many times the one before (default 1) |
/// | `max_wait = "10s"` | the longest pause |
/// | `timeout = "30s"` | limit on one attempt of an `async fn exec`; a timed-out attempt is a failed one |
///
/// ```
/// use pocketflow::prelude::*;
///
/// struct Doc { text: String, summary: String }
/// struct Summarize;
///
/// #[node(max_retries = 3, wait = "10ms")]
/// impl Summarize {
///     fn prep(&self, doc: &Doc) -> String { doc.text.clone() }
///     async fn exec(&self, text: &String) -> Result<String, std::io::Error> {
///         Ok(text.split('.').next().unwrap_or_default().to_owned())
///     }
///     fn exec_fallback(&self, _text: &String, err: pocketflow::Error) -> String {
///         format!("(no summary: {err})")
///     }
///     fn post(&self, doc: &mut Doc, _text: String, summary: String) -> &'static str {
///         doc.summary = summary;
///         "done"
///     }
/// }
///
/// let mut doc = Doc { text: "First. Second.".into(), summary: String::new() };
/// assert_eq!(Summarize.run_blocking(&mut doc).unwrap(), "done");
/// assert_eq!(doc.summary, "First");
/// ```
#[proc_macro_attribute]
pub fn node(args: TokenStream, input: TokenStream) -> TokenStream {
    node::node(impl_block::Kind::Node, args.into(), input.into()).into()
}

/// Makes a batch node: `prep` returns any `IntoIterator` of items, `exec` runs once per item
/// (with its own retries and fallback), `post` receives the items and the results as `Vec`s in
/// item order.
///
/// Same methods and arguments as [`node`](macro@node); `exec` and `exec_fallback` take one item.
/// And, all optional:
///
/// | key | meaning |
/// |---|---|
/// | `parallel` | run the items' `exec` concurrently on the calling task (needs `async fn exec`) |
/// | `limit = N` | with `parallel`: at most N items in flight (default: no bound) |
/// | `distributed = "name"` | with `parallel`: a worker may run the items' `exec`; `name` (ASCII letters, digits, `_`, `-`, `.`) is what workers register the node under |
///
/// With `distributed = "name"`, inside `Queue::with_workers` the items go to workers and `prep`
/// and `post` stay with the caller; elsewhere the batch runs in-process like any parallel batch.
/// The items and `exec`'s results must be serde types, and pocketflow needs its `distributed`
/// feature: see [`pocketflow::distributed`](https://docs.rs/pocketflow/latest/pocketflow/distributed/).
///
/// ```
/// use pocketflow::prelude::*;
///
/// #[derive(Default)]
/// struct Shared { processed: Vec<String> }
/// struct WordProcessor;
///
/// #[batch_node]
/// impl WordProcessor {
///     fn prep(&self, _: &Shared) -> Vec<String> { vec!["apple".into(), "banana".into()] }
///     fn exec(&self, word: &str) -> String { word.to_uppercase() }
///     fn post(&self, s: &mut Shared, _words: Vec<String>, out: Vec<String>) { s.processed = out; }
/// }
///
/// let mut shared = Shared::default();
/// WordProcessor.run_blocking(&mut shared).unwrap();
/// assert_eq!(shared.processed, ["APPLE", "BANANA"]);
/// ```
#[proc_macro_attribute]
pub fn batch_node(args: TokenStream, input: TokenStream) -> TokenStream {
    node::node(impl_block::Kind::BatchNode, args.into(), input.into()).into()
}

/// Makes a batch flow: `prep` returns the items (any `IntoIterator`), and `.over(sub_flow)`
/// gives a node that runs `sub_flow` once per item, with the item as the sub-flow's params, then
/// `post`.
///
/// `prep(&self, shared: &S [, params: &P])` may take the batch flow's own params (how nested
/// batch flows build on the outer level); `post(&self, shared: &mut S, items: Vec<Item>
/// [, params: &P])` returns the batch flow's action. Arguments: `parallel` runs the sub-flow runs
/// concurrently on the calling task, sharing the one store (each `prep` and `post` has it to
/// itself); `limit = N` keeps at most N runs in flight.
///
/// ```
/// use pocketflow::prelude::*;
///
/// #[derive(Default)]
/// struct Shared { lines: Vec<String> }
///
/// struct EachName;
/// #[batch_flow]
/// impl EachName {
///     fn prep(&self, _: &Shared) -> Vec<&'static str> { vec!["ada", "grace"] }
/// }
///
/// struct Greet;
/// #[node]
/// impl Greet {
///     fn prep(&self, _: &Shared, name: &&'static str) -> String { format!("hello {name}") }
///     fn post(&self, shared: &mut Shared, line: String, _: ()) { shared.lines.push(line); }
/// }
///
/// let greet = Greet;
/// let all = EachName.over(flow! { greet });
/// let mut shared = Shared::default();
/// all.run_blocking(&mut shared).unwrap();
/// assert_eq!(shared.lines, ["hello ada", "hello grace"]);
/// ```
#[proc_macro_attribute]
pub fn batch_flow(args: TokenStream, input: TokenStream) -> TokenStream {
    batch_flow::batch_flow(args.into(), input.into()).into()
}

/// Wires nodes into a flow, checked at compile time and run as a static state machine.
///
/// Statements are separated by `;`: `a` (a lone node), `a >> b >> c` (default edges),
/// `a - "label" >> b` (a string action), `a - Verdict::Approve >> b` (a typed action). Names
/// are local variables holding nodes, moved into the flow; the first name is the start node.
/// The flow is a node itself: run it, or nest it in another flow. It returns the last action.
///
/// When a node returns an action with no edge, the flow ends (with a `tracing` warning if the
/// node has other edges). Unknown names, values that are not nodes, labels of the wrong kind,
/// edges wired twice and unreachable nodes are compile errors at the offending token.
///
/// ```
/// use pocketflow::prelude::*;
///
/// #[derive(Action, Clone, Copy, Debug, PartialEq)]
/// enum Verdict { Approve, #[default] Revise }
///
/// struct Review;
/// #[node]
/// impl Review {
///     fn post(&self, drafts: &mut u32) -> Verdict {
///         *drafts += 1;
///         if *drafts < 3 { Verdict::Revise } else { Verdict::Approve }
///     }
/// }
///
/// struct Publish;
/// #[node]
/// impl Publish {
///     fn post(&self, _: &mut u32) -> &'static str { "published" }
/// }
///
/// let review = Review;
/// let publish = Publish;
/// let flow = flow! {
///     review - Verdict::Approve >> publish;
///     review >> review; // the default action, `Verdict::Revise`
/// };
/// let mut drafts = 0;
/// assert_eq!(flow.run_blocking(&mut drafts).unwrap(), "published");
/// assert_eq!(drafts, 3);
/// ```
///
/// A bracketed list is a parallel group: its members run at the same time on the calling
/// task, each `prep` and `post` with the store to itself, and the group's edge is followed
/// once all of them are done. The first member to fail cancels the others. A group has at
/// least two members, each named once in the whole flow; its edges are plain, since it returns
/// the default action.
///
/// ```
/// use pocketflow::prelude::*;
///
/// struct Search(&'static str);
/// #[node]
/// impl Search {
///     async fn exec(&self) -> String {
///         tokio::task::yield_now().await; // a request, in a real search
///         format!("notes from {}", self.0)
///     }
///     fn post(&self, notes: &mut Vec<String>, _: (), found: String) { notes.push(found); }
/// }
///
/// struct Write;
/// #[node]
/// impl Write {
///     fn post(&self, notes: &mut Vec<String>) { notes.sort(); }
/// }
///
/// let (web, docs, write) = (Search("the web"), Search("the docs"), Write);
/// let research = flow! { [web, docs] >> write };
/// let mut notes = Vec::new();
/// research.run_blocking(&mut notes).unwrap();
/// assert_eq!(notes, ["notes from the docs", "notes from the web"]);
/// ```
#[proc_macro]
pub fn flow(input: TokenStream) -> TokenStream {
    flow::flow(input.into()).into()
}

/// Makes a fieldless enum a node's typed action type: each variant's label is its name in
/// snake_case (`NeedsReview` is `"needs_review"`), and the variant marked `#[default]` is what a
/// plain `a >> b` edge follows and what `None` means.
///
/// ```
/// use pocketflow::{Action, ActionType, DefaultAction};
///
/// #[derive(Action, Debug, PartialEq)]
/// enum Review { Approve, #[default] NeedsReview }
///
/// assert_eq!(Review::NeedsReview.label(), "needs_review");
/// assert_eq!(Review::default_action(), Review::NeedsReview);
/// ```
#[proc_macro_derive(Action, attributes(default))]
pub fn derive_action(input: TokenStream) -> TokenStream {
    action::derive(input.into()).into()
}
