//! The agent's search tool: BM25 ranking over paragraph-sized chunks of the project's docs.

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Term-frequency saturation: how quickly repeating a word stops adding to a passage's score.
const K1: f64 = 1.2;
/// Length normalisation: 0 ignores a passage's length, 1 divides fully by it.
const B: f64 = 0.75;

/// Words too common to say anything about a passage; dropped from passages and queries alike.
const STOP_WORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from",
    "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "of", "on", "or", "so",
    "than", "that", "the", "their", "then", "there", "this", "to", "was", "what", "when", "which",
    "with", "you",
];

/// Lowercase alphanumeric words, stop words removed: `max_retries = 3` is `max`, `retries`, `3`.
pub fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .filter(|word| !STOP_WORDS.contains(&word.as_str()))
        .collect()
}

/// A paragraph of a document, the unit the search ranks.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Where it comes from: the document and the section, like `README.md § Run it`.
    pub source: String,
    pub text: String,
}

/// A chunk that matched a query, with its BM25 score (always positive).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub source: String,
    pub text: String,
    pub score: f64,
}

/// An inverted view of the chunks: per-chunk term counts and lengths, per-term document counts.
pub struct Index {
    chunks: Vec<Chunk>,
    term_counts: Vec<HashMap<String, u32>>,
    lengths: Vec<f64>,
    doc_freq: HashMap<String, u32>,
    average_length: f64,
}

impl Index {
    pub fn new(chunks: Vec<Chunk>) -> Index {
        let mut term_counts = Vec::with_capacity(chunks.len());
        let mut lengths = Vec::with_capacity(chunks.len());
        let mut doc_freq = HashMap::<String, u32>::new();
        for chunk in &chunks {
            let tokens = tokenize(&chunk.text);
            lengths.push(tokens.len() as f64);
            let mut counts = HashMap::<String, u32>::new();
            for token in tokens {
                *counts.entry(token).or_default() += 1;
            }
            for term in counts.keys() {
                *doc_freq.entry(term.clone()).or_default() += 1;
            }
            term_counts.push(counts);
        }
        let total: f64 = lengths.iter().sum();
        // An index of empty chunks has no length to normalise by; 1 keeps the formula finite.
        let average_length = if total > 0.0 {
            total / chunks.len() as f64
        } else {
            1.0
        };
        Index {
            chunks,
            term_counts,
            lengths,
            doc_freq,
            average_length,
        }
    }

    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// The inverse document frequency, in the form that never goes negative (Lucene's):
    /// `ln(1 + (N - n + 0.5) / (n + 0.5))` for a term found in `n` of `N` chunks.
    fn idf(&self, term: &str) -> f64 {
        let n = f64::from(self.doc_freq.get(term).copied().unwrap_or(0));
        let total = self.chunks.len() as f64;
        (1.0 + (total - n + 0.5) / (n + 0.5)).ln()
    }

    /// The BM25 score of chunk `doc` for the (distinct) query `terms`.
    fn score(&self, doc: usize, terms: &[String]) -> f64 {
        let norm = K1 * (1.0 - B + B * self.lengths[doc] / self.average_length);
        terms
            .iter()
            .filter_map(|term| {
                let tf = f64::from(*self.term_counts[doc].get(term)?);
                Some(self.idf(term) * tf * (K1 + 1.0) / (tf + norm))
            })
            .sum()
    }

    /// The `k` best chunks for `query`, best first (ties in chunk order); chunks sharing no
    /// word with the query are left out. A word repeated in the query counts once.
    pub fn search(&self, query: &str, k: usize) -> Vec<Hit> {
        let mut seen = HashSet::new();
        let terms: Vec<String> = tokenize(query)
            .into_iter()
            .filter(|term| seen.insert(term.clone()))
            .collect();
        let mut scored: Vec<(usize, f64)> = (0..self.chunks.len())
            .map(|doc| (doc, self.score(doc, &terms)))
            .filter(|&(_, score)| score > 0.0)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(k)
            .map(|(doc, score)| Hit {
                source: self.chunks[doc].source.clone(),
                text: self.chunks[doc].text.clone(),
                score,
            })
            .collect()
    }
}

/// Splits Markdown into paragraphs: blank lines end one, a heading starts a new section (and
/// names the chunks under it), and a fenced code block stays whole.
pub fn split_markdown(document: &str, text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut section = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut in_fence = false;
    let flush = |paragraph: &mut Vec<&str>, section: &str, chunks: &mut Vec<Chunk>| {
        if !paragraph.is_empty() {
            let source = if section.is_empty() {
                document.to_owned()
            } else {
                format!("{document} § {section}")
            };
            let text = paragraph.join("\n");
            chunks.push(Chunk { source, text });
            paragraph.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
            paragraph.push(line);
            if !in_fence {
                flush(&mut paragraph, &section, &mut chunks);
            }
        } else if in_fence {
            paragraph.push(line);
        } else if trimmed.is_empty() {
            flush(&mut paragraph, &section, &mut chunks);
        } else if trimmed.starts_with('#') {
            flush(&mut paragraph, &section, &mut chunks);
            section = trimmed.trim_start_matches('#').trim().to_owned();
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &section, &mut chunks);
    chunks
}

/// A crate's documentation from its `lib.rs`: the `//!` lines, and the files it pulls in with
/// `#![doc = include_str!("...")]` (pocketflow keeps its guide in `guide.md` that way).
pub fn crate_docs(lib_rs: &Path) -> std::io::Result<String> {
    let source = std::fs::read_to_string(lib_rs)?;
    let mut docs = String::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        if let Some(doc) = trimmed.strip_prefix("//!") {
            docs.push_str(doc.strip_prefix(' ').unwrap_or(doc));
            docs.push('\n');
        } else if let Some(file) = included_doc(trimmed) {
            let included = lib_rs.parent().unwrap_or(Path::new(".")).join(file);
            docs.push_str(&std::fs::read_to_string(included)?);
            docs.push('\n');
        }
    }
    Ok(docs)
}

/// `guide.md` of a `#![doc = include_str!("guide.md")]` line.
fn included_doc(line: &str) -> Option<&str> {
    if line.starts_with("#![doc") && line.contains("include_str!") {
        line.split('"').nth(1)
    } else {
        None
    }
}

/// The agent's document set: the workspace's README.md and BENCHMARKS.md and the crate docs of
/// its two library crates, in chunks. `root` is the workspace; a missing document is reported
/// in the returned notes and skipped.
pub fn load_docs(root: &Path) -> (Vec<Chunk>, Vec<String>) {
    let mut chunks = Vec::new();
    let mut notes = Vec::new();
    for name in ["README.md", "BENCHMARKS.md"] {
        match std::fs::read_to_string(root.join(name)) {
            Ok(text) => chunks.extend(split_markdown(name, &text)),
            Err(err) => notes.push(format!("skipped {name}: {err}")),
        }
    }
    for name in ["pocketflow/src/lib.rs", "pocketflow-macros/src/lib.rs"] {
        match crate_docs(&root.join(name)) {
            Ok(text) => chunks.extend(split_markdown(name, &text)),
            Err(err) => notes.push(format!("skipped {name}: {err}")),
        }
    }
    (chunks, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(texts: &[&str]) -> Index {
        let chunks = texts
            .iter()
            .enumerate()
            .map(|(i, text)| Chunk {
                source: format!("doc{i}"),
                text: (*text).to_owned(),
            })
            .collect();
        Index::new(chunks)
    }

    fn order(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|hit| hit.source.as_str()).collect()
    }

    #[test]
    fn tokens_are_lowercase_alphanumeric_words_without_stop_words() {
        assert_eq!(
            tokenize("How does `max_retries = 3` work? The Node's EXEC!"),
            ["max", "retries", "3", "work", "node", "s", "exec"]
        );
    }

    const TINY: &[&str] = &[
        "The cat sat on the mat.",
        "Dogs chase cats, and the cat runs.",
        "A bird sang.",
        "Cat, cat, cat!",
    ];

    #[test]
    fn ranks_by_term_frequency_and_length() {
        let hits = index(TINY).search("cat", 10);
        // "bird sang" shares no word with the query; "cats" is not "cat".
        assert_eq!(order(&hits), ["doc3", "doc0", "doc1"]);
        assert!(hits.iter().all(|hit| hit.score > 0.0));
        assert!(hits.windows(2).all(|pair| pair[0].score > pair[1].score));

        // doc0 by hand: 3 of the 4 chunks hold "cat"; doc0 has 3 tokens, the average is 13/4.
        let idf = (1.0 + (4.0 - 3.0 + 0.5) / (3.0 + 0.5_f64)).ln();
        let norm = 1.2 * (1.0 - 0.75 + 0.75 * 3.0 / 3.25);
        let expected = idf * 1.0 * 2.2 / (1.0 + norm);
        assert!(
            (hits[1].score - expected).abs() < 1e-12,
            "{}",
            hits[1].score
        );
    }

    #[test]
    fn a_rare_word_outweighs_a_common_one() {
        let hits = index(TINY).search("bird cat cat", 2);
        assert_eq!(order(&hits), ["doc2", "doc3"]);
        assert!(hits[0].score > hits[1].score && hits[1].score > 0.0);
    }

    #[test]
    fn no_shared_word_no_hits() {
        assert!(index(TINY).search("the of and", 10).is_empty());
        assert!(index(TINY).search("elephant", 10).is_empty());
        assert!(index(&[]).search("cat", 10).is_empty());
    }

    #[test]
    fn markdown_splits_into_paragraphs_named_by_section() {
        let text = "# Title\nIntro line one\nline two\n\n## Run it\n\n```sh\ncargo run\n\n# not a heading\n```\nAfter.\n";
        let chunks = split_markdown("README.md", text);
        let sources: Vec<&str> = chunks.iter().map(|c| c.source.as_str()).collect();
        assert_eq!(
            sources,
            [
                "README.md § Title",
                "README.md § Run it",
                "README.md § Run it"
            ]
        );
        assert_eq!(chunks[0].text, "Intro line one\nline two");
        assert_eq!(chunks[1].text, "```sh\ncargo run\n\n# not a heading\n```");
        assert_eq!(chunks[2].text, "After.");
    }

    #[test]
    fn the_docs_of_this_workspace_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let (chunks, notes) = load_docs(&root);
        assert!(notes.is_empty(), "{notes:?}");
        for document in ["README.md", "BENCHMARKS.md", "pocketflow/src/lib.rs"] {
            assert!(
                chunks.iter().any(|c| c.source.starts_with(document)),
                "no chunk of {document}"
            );
        }
    }
}
