//! The agent's model: an OpenAI-compatible `/chat/completions` client, and the reading of the
//! decider's free-text reply into a [`Decision`].

use serde_json::{Value, json};

use super::Decision;

pub use super::config::LlmConfig;

/// A chat-completions client; cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct LlmClient {
    config: LlmConfig,
    http: reqwest::Client,
}

impl LlmClient {
    pub fn new(config: LlmConfig) -> Result<LlmClient, reqwest::Error> {
        Ok(LlmClient {
            http: config.http()?,
            config,
        })
    }

    /// One chat completion: the system and user messages in, the assistant's text out. Each
    /// call is one attempt; the nodes that call it retry it.
    pub async fn chat(&self, system: &str, user: &str) -> Result<String, String> {
        let url = self.config.endpoint();
        let request = json!({
            "model": self.config.model,
            "temperature": 0,
            "messages": [
                { "role": "system", "content": system },
                { "role": "user", "content": user },
            ],
        });
        let response = self
            .http
            .post(&url)
            .bearer_auth(&self.config.api_key)
            .json(&request)
            .send()
            .await
            .map_err(|err| format!("POST {url}: {err}"))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|err| format!("POST {url}: reading the response: {err}"))?;
        if !status.is_success() {
            return Err(format!("POST {url}: {status}: {}", one_line(&body, 200)));
        }
        let reply: Value = serde_json::from_str(&body)
            .map_err(|err| format!("POST {url}: the response is not JSON ({err})"))?;
        reply["choices"][0]["message"]["content"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "POST {url}: no choices[0].message.content in {}",
                    one_line(&body, 200)
                )
            })
    }
}

/// `text` on one line, cut to `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// Reads the decider's reply: a decision and, for a search, the query when the reply gives one.
///
/// Models asked for `SEARCH: <keywords>` or `ANSWER` also answer with JSON
/// (`{"action": "search", "query": ".."}`), in code fences, in Markdown (`**Action:** Search`),
/// after a sentence of reasoning, or as `Search for "..."`; all of these are read. A reply with
/// no recognisable decision is an error, and the node retries the call.
pub fn parse_decision(reply: &str) -> Result<(Decision, Option<String>), String> {
    if let Some(parsed) = from_json(reply) {
        return Ok(parsed);
    }
    let mut decision = None;
    let mut query = None;
    for line in reply.lines() {
        let line = line.trim_matches(|c: char| c.is_whitespace() || "*#->`\"'_".contains(c));
        let lower = line.to_ascii_lowercase();
        if let Some(value) = after_key(&lower, line, &["action", "decision", "next step", "next"]) {
            decision = decision.or_else(|| decision_word(value));
        } else if let Some(value) = after_key(&lower, line, &["search query", "query", "keywords"])
        {
            query = query.or_else(|| clean_query(value));
        } else if let Some(rest) = after_word(&lower, line, "search") {
            if decision.is_none() {
                decision = Some(Decision::Search);
                let rest =
                    rest.trim_start_matches(|c: char| c.is_whitespace() || ":-–=".contains(c));
                let rest = match rest.strip_prefix("for") {
                    Some(after) if !after.starts_with(char::is_alphanumeric) => after,
                    _ => rest,
                };
                query = query.or_else(|| clean_query(rest));
            }
        } else if after_word(&lower, line, "answer").is_some() {
            decision = decision.or(Some(Decision::Answer));
        }
    }
    if decision.is_none() {
        // A sentence that names exactly one of the two.
        let words = super::bm25::tokenize(reply);
        let says = |word: &str| words.iter().any(|w| w == word);
        decision = match (says("search"), says("answer")) {
            (true, false) => Some(Decision::Search),
            (false, true) => Some(Decision::Answer),
            _ => None,
        };
    }
    match decision {
        Some(Decision::Search) => Ok((Decision::Search, query)),
        Some(Decision::Answer) => Ok((Decision::Answer, None)),
        None => Err(format!(
            "no SEARCH or ANSWER in the reply {:?}",
            one_line(reply, 120)
        )),
    }
}

/// `{"action": "search", "query": "..."}` anywhere in the reply (code fences and prose around it
/// are ignored).
fn from_json(reply: &str) -> Option<(Decision, Option<String>)> {
    let start = reply.find('{')?;
    let end = reply.rfind('}')?;
    let value: Value = serde_json::from_str(reply.get(start..=end)?).ok()?;
    let field = |names: &[&str]| names.iter().find_map(|name| value.get(*name)?.as_str());
    let decision = decision_word(field(&["action", "decision", "next", "tool"])?)?;
    let query = field(&["query", "search_query", "keywords", "input"]).and_then(clean_query);
    Some(match decision {
        Decision::Search => (Decision::Search, query),
        Decision::Answer => (Decision::Answer, None),
    })
}

/// The value after `key:` (or `key =`) at the start of a line; `lower` is `line` in ASCII
/// lowercase (so the two have the same byte offsets).
fn after_key<'a>(lower: &str, line: &'a str, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|key| {
        let rest = lower.strip_prefix(key)?;
        let value = rest.trim_start_matches(|c: char| c == '*' || c == '_' || c.is_whitespace());
        let value = value
            .strip_prefix(':')
            .or_else(|| value.strip_prefix('='))?;
        line.get(lower.len() - value.len()..)
    })
}

/// What follows `word` at the start of a line, when the line starts with that whole word.
fn after_word<'a>(lower: &str, line: &'a str, word: &str) -> Option<&'a str> {
    let rest = lower.strip_prefix(word)?;
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return None;
    }
    line.get(lower.len() - rest.len()..)
}

fn decision_word(value: &str) -> Option<Decision> {
    let word = value
        .trim_matches(|c: char| !c.is_alphanumeric())
        .split(|c: char| !c.is_alphanumeric())
        .next()?
        .to_lowercase();
    // The labels parse as the enum itself (`FromStr`, from `#[derive(Action)]`), so a label
    // renamed in the enum is renamed here too; the rest are synonyms models use.
    word.parse::<Decision>().ok().or(match word.as_str() {
        "lookup" => Some(Decision::Search),
        "finish" | "done" => Some(Decision::Answer),
        _ => None,
    })
}

fn clean_query(value: &str) -> Option<String> {
    let query = value.trim_matches(|c: char| c.is_whitespace() || "\"'`*“”.".contains(c));
    (!query.is_empty()).then(|| query.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(reply: &str) -> (Decision, Option<String>) {
        parse_decision(reply).unwrap_or_else(|err| panic!("{reply:?}: {err}"))
    }

    fn search(query: &str) -> (Decision, Option<String>) {
        (Decision::Search, Some(query.to_owned()))
    }

    #[test]
    fn reads_the_requested_format() {
        assert_eq!(parse("SEARCH: bm25 ranking"), search("bm25 ranking"));
        assert_eq!(parse("ANSWER"), (Decision::Answer, None));
        assert_eq!(parse("answer."), (Decision::Answer, None));
    }

    #[test]
    fn reads_what_models_write_instead() {
        let cases = [
            (
                "```json\n{\"action\": \"search\", \"query\": \"retry backoff\"}\n```",
                search("retry backoff"),
            ),
            (
                "{\"decision\": \"ANSWER\", \"query\": \"ignored\"}",
                (Decision::Answer, None),
            ),
            (
                "**Action:** Search\n**Query:** \"max_retries\"",
                search("max_retries"),
            ),
            (
                "I need more context first.\nSEARCH: `exec_fallback`",
                search("exec_fallback"),
            ),
            (
                "Search for \"parallel batch limit\".",
                search("parallel batch limit"),
            ),
            (
                "- search - timeout per attempt",
                search("timeout per attempt"),
            ),
            ("The passages cover it.\n\nANSWER", (Decision::Answer, None)),
            (
                "Decision: answer\nReason: enough passages",
                (Decision::Answer, None),
            ),
            ("I will search again.", (Decision::Search, None)),
        ];
        for (reply, expected) in cases {
            assert_eq!(parse(reply), expected, "{reply:?}");
        }
    }

    #[test]
    fn an_unreadable_reply_is_an_error() {
        for reply in [
            "",
            "Hmm.",
            "I could search or answer.",
            "searching... answered",
        ] {
            assert!(parse_decision(reply).is_err(), "{reply:?}");
        }
    }

    #[test]
    fn config_from_variables() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert_eq!(LlmConfig::from_vars(vars(&[])), None);
        assert_eq!(LlmConfig::from_vars(vars(&[("OPENAI_API_KEY", " ")])), None);
        assert_eq!(
            LlmConfig::from_vars(vars(&[("OPENAI_API_KEY", "k")])),
            Some(LlmConfig {
                api_key: "k".into(),
                base_url: "https://api.openai.com/v1".into(),
                model: "gpt-4o-mini".into(),
            })
        );
        let custom = LlmConfig::from_vars(vars(&[
            ("OPENAI_API_KEY", "k"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1/"),
            ("OPENAI_MODEL", "local"),
        ]))
        .unwrap();
        assert_eq!(
            custom.endpoint(),
            "http://127.0.0.1:8080/v1/chat/completions"
        );
        assert_eq!(custom.model, "local");
    }
}
