//! The `AsyncParallelBatchNode` example of PocketFlow's batch-processing chapter: translate one
//! text into several languages at once.
//!
//! Run with `cargo run --example translate`. Each language's simulated API call takes a
//! different time, so the calls finish out of order (French, German, Spanish), yet `post`
//! receives the translations in item order and `main` prints:
//!
//! ```text
//! Translated 'Hello, welcome to PocketFlow!' to Spanish
//! Translated 'Hello, welcome to PocketFlow!' to French
//! Translated 'Hello, welcome to PocketFlow!' to German
//! ```

use std::time::Duration;

use pocketflow::prelude::*;

#[derive(Default)]
struct Shared {
    text: String,
    languages: Vec<String>,
    translations: Vec<String>,
}

/// How long the pretend translation API takes for a language: different for each, so the
/// calls complete in another order than they were started.
fn api_latency(language: &str) -> Duration {
    Duration::from_millis(match language {
        "Spanish" => 300,
        "French" => 100,
        "German" => 200,
        _ => 50,
    })
}

struct TranslateNode;

#[batch_node(parallel)]
impl TranslateNode {
    fn prep(&self, shared: &Shared) -> Vec<(String, String)> {
        // One (text, language) pair per language.
        shared
            .languages
            .iter()
            .map(|language| (shared.text.clone(), language.clone()))
            .collect()
    }

    async fn exec(&self, (text, language): &(String, String)) -> String {
        // Pretend to call an async translation API.
        println!("Translating to {language}");
        let latency = api_latency(language);
        tokio::time::sleep(latency).await;
        println!("  {language} answered after {} ms", latency.as_millis());
        format!("Translated '{text}' to {language}")
    }

    fn post(
        &self,
        shared: &mut Shared,
        _pairs: Vec<(String, String)>,
        translations: Vec<String>,
    ) -> &'static str {
        shared.translations = translations;
        println!("All translations done!");
        "done"
    }
}

#[tokio::main]
async fn main() -> pocketflow::Result<()> {
    let mut shared = Shared {
        text: "Hello, welcome to PocketFlow!".into(),
        languages: vec!["Spanish".into(), "French".into(), "German".into()],
        ..Shared::default()
    };
    TranslateNode.run(&mut shared).await?;
    for translation in &shared.translations {
        println!("{translation}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// On tokio's paused clock the run takes exactly as long as the slowest call (300 ms),
    /// not the sum of the three (600 ms), and the translations come back in item order
    /// although Spanish, the first item, finishes last.
    #[tokio::test(start_paused = true)]
    async fn translations_in_item_order_concurrently() {
        let mut shared = Shared {
            text: "Hi".into(),
            languages: vec!["Spanish".into(), "French".into(), "German".into()],
            ..Shared::default()
        };
        let start = Instant::now();
        let action = TranslateNode.run(&mut shared).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(300));
        assert_eq!(action, "done");
        assert_eq!(
            shared.translations,
            [
                "Translated 'Hi' to Spanish",
                "Translated 'Hi' to French",
                "Translated 'Hi' to German",
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_languages_no_calls() {
        let mut shared = Shared {
            text: "Hi".into(),
            ..Shared::default()
        };
        let start = Instant::now();
        TranslateNode.run(&mut shared).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert!(shared.translations.is_empty());
    }
}
