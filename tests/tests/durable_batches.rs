//! Batch nodes in durable runs: items and results journaled as they come, so a resumed batch
//! does not call `prep` again and runs `exec` only for the items with no result.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use pocketflow::durable::{Checkpoints, Memory, Outcome, Status};
use pocketflow::prelude::*;
use serde::{Deserialize, Serialize};

/// The journal of the run's current version: what a resumed run would read.
async fn journal_of(db: &Memory, id: &str) -> Vec<(u64, String)> {
    match db.load(id).await.unwrap() {
        Some(saved) => db.items(id, saved.version).await.unwrap(),
        None => Vec::new(),
    }
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Squares {
    out: Vec<u64>,
    posts: u32,
}

/// Squares 0..6, two at a time, 10 ms each; item 3 can be made to hang (the process dies
/// there).
#[derive(Default)]
struct Square {
    preps: AtomicU32,
    execs: [AtomicU32; 6],
    hang: Arc<AtomicBool>,
}

#[batch_node(parallel, limit = 2)]
impl Square {
    fn prep(&self, _: &Squares) -> Vec<u64> {
        self.preps.fetch_add(1, Ordering::SeqCst);
        (0..6).collect()
    }

    async fn exec(&self, item: &u64) -> u64 {
        self.execs[*item as usize].fetch_add(1, Ordering::SeqCst);
        if *item == 3 && self.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        item * item
    }

    fn post(&self, squares: &mut Squares, _items: Vec<u64>, out: Vec<u64>) {
        squares.out = out;
        squares.posts += 1;
    }
}

#[tokio::test(start_paused = true)]
async fn a_resumed_batch_runs_exec_only_for_the_items_with_no_result() {
    let db = Memory::new();
    let square = Square::default();
    square.hang.store(true, Ordering::SeqCst);
    let run = square.durable(&db, "squares");
    let mut squares = Squares::default();
    // Items 0 and 1 end at 10 ms, 2 at 20 ms, 4 at 30 ms; 3 never does, 5 starts at 30 ms.
    // Dropped at 35 ms.
    let dropped = tokio::time::timeout(Duration::from_millis(35), run.run(&mut squares)).await;
    assert!(dropped.is_err());
    let journal = journal_of(&db, "squares").await;
    let slots: Vec<u64> = journal.iter().map(|(slot, _)| *slot).collect();
    assert_eq!(
        slots,
        [0, 1, 2, 3, 5],
        "the items, then the results of items 0, 1, 2 and 4"
    );

    square.hang.store(false, Ordering::SeqCst);
    let mut resumed = Squares::default();
    assert_eq!(
        run.run(&mut resumed).await.unwrap(),
        Outcome::Finished(Action::DEFAULT)
    );
    assert_eq!(resumed.out, [0, 1, 4, 9, 16, 25]);
    assert_eq!(resumed.posts, 1);
    assert_eq!(
        square.preps.load(Ordering::SeqCst),
        1,
        "prep is not called again"
    );
    let execs: Vec<u32> = square
        .execs
        .iter()
        .map(|count| count.load(Ordering::SeqCst))
        .collect();
    // Items 3 and 5 were in flight when the run was dropped: their exec runs again (at least
    // once); the others' results came from the journal.
    assert_eq!(execs, [1, 1, 1, 2, 1, 2]);
    assert!(journal_of(&db, "squares").await.is_empty());
    let saved = db.load("squares").await.unwrap().unwrap();
    assert_eq!((saved.status, saved.step), (Status::Finished, 1));
}

/// Items that are not serde types: the batch runs whole, as one step.
struct Opaque(u64);

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Total {
    sum: u64,
}

struct SumOpaque;

#[batch_node(parallel)]
impl SumOpaque {
    fn prep(&self, _: &Total) -> Vec<Opaque> {
        (1..=4).map(Opaque).collect()
    }

    async fn exec(&self, item: &Opaque) -> u64 {
        item.0
    }

    fn post(&self, total: &mut Total, _items: Vec<Opaque>, out: Vec<u64>) {
        total.sum = out.iter().sum();
    }
}

#[tokio::test]
async fn a_batch_of_items_without_serde_runs_as_one_step() {
    let db = Memory::new();
    let node = SumOpaque;
    let mut total = Total::default();
    let outcome = node.durable(&db, "opaque").run(&mut total).await.unwrap();
    assert_eq!(outcome, Outcome::Finished(Action::DEFAULT));
    assert_eq!(total.sum, 10);
    assert!(journal_of(&db, "opaque").await.is_empty());
}

/// A batch of plain `fn`s: item 3 panics once (the process dies there). Its results are
/// journaled every 256 items or 100 ms.
#[derive(Default)]
struct Cube {
    preps: AtomicU32,
    execs: [AtomicU32; 6],
    panic: AtomicBool,
}

#[batch_node]
impl Cube {
    fn prep(&self, _: &Squares) -> Vec<u64> {
        self.preps.fetch_add(1, Ordering::SeqCst);
        (0..6).collect()
    }

    fn exec(&self, item: &u64) -> u64 {
        self.execs[*item as usize].fetch_add(1, Ordering::SeqCst);
        if *item == 3 && self.panic.swap(false, Ordering::SeqCst) {
            panic!("the process dies at item 3");
        }
        // Slow enough that the results of items 0 to 2 are written (every 100 ms) before 3.
        if *item < 3 {
            std::thread::sleep(Duration::from_millis(40));
        }
        item * item * item
    }

    fn post(&self, squares: &mut Squares, _items: Vec<u64>, out: Vec<u64>) {
        squares.out = out;
        squares.posts += 1;
    }
}

#[tokio::test]
async fn a_resumed_sync_batch_runs_exec_only_for_the_items_with_no_result() {
    use futures::FutureExt;
    let db = Memory::new();
    let cube = Cube::default();
    cube.panic.store(true, Ordering::SeqCst);
    let run = cube.durable(&db, "cubes");
    let mut squares = Squares::default();
    let died = std::panic::AssertUnwindSafe(run.run(&mut squares))
        .catch_unwind()
        .await;
    assert!(died.is_err());
    let slots: Vec<u64> = journal_of(&db, "cubes")
        .await
        .iter()
        .map(|(slot, _)| *slot)
        .collect();
    assert_eq!(slots, [0, 1, 2, 3]);

    let mut resumed = Squares::default();
    run.run(&mut resumed).await.unwrap();
    assert_eq!(resumed.out, [0, 1, 8, 27, 64, 125]);
    assert_eq!(cube.preps.load(Ordering::SeqCst), 1);
    let execs: Vec<u32> = cube
        .execs
        .iter()
        .map(|count| count.load(Ordering::SeqCst))
        .collect();
    assert_eq!(execs, [1, 1, 1, 2, 1, 1]);
}

/// Borrowed items (`&'static str` is `Serialize` but not `DeserializeOwned`): one step, and it
/// compiles (trait selection ignores lifetimes, so the macro reads the borrow off the tokens).
struct Shout;

#[batch_node(parallel)]
impl Shout {
    fn prep(&self, _: &Total) -> [&'static str; 2] {
        ["a", "b"]
    }

    async fn exec(&self, word: &&'static str) -> String {
        word.to_uppercase()
    }

    fn post(&self, total: &mut Total, _words: Vec<&'static str>, out: Vec<String>) {
        total.sum = out.len() as u64;
    }
}

#[tokio::test]
async fn a_batch_of_borrowed_items_runs_as_one_step() {
    let db = Memory::new();
    let mut total = Total::default();
    Shout
        .durable(&db, "borrowed")
        .run(&mut total)
        .await
        .unwrap();
    assert_eq!(total.sum, 2);
}

/// A batch node configured at run time journals as the attribute's does, with the run-time
/// policy and its progress.
#[tokio::test(start_paused = true)]
async fn a_configured_batch_node_journals_with_its_policy_and_progress() {
    let db = Memory::new();
    let square = Square::default();
    square.hang.store(true, Ordering::SeqCst);
    let progress = pocketflow::Progress::new();
    let configured = square
        .with_timeout(Duration::from_secs(60))
        .with_progress(&progress);
    let run = configured.durable(&db, "configured");
    let dropped =
        tokio::time::timeout(Duration::from_millis(35), run.run(&mut Squares::default())).await;
    assert!(dropped.is_err());
    assert_eq!(
        journal_of(&db, "configured").await.len(),
        5,
        "items and 4 results"
    );
    assert_eq!((progress.done(), progress.total()), (4, 6));

    configured.inner().hang.store(false, Ordering::SeqCst);
    let mut squares = Squares::default();
    run.run(&mut squares).await.unwrap();
    assert_eq!(squares.out, [0, 1, 4, 9, 16, 25]);
    assert_eq!(configured.inner().preps.load(Ordering::SeqCst), 1);
    let execs: Vec<u32> = configured
        .inner()
        .execs
        .iter()
        .map(|count| count.load(Ordering::SeqCst))
        .collect();
    assert_eq!(
        execs,
        [1, 1, 1, 2, 1, 2],
        "only the items with no result again"
    );
    // The resumed run counts the 4 journaled results as done, then the 2 it ran.
    assert_eq!((progress.done(), progress.total()), (4 + 6, 6 + 6));
}
