//! Where an OpenAI-compatible model is and how to reach it: shared by the `agent` and
//! `chat_stream` examples.

use std::time::Duration;

/// Where and how to reach the model. Built from the environment by `main`
/// ([`LlmConfig::from_env`]) and by hand in tests, so tests never touch process-wide variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmConfig {
    pub api_key: String,
    /// Up to, not including, `/chat/completions`: `https://api.openai.com/v1`.
    pub base_url: String,
    pub model: String,
}

impl LlmConfig {
    pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
    pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

    /// `OPENAI_API_KEY` (none or empty: `None`, the agent runs offline), `OPENAI_BASE_URL` and
    /// `OPENAI_MODEL` (optional).
    pub fn from_env() -> Option<LlmConfig> {
        LlmConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading the variables through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Option<LlmConfig> {
        let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        Some(LlmConfig {
            api_key: set("OPENAI_API_KEY")?,
            base_url: set("OPENAI_BASE_URL").unwrap_or_else(|| Self::DEFAULT_BASE_URL.into()),
            model: set("OPENAI_MODEL").unwrap_or_else(|| Self::DEFAULT_MODEL.into()),
        })
    }

    pub fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }

    /// An HTTP client for the model: no proxy for a server on this machine, which is never
    /// behind the proxy that `HTTPS_PROXY` may name.
    pub fn http(&self) -> Result<reqwest::Client, reqwest::Error> {
        let mut http = reqwest::Client::builder().connect_timeout(Duration::from_secs(10));
        if reqwest::Url::parse(&self.base_url)
            .is_ok_and(|url| matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")))
        {
            http = http.no_proxy();
        }
        http.build()
    }
}
