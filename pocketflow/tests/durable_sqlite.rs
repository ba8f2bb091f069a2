//! What the SQLite backend does beyond the `Checkpoints` contract (durable_backends.rs): where
//! its calls run, and what a call leaves behind when it waits, panics or is dropped.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pocketflow::durable::{Checkpoint, Checkpoints, Durability, Sqlite, Status};
use rusqlite::Connection;

/// A database file path that is removed (with its WAL files) when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> TempDb {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
        std::fs::create_dir_all(dir).unwrap();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        TempDb(dir.join(format!("{name}-{}-{nanos}.db", std::process::id())))
    }

    fn wal_len(&self) -> u64 {
        std::fs::metadata(format!("{}-wal", self.0.display())).map_or(0, |m| m.len())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// Another process's connection, as the `sqlite3` shell would open the file.
fn other(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn
}

fn checkpoint(step: u64, store: &str) -> Checkpoint {
    Checkpoint {
        status: Status::Running,
        step,
        version: step,
        position: format!("[{step}]"),
        store: store.into(),
        shape: "flow(a;a-again-a)".into(),
        node: Some("a".into()),
        action: Some("again".into()),
        message: None,
    }
}

/// Counts the milliseconds its task gets to run, on the test's runtime.
fn ticker() -> Arc<AtomicU32> {
    let ticks = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&ticks);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });
    ticks
}

/// Another connection holds the write lock: the save waits for it on a blocking thread, and
/// the runtime's one thread runs other tasks meanwhile.
#[tokio::test]
async fn a_save_waits_for_another_writer_off_the_task() {
    let file = TempDb::new("busy");
    let db = Sqlite::open(&file.0).await.unwrap();
    let writer = other(&file.0);
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        writer.execute_batch("COMMIT").unwrap();
    });
    let ticks = ticker();
    let started = Instant::now();
    db.save("run", &checkpoint(1, "{}")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    let ticked = ticks.load(Ordering::Relaxed);
    assert!(
        ticked >= 50,
        "the runtime ran other tasks {ticked} times meanwhile"
    );
    releaser.join().unwrap();
    assert_eq!(db.load("run").await.unwrap().unwrap().step, 1);
}

/// An `update_store` dropped while it waits for the write lock neither applies its edit nor
/// keeps the lock once it gets it; the handle goes on working.
#[tokio::test]
async fn a_dropped_call_leaves_no_lock_behind() {
    let file = TempDb::new("dropped");
    let db = Sqlite::open(&file.0).await.unwrap();
    db.save("run", &checkpoint(1, "0")).await.unwrap();
    let writer = other(&file.0);
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut edit = |store: &str| Ok(format!("{store}1"));
    let waited = tokio::time::timeout(
        Duration::from_millis(100),
        db.update_store("run", &mut edit),
    )
    .await;
    assert!(waited.is_err(), "the edit did not wait for the lock");
    writer.execute_batch("COMMIT").unwrap();
    // The dropped call's thread takes the lock once it is free, then lets it go, rolling back.
    let third = other(&file.0);
    third.execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
    assert_eq!(db.load("run").await.unwrap().unwrap().store, "0");
    db.update_store("run", &mut edit).await.unwrap();
    assert_eq!(db.load("run").await.unwrap().unwrap().store, "01");
}

/// An edit that panics rolls its transaction back: the write lock is free at once and the
/// handle goes on working.
#[tokio::test]
async fn a_panicking_edit_rolls_back() {
    let file = TempDb::new("panic");
    let db = Sqlite::open(&file.0).await.unwrap();
    db.save("run", &checkpoint(1, "0")).await.unwrap();
    let handle = db.clone();
    let panicked = tokio::spawn(async move {
        let mut edit = |_: &str| -> pocketflow::Result<String> { panic!("the edit panics") };
        handle.update_store("run", &mut edit).await
    })
    .await;
    assert!(panicked.unwrap_err().is_panic());
    let writer = Connection::open(&file.0).unwrap();
    writer.busy_timeout(Duration::ZERO).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
    db.update_store("run", &mut |store| Ok(format!("{store}1")))
        .await
        .unwrap();
    assert_eq!(db.load("run").await.unwrap().unwrap().store, "01");
}

/// Back-to-back saves leave the write-ahead log bounded: background checkpoints every 1,000
/// pages, and from 4,000 on (once no background one runs) the writer checkpoints itself, which
/// lets the log start over. 5 pages a save here (the run's row, its history row, three index
/// pages): 15,000 pages without.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_bounded_under_back_to_back_saves() {
    const PAGE_FRAME: u64 = 4096 + 24;
    let file = TempDb::new("wal");
    let db = Sqlite::open(&file.0).await.unwrap();
    for step in 1..=3_000 {
        let store = format!(r#"{{"count":{step}}}"#);
        db.save("run", &checkpoint(step, &store)).await.unwrap();
    }
    let frames = file.wal_len() / PAGE_FRAME;
    assert!(frames <= 9_000, "the WAL grew to {frames} pages");
    assert_eq!(db.history("run").await.unwrap().len(), 3_000);
}

/// Many tasks of a multi-threaded runtime saving through one handle at once take turns on its
/// connection: every checkpoint is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_saves_on_one_handle_all_land() {
    let file = TempDb::new("tasks");
    let db = Sqlite::open(&file.0).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|task| {
            let db = db.clone();
            tokio::spawn(async move {
                let id = format!("run-{task}");
                for step in 1..=25 {
                    db.save(&id, &checkpoint(step, "{}")).await.unwrap();
                    assert!(db.save_item(&id, step, step, "\"item\"").await.unwrap());
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(db.list().await.unwrap().len(), 20);
    for task in 0..20 {
        let id = format!("run-{task}");
        assert_eq!(db.history(&id).await.unwrap().len(), 25);
        assert_eq!(db.items(&id, 25).await.unwrap().len(), 1);
    }
}

/// Polls `future` on this thread, with no runtime at all.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

/// Outside any tokio runtime every call runs on the caller's thread (no panic for a missing
/// runtime), with either durability.
#[test]
fn without_a_runtime_calls_run_on_the_callers_thread() {
    for durability in [Durability::Normal, Durability::Full] {
        let file = TempDb::new("no-runtime");
        block_on(async {
            let db = Sqlite::open_with(&file.0, durability).await.unwrap();
            db.save("run", &checkpoint(1, "0")).await.unwrap();
            db.update_store("run", &mut |store| Ok(format!("{store}1")))
                .await
                .unwrap();
            // The update moved the run to version 2.
            assert!(
                db.save_items("run", 2, &[(0, "[1]".to_owned())])
                    .await
                    .unwrap()
            );
            assert_eq!(db.load("run").await.unwrap().unwrap().store, "01");
            assert_eq!(db.items("run", 2).await.unwrap().len(), 1);
            assert_eq!(db.list().await.unwrap().len(), 1);
            assert_eq!(db.history("run").await.unwrap().len(), 1);
        });
    }
}

/// The schema as the sqlx-based backend (pocketflow before rusqlite) created it, with a run it
/// saved: `history.id` with `AUTOINCREMENT`, times in milliseconds.
const EARLIER_FILE: &str = "
CREATE TABLE runs (
    id TEXT PRIMARY KEY NOT NULL, status TEXT NOT NULL, step INTEGER NOT NULL,
    position TEXT NOT NULL, store TEXT NOT NULL, shape TEXT NOT NULL, node TEXT, action TEXT,
    message TEXT, updated_at INTEGER NOT NULL
);
CREATE TABLE history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, step INTEGER NOT NULL,
    status TEXT NOT NULL, node TEXT, action TEXT, at INTEGER NOT NULL
);
CREATE TABLE items (
    run_id TEXT NOT NULL, slot INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, slot)
);
CREATE INDEX history_run_id ON history (run_id, id);
CREATE INDEX runs_updated_at ON runs (updated_at);
CREATE TRIGGER runs_history_insert AFTER INSERT ON runs BEGIN
    INSERT INTO history (run_id, step, status, node, action, at)
    VALUES (NEW.id, NEW.step, NEW.status, NEW.node, NEW.action, NEW.updated_at);
    DELETE FROM items WHERE run_id = NEW.id;
END;
CREATE TRIGGER runs_history_update AFTER UPDATE OF step ON runs BEGIN
    INSERT INTO history (run_id, step, status, node, action, at)
    VALUES (NEW.id, NEW.step, NEW.status, NEW.node, NEW.action, NEW.updated_at);
    DELETE FROM items WHERE run_id = NEW.id;
END;
PRAGMA journal_mode = WAL;
INSERT INTO runs VALUES ('old', 'interrupted', 2, '[2]', '{\"draft\":\"hi\"}', 's', 'ask', NULL,
    'a question', 1700000000000);
UPDATE runs SET step = 3, updated_at = 1700000001000 WHERE id = 'old';
INSERT INTO items VALUES ('old', 0, '[1,2]');
";

/// A file written by the earlier backend opens, reads as it was, and takes new checkpoints,
/// which keep its history in order.
#[tokio::test]
async fn a_file_of_the_earlier_backend_keeps_working() {
    let file = TempDb::new("earlier");
    other(&file.0).execute_batch(EARLIER_FILE).unwrap();
    let db = Sqlite::open(&file.0).await.unwrap();
    let old = db.load("old").await.unwrap().unwrap();
    // Migrated: the run's version is its step plus one, and its journal belongs to it.
    assert_eq!(
        (old.status, old.step, old.version),
        (Status::Interrupted, 3, 4)
    );
    assert_eq!(old.store, r#"{"draft":"hi"}"#);
    assert_eq!(db.items("old", 4).await.unwrap(), [(0, "[1,2]".to_owned())]);
    let listed = &db.list().await.unwrap()[0];
    assert_eq!(
        listed.updated,
        UNIX_EPOCH + Duration::from_millis(1_700_000_001_000)
    );
    db.save("old", &checkpoint(4, "{}")).await.unwrap();
    db.save("new", &checkpoint(1, "{}")).await.unwrap();
    let steps: Vec<u64> = db
        .history("old")
        .await
        .unwrap()
        .iter()
        .map(|entry| entry.step)
        .collect();
    assert_eq!(steps, [2, 3, 4]);
    assert!(db.items("old", 4).await.unwrap().is_empty());
    assert_eq!(db.history("new").await.unwrap().len(), 1);
}
