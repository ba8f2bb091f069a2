//! A long durable batch, killed and resumed: the batch node journals each item's result as it
//! finishes, so the second process skips what the first one did.
//!
//! ```text
//! cargo run -p pocketflow-examples --features durable --example durable_batch
//! ```
//!
//! The example runs itself as a child process on an SQLite file, kills it with SIGKILL after
//! 300 ms, shows what the journal kept, then resumes the run in this process and prints which
//! items it ran and which it skipped.

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use pocketflow::durable::{Checkpoints, Outcome, Sqlite};
use pocketflow::prelude::*;
use serde::{Deserialize, Serialize};

/// What the batch made of its pages.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Book {
    pages: u32,
    words: Vec<usize>,
}

/// Counts the words of each page; a page takes 40 ms (a call to a slow service, say).
#[derive(Default)]
struct CountWords {
    ran: Mutex<Vec<u32>>,
}

#[batch_node(parallel, limit = 4)]
impl CountWords {
    fn prep(&self, book: &Book) -> Vec<u32> {
        (0..book.pages).collect()
    }

    async fn exec(&self, page: &u32) -> usize {
        tokio::time::sleep(Duration::from_millis(40)).await;
        self.ran
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(*page);
        (*page as usize % 7 + 1) * 100
    }

    fn post(&self, book: &mut Book, _pages: Vec<u32>, words: Vec<usize>) {
        book.words = words;
    }
}

const RUN: &str = "book-1";
const CHILD: &str = "POCKETFLOW_DURABLE_BATCH_CHILD";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join("pocketflow-durable-batch.db");
    let count = CountWords::default();
    if std::env::var_os(CHILD).is_some() {
        let db = Sqlite::open(&path).await?;
        count
            .durable(&db, RUN)
            .run(&mut Book {
                pages: 40,
                words: vec![],
            })
            .await?;
        return Ok(());
    }

    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut child = Command::new(std::env::current_exe()?)
        .env(CHILD, "1")
        .stdout(Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_millis(300));
    child.kill()?;
    child.wait()?;
    println!("killed the first process (SIGKILL) after 300 ms");

    let db = Sqlite::open(&path).await?;
    // The journal of the run's version as the killed process left it.
    let version = db.load(RUN).await?.map_or(0, |saved| saved.version);
    let journaled = db.items(RUN, version).await?;
    let done = journaled.iter().filter(|(slot, _)| *slot > 0).count();
    println!("the journal holds the 40 pages and {done} results");

    let mut book = Book::default();
    let outcome = count.durable(&db, RUN).run(&mut book).await?;
    let mut ran = count.ran.lock().unwrap_or_else(|p| p.into_inner()).clone();
    ran.sort_unstable();
    println!(
        "resumed: ran {} pages {ran:?}, skipped {}",
        ran.len(),
        40 - ran.len()
    );
    assert!(matches!(outcome, Outcome::Finished(_)));
    println!(
        "finished: {} pages, {} words",
        book.words.len(),
        book.words.iter().sum::<usize>()
    );
    Ok(())
}
