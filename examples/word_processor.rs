//! The `BatchNode` example of PocketFlow's batch-processing chapter: uppercase each word.
//!
//! Run with `cargo run --example word_processor`; it prints `["APPLE", "BANANA", "CHERRY"]`.

use pocketflow::prelude::*;

#[derive(Default)]
struct Shared {
    processed_words: Vec<String>,
}

struct WordProcessor;

#[batch_node]
impl WordProcessor {
    fn prep(&self, _shared: &Shared) -> Vec<String> {
        vec!["apple".into(), "banana".into(), "cherry".into()]
    }

    fn exec(&self, word: &str) -> String {
        word.to_uppercase()
    }

    fn post(
        &self,
        shared: &mut Shared,
        _words: Vec<String>,
        processed: Vec<String>,
    ) -> &'static str {
        shared.processed_words = processed;
        "done"
    }
}

#[tokio::main]
async fn main() -> pocketflow::Result<()> {
    let mut shared = Shared::default();
    WordProcessor.run(&mut shared).await?;
    println!("{:?}", shared.processed_words);
    Ok(())
}
