//! Parallel branches: plan a search, look in two places at the same time, then write.
//!
//! ```text
//! plan >> [web, docs] >> write;       web and docs run at once; write after both
//! write - "again" >> plan;            nothing found: plan again with fewer words
//! ```
//!
//! Run with `cargo run --example research` (or add a question: `cargo run --example research --
//! "how are retries timed"`). `web` searches a small built-in set of pages behind a pretend
//! 150 ms network; `docs` searches this repository's own documentation (README, guide,
//! ARCHITECTURE) on disk, behind a pretend 100 ms index. Both run in the same 150 ms:
//!
//! ```text
//! plan: searching for ["parallel", "batch", "flows", "share", "store"]
//! web: 2 pages, docs: 3 passages, in 151 ms (one after the other: 250 ms per plan)
//!
//! # How do parallel batch flows share the store?
//!
//! ## From the web
//! - Parallel batch flows run one sub-flow per item; in Python they share one dict and race.
//! ...
//! ```

use std::path::Path;
use std::time::Duration;

use pocketflow::prelude::*;
use tokio::time::{Instant, sleep};

/// The shared store: the question, what each search found, the report.
#[derive(Default, Debug)]
struct Research {
    question: String,
    /// The words searched for; a new plan drops the last one.
    words: Vec<String>,
    web: Vec<String>,
    docs: Vec<String>,
    report: String,
    plans: u32,
}

const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "can", "do", "does", "for", "how", "i", "in", "is", "of", "on", "the",
    "to", "what", "when", "why", "with",
];

/// Picks the words to search for: the question's, less the stop words; on a second plan, one
/// fewer.
struct Plan;

#[node]
impl Plan {
    fn prep(&self, research: &Research) -> (String, u32) {
        (research.question.clone(), research.plans)
    }

    fn exec(&self, (question, plans): &(String, u32)) -> Vec<String> {
        let mut words: Vec<String> = question
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|word| word.len() > 1 && !STOP_WORDS.contains(&word.as_str()))
            .collect();
        words.truncate(words.len().saturating_sub(*plans as usize).max(1));
        words
    }

    fn post(&self, research: &mut Research, _: (String, u32), words: Vec<String>) {
        println!("plan: searching for {words:?}");
        research.words = words;
        research.plans += 1;
    }
}

/// How many of `words` `text` contains.
fn score(text: &str, words: &[String]) -> usize {
    let text = text.to_lowercase();
    words
        .iter()
        .filter(|word| text.contains(word.as_str()))
        .count()
}

/// The texts that contain at least half the words (and one), best first, at most `keep`.
fn best<'t>(texts: impl Iterator<Item = &'t str>, words: &[String], keep: usize) -> Vec<String> {
    let needed = words.len().div_ceil(2).max(1);
    let mut scored: Vec<(usize, &str)> = texts
        .map(|text| (score(text, words), text))
        .filter(|(score, _)| *score >= needed)
        .collect();
    // Best first; the same text found twice (README and guide share some) once.
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(keep)
        .map(|(_, text)| text.trim().to_owned())
        .collect()
}

/// Pages of a pretend web, behind a pretend network.
const PAGES: &[&str] = &[
    "PocketFlow: a 100-line framework for LLM workflows, with nodes, flows and batch flows.",
    "Parallel batch flows run one sub-flow per item; in Python they share one dict and race.",
    "Retries in PocketFlow: max_retries and wait, with exec_fallback after the last attempt.",
    "LangGraph parallel edges fan out to several nodes and join at the next super-step.",
    "A shared store guarded by a lock keeps parallel updates from being lost.",
    "Server-sent events stream tokens from an LLM to a browser as they arrive.",
];

/// Searches the pretend web.
struct SearchWeb {
    latency: Duration,
}

#[node]
impl SearchWeb {
    fn prep(&self, research: &Research) -> Vec<String> {
        research.words.clone()
    }

    async fn exec(&self, words: &Vec<String>) -> Vec<String> {
        sleep(self.latency).await;
        best(PAGES.iter().copied(), words, 2)
    }

    fn post(&self, research: &mut Research, _: Vec<String>, pages: Vec<String>) {
        research.web = pages;
    }
}

/// Searches this repository's own documentation, a paragraph at a time.
struct SearchDocs {
    latency: Duration,
}

#[node]
impl SearchDocs {
    fn prep(&self, research: &Research) -> Vec<String> {
        research.words.clone()
    }

    async fn exec(&self, words: &Vec<String>) -> Result<Vec<String>, std::io::Error> {
        sleep(self.latency).await;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut text = String::new();
        for file in ["README.md", "pocketflow/src/guide.md", "ARCHITECTURE.md"] {
            text.push_str(&std::fs::read_to_string(root.join(file))?);
            text.push_str("\n\n");
        }
        let paragraphs = text
            .split("\n\n")
            .map(str::trim)
            .filter(|paragraph| !paragraph.starts_with(['#', '|']) && !paragraph.contains("```"));
        Ok(best(paragraphs, words, 3))
    }

    fn post(&self, research: &mut Research, _: Vec<String>, passages: Vec<String>) {
        research.docs = passages;
    }
}

/// Writes the report from both searches, or asks for another plan when they found nothing.
struct Write;

#[node]
impl Write {
    fn post(&self, research: &mut Research) -> &'static str {
        if research.web.is_empty() && research.docs.is_empty() && research.plans < 3 {
            return "again";
        }
        let mut report = format!("# {}\n", research.question);
        for (heading, found) in [
            ("From the web", &research.web),
            ("From the docs", &research.docs),
        ] {
            report.push_str(&format!("\n## {heading}\n"));
            if found.is_empty() {
                report.push_str("- nothing found\n");
            }
            for text in found {
                let text = text.trim_start_matches("- ");
                let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let short: String = line.chars().take(160).collect();
                report.push_str(&format!("- {short}\n"));
            }
        }
        research.report = report;
        "done"
    }
}

/// The research flow: the searches behind the given latencies.
fn research(web_latency: Duration, docs_latency: Duration) -> impl Node<Research> + Flow {
    let plan = Plan;
    let web = SearchWeb {
        latency: web_latency,
    };
    let docs = SearchDocs {
        latency: docs_latency,
    };
    let write = Write;
    flow! {
        plan >> [web, docs] >> write;
        write - "again" >> plan;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> pocketflow::Result<()> {
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "How do parallel batch flows share the store?".to_owned());
    let flow = research(Duration::from_millis(150), Duration::from_millis(100));
    println!("{}", flow.to_mermaid());
    let mut shared = Research {
        question,
        ..Research::default()
    };
    let started = Instant::now();
    flow.run(&mut shared).await?;
    println!(
        "web: {} pages, docs: {} passages, in {} ms (one after the other: 250 ms per plan)\n",
        shared.web.len(),
        shared.docs.len(),
        started.elapsed().as_millis()
    );
    println!("{}", shared.report);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn both_searches_run_at_once_and_the_report_has_both() {
        let flow = research(Duration::from_millis(150), Duration::from_millis(100));
        let mut shared = Research {
            question: "How do parallel batch flows share the store?".to_owned(),
            ..Research::default()
        };
        let started = Instant::now();
        assert_eq!(flow.run(&mut shared).await.unwrap(), "done");
        assert_eq!(started.elapsed(), Duration::from_millis(150));
        assert_eq!(
            shared.words,
            ["parallel", "batch", "flows", "share", "store"]
        );
        assert!(shared.web[0].starts_with("Parallel batch flows run one sub-flow"));
        assert!(!shared.docs.is_empty());
        assert!(
            shared
                .report
                .contains("## From the web\n- Parallel batch flows")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_found_plans_again_with_fewer_words() {
        let flow = research(Duration::from_millis(150), Duration::from_millis(100));
        let mut shared = Research {
            question: "zebra quagga okapi".to_owned(),
            ..Research::default()
        };
        let started = Instant::now();
        flow.run(&mut shared).await.unwrap();
        // Three plans, each with both searches at once.
        assert_eq!(shared.plans, 3);
        assert_eq!(started.elapsed(), Duration::from_millis(3 * 150));
        assert!(shared.report.contains("- nothing found"));
    }

    #[test]
    fn the_chart_forks_and_joins() {
        let chart = research(Duration::ZERO, Duration::ZERO).to_mermaid();
        for edge in [
            "plan --> web",
            "plan --> docs",
            "web --> write",
            "docs --> write",
        ] {
            assert!(chart.contains(edge), "{chart}");
        }
    }
}
