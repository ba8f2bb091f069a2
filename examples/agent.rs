//! PocketFlow's agent pattern: a flow that loops `decide -> search -> decide ...` until the
//! decider chooses to answer.
//!
//! ```text
//! cargo run --example agent                          # the default question about this project
//! cargo run --example agent -- "How do I cap a parallel batch?"
//! cargo run --example agent -- --mermaid             # also print the flow as a Mermaid chart
//! ```
//!
//! The tool is a real ranked keyword search: BM25 (k1 = 1.2, b = 0.75) over paragraph-sized
//! chunks of this workspace's own docs (README.md, BENCHMARKS.md and the crate docs of
//! `pocketflow` and `pocketflow-macros`).
//!
//! With `OPENAI_API_KEY` set (and optionally `OPENAI_BASE_URL`, default
//! `https://api.openai.com/v1`, and `OPENAI_MODEL`, default `gpt-4o-mini`), a model behind an
//! OpenAI-compatible `/chat/completions` endpoint decides and answers; its calls are retried with
//! backoff and, when they keep failing, the node's `exec_fallback` hands over to the rules.
//! Without the key the example runs offline: it searches for the question's keywords, searches
//! once more with words from the best passage when that passage scored well, then answers by
//! quoting the best passages.

// The crate root is this file, so its modules are found next to it unless told otherwise.
#[path = "agent/bm25.rs"]
mod bm25;
#[path = "agent/config.rs"]
mod config;
#[cfg(test)]
#[path = "agent/fake_openai.rs"]
mod fake_openai;
#[path = "agent/llm.rs"]
mod llm;
#[cfg(test)]
#[path = "agent/tests.rs"]
mod tests;

use std::collections::HashMap;
use std::path::Path;

use pocketflow::prelude::*;

use bm25::{Hit, Index, tokenize};
use llm::{LlmClient, LlmConfig, one_line, parse_decision};

const DEFAULT_QUESTION: &str =
    "How does a node retry a failed exec, and what happens after the last attempt?";

/// Hits kept per search.
const TOP_K: usize = 4;
/// The score from which a hit counts as relevant to the offline rules.
const MIN_SCORE: f64 = 4.0;
/// Searches the offline rules run at most.
const OFFLINE_SEARCHES: usize = 2;
/// Searches the model may ask for before the decider answers without asking it.
const MAX_SEARCHES: usize = 3;
/// A guard that never fires while the search budget holds: every search is preceded by a
/// decision, and the last decision leads to the answer.
const MAX_STEPS: u64 = 2 * MAX_SEARCHES as u64 + 2;

/// What the decider chooses; `Answer` is the default (what a plain `>>` edge would follow).
#[derive(Action, Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    Search,
    #[default]
    Answer,
}

/// One search the agent ran, with its hits, best first.
#[derive(Debug, Clone)]
struct Round {
    query: String,
    hits: Vec<Hit>,
}

#[derive(Default)]
struct Shared {
    question: String,
    /// The decider's query for the search it chose.
    next_query: Option<String>,
    searches: Vec<Round>,
    answer: Option<String>,
    /// Every line the agent printed.
    trace: Vec<String>,
    steps: usize,
}

impl Shared {
    fn new(question: &str) -> Shared {
        Shared {
            question: question.to_owned(),
            ..Shared::default()
        }
    }

    fn say(&mut self, line: String) {
        println!("{line}");
        self.trace.push(line);
    }

    fn step(&mut self, node: &str, what: String) {
        self.steps += 1;
        self.say(format!("[{}] {node:<6} {what}", self.steps));
    }
}

/// Who decides and answers: the rules, or a model.
#[derive(Clone)]
enum Brain {
    Offline,
    Online(LlmClient),
}

/// What the decider sees.
struct Situation {
    question: String,
    searches: Vec<Round>,
}

/// What the decider chose, and why (for the trace).
struct Choice {
    decision: Decision,
    query: Option<String>,
    why: String,
}

impl Choice {
    fn search(query: String, why: String) -> Choice {
        Choice {
            decision: Decision::Search,
            query: Some(query),
            why,
        }
    }

    fn answer(why: String) -> Choice {
        Choice {
            decision: Decision::Answer,
            query: None,
            why,
        }
    }
}

struct Decide {
    brain: Brain,
}

#[node(max_retries = 3, wait = "1s", backoff = 2, timeout = "60s")]
impl Decide {
    fn prep(&self, shared: &Shared) -> Situation {
        Situation {
            question: shared.question.clone(),
            searches: shared.searches.clone(),
        }
    }

    async fn exec(&self, situation: &Situation) -> Result<Choice, String> {
        if situation.searches.len() >= MAX_SEARCHES {
            return Ok(Choice::answer(format!(
                "the search budget ({MAX_SEARCHES}) is spent"
            )));
        }
        match &self.brain {
            Brain::Offline => Ok(decide_by_rules(situation)),
            Brain::Online(llm) => decide_by_model(llm, situation).await,
        }
    }

    fn exec_fallback(&self, situation: &Situation, err: pocketflow::Error) -> Choice {
        let mut choice = decide_by_rules(situation);
        choice.why = format!("rule-based fallback after: {err}");
        choice
    }

    fn post(&self, shared: &mut Shared, _situation: Situation, choice: Choice) -> Decision {
        let what = match &choice.query {
            Some(query) => format!("search {query:?}  ({})", choice.why),
            None => format!("answer  ({})", choice.why),
        };
        shared.step("decide", what);
        shared.next_query = choice.query;
        choice.decision
    }
}

struct Search {
    index: Index,
}

#[node]
impl Search {
    fn prep(&self, shared: &mut Shared) -> String {
        shared
            .next_query
            .take()
            .unwrap_or_else(|| keywords(&shared.question))
    }

    fn exec(&self, query: &String) -> Vec<Hit> {
        self.index.search(query, TOP_K)
    }

    fn post(&self, shared: &mut Shared, query: String, hits: Vec<Hit>) {
        shared.step("search", format!("{query:?}: {} hits", hits.len()));
        for hit in &hits {
            let line = format!(
                "         {:6.2}  {}: {}",
                hit.score,
                hit.source,
                one_line(&hit.text, 70)
            );
            shared.say(line);
        }
        shared.searches.push(Round { query, hits });
    }
}

/// What the answerer sees: the question and the best passages of all searches.
struct Brief {
    question: String,
    passages: Vec<Hit>,
}

struct Answer {
    brain: Brain,
}

#[node(max_retries = 3, wait = "1s", backoff = 2, timeout = "120s")]
impl Answer {
    fn prep(&self, shared: &Shared) -> Brief {
        Brief {
            question: shared.question.clone(),
            passages: best_passages(&shared.searches, 5),
        }
    }

    async fn exec(&self, brief: &Brief) -> Result<String, String> {
        match &self.brain {
            Brain::Offline => Ok(quote_passages(brief)),
            Brain::Online(llm) => llm.chat(ANSWER_SYSTEM, &answer_prompt(brief)).await,
        }
    }

    fn exec_fallback(&self, brief: &Brief, err: pocketflow::Error) -> String {
        format!(
            "(The model failed: {err}. Quoting the docs instead.)\n\n{}",
            quote_passages(brief)
        )
    }

    fn post(&self, shared: &mut Shared, brief: Brief, answer: String) {
        let what = format!("from {} passages", brief.passages.len());
        shared.step("answer", what);
        shared.answer = Some(answer);
    }
}

/// The agent: decide, search, decide ... answer.
fn agent_flow(brain: Brain, index: Index) -> impl Node<Shared> + Flow {
    let decide = Decide {
        brain: brain.clone(),
    };
    let search = Search { index };
    let answer = Answer { brain };
    flow! {
        decide - Decision::Search >> search;
        decide - Decision::Answer >> answer;
        search >> decide;
    }
    .with_max_steps(MAX_STEPS)
}

/// The words of `text` the search uses, each once.
fn keywords(text: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for word in tokenize(text) {
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words.join(" ")
}

/// The offline decider: search for the question; search once more, with the question's
/// keywords and the three most frequent new words of the best passage, if that passage
/// scored at least [`MIN_SCORE`]; else answer.
fn decide_by_rules(situation: &Situation) -> Choice {
    let Some(last) = situation.searches.last() else {
        let query = keywords(&situation.question);
        return Choice::search(query, "no search yet: the question's keywords".into());
    };
    let done = situation.searches.len();
    let best = last.hits.first();
    let best_score = best.map_or(0.0, |hit| hit.score);
    match best {
        _ if done >= OFFLINE_SEARCHES => Choice::answer(format!("{done} searches done")),
        Some(best) if best_score >= MIN_SCORE => {
            let query = keywords(&situation.question);
            let known: Vec<&str> = query.split(' ').collect();
            let mut counts: Vec<(String, usize)> = Vec::new();
            for word in tokenize(&best.text) {
                let numeric = word.chars().all(|c| c.is_ascii_digit());
                if word.len() < 3 || numeric || known.contains(&word.as_str()) {
                    continue;
                }
                match counts.iter_mut().find(|(seen, _)| *seen == word) {
                    Some((_, count)) => *count += 1,
                    None => counts.push((word, 1)),
                }
            }
            // Most frequent first; a stable sort keeps ties in order of appearance.
            counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
            let extra: Vec<String> = counts.into_iter().take(3).map(|(word, _)| word).collect();
            let why =
                format!("best hit scored {best_score:.2} >= {MIN_SCORE}: add its words {extra:?}");
            Choice::search(format!("{query} {}", extra.join(" ")), why)
        }
        _ => Choice::answer(format!(
            "best hit scored {best_score:.2} < {MIN_SCORE}: the same words again will not help"
        )),
    }
}

const DECIDE_SYSTEM: &str = "You are the decision step of an agent that answers questions about \
the `pocketflow` Rust crate (a port of PocketFlow) with a keyword search (BM25) over the project's \
documentation. Reply with exactly one line, nothing else: `SEARCH: <keywords>` to run a search, \
or `ANSWER` when the passages found so far are enough to answer, or when more searching will not help.";

const ANSWER_SYSTEM: &str = "You answer questions about the `pocketflow` Rust crate using only \
the numbered passages of its documentation that you are given. Be brief and concrete, cite \
passages as [1], [2], and say so when the passages do not contain the answer.";

async fn decide_by_model(llm: &LlmClient, situation: &Situation) -> Result<Choice, String> {
    let mut prompt = format!("Question: {}\n\n", situation.question);
    if situation.searches.is_empty() {
        prompt.push_str("No searches yet.\n");
    }
    for (i, round) in situation.searches.iter().enumerate() {
        prompt += &format!("Search {} for {:?}:\n", i + 1, round.query);
        if round.hits.is_empty() {
            prompt.push_str("  (no hits)\n");
        }
        for hit in &round.hits {
            let text = one_line(&hit.text, 300);
            prompt += &format!("  [score {:.2}] {}: {text}\n", hit.score, hit.source);
        }
    }
    let left = MAX_SEARCHES - situation.searches.len();
    prompt += &format!("\nYou may run {left} more search(es). SEARCH or ANSWER?");
    let reply = llm.chat(DECIDE_SYSTEM, &prompt).await?;
    let (decision, query) = parse_decision(&reply)?;
    let why = format!("model said {:?}", one_line(&reply, 60));
    Ok(match decision {
        Decision::Search => {
            Choice::search(query.unwrap_or_else(|| keywords(&situation.question)), why)
        }
        Decision::Answer => Choice::answer(why),
    })
}

/// The `n` best distinct passages of all searches, best first.
fn best_passages(searches: &[Round], n: usize) -> Vec<Hit> {
    let mut best: HashMap<(&str, &str), &Hit> = HashMap::new();
    for hit in searches.iter().flat_map(|round| &round.hits) {
        let seen = best
            .entry((hit.source.as_str(), hit.text.as_str()))
            .or_insert(hit);
        if hit.score > seen.score {
            *seen = hit;
        }
    }
    let mut passages: Vec<Hit> = best.into_values().cloned().collect();
    passages.sort_by(|a, b| {
        (b.score.total_cmp(&a.score))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.text.cmp(&b.text))
    });
    passages.truncate(n);
    passages
}

fn answer_prompt(brief: &Brief) -> String {
    let mut prompt = format!("Question: {}\n\nPassages:\n", brief.question);
    for (i, hit) in brief.passages.iter().enumerate() {
        prompt += &format!("\n[{}] ({})\n{}\n", i + 1, hit.source, hit.text);
    }
    prompt
}

/// The offline answer: the (up to three) relevant passages, quoted.
fn quote_passages(brief: &Brief) -> String {
    let relevant: Vec<&Hit> = brief
        .passages
        .iter()
        .filter(|hit| hit.score >= MIN_SCORE)
        .take(3)
        .collect();
    if relevant.is_empty() {
        return format!(
            "The docs have no passage that matches {:?} well; try other words.",
            brief.question
        );
    }
    let mut answer = String::from("The passages of the docs that best match the question:\n");
    for (i, hit) in relevant.iter().enumerate() {
        answer += &format!("\n[{}] {} (score {:.2})\n", i + 1, hit.source, hit.score);
        let text = if hit.text.chars().count() > 700 {
            one_line(&hit.text, 700)
        } else {
            hit.text.clone()
        };
        for line in text.lines() {
            answer += &format!("    {line}\n");
        }
    }
    answer
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut mermaid = false;
    let mut words = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--mermaid" => mermaid = true,
            _ => words.push(arg),
        }
    }
    let question = if words.is_empty() {
        DEFAULT_QUESTION.to_owned()
    } else {
        words.join(" ")
    };

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (chunks, notes) = bm25::load_docs(&root);
    for note in notes {
        eprintln!("note: {note}");
    }
    let index = Index::new(chunks);
    println!(
        "Indexed {} passages of README.md, BENCHMARKS.md and the crate docs.",
        index.len()
    );

    let brain = match LlmConfig::from_env() {
        Some(config) => {
            println!("Online: model {} at {}.", config.model, config.base_url);
            Brain::Online(LlmClient::new(config)?)
        }
        None => {
            println!("Offline: OPENAI_API_KEY is not set, so rules decide and answer.");
            Brain::Offline
        }
    };
    let agent = agent_flow(brain, index);
    if mermaid {
        println!("\n{}", agent.to_mermaid());
    }

    println!("\nQuestion: {question}\n");
    let mut shared = Shared::new(&question);
    agent.run(&mut shared).await?;
    println!(
        "\nAnswer:\n{}",
        shared.answer.as_deref().unwrap_or("(none)")
    );
    Ok(())
}
