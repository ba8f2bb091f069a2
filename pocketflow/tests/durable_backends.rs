//! One conformance test body for every `Checkpoints` backend: `Memory` (feature `durable`),
//! `Sqlite` (feature `sqlite`) and `Postgres` (feature `postgres`, database at `PG_URL`).
//!
//! Without `PG_URL` the Postgres tests print why they skip and pass, unless `CI` is set: then
//! a missing `PG_URL` fails them. `.ci/run` starts a PostgreSQL server and sets both.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pocketflow::ErrorKind;
use pocketflow::durable::{Checkpoint, Checkpoints, Memory, Status};

/// A run id no other test, test process or earlier run on the same database uses.
fn unique(name: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{name}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn checkpoint(step: u64, status: Status, node: &str, store: &str) -> Checkpoint {
    Checkpoint {
        status,
        step,
        version: step,
        position: format!("[{step}]"),
        store: store.into(),
        shape: "flow(a,b;a-default-b)".into(),
        node: Some(node.into()),
        action: Some(format!("action-{step}")),
        message: None,
    }
}

/// Waits until the clock has surely moved on for every backend (SQLite keeps milliseconds).
async fn tick() {
    tokio::time::sleep(Duration::from_millis(3)).await;
}

/// The whole contract of `Checkpoints`, on two handles `a` and `b` to the same runs (two
/// connections, pools or clones).
async fn conformance<C: Checkpoints>(a: &C, b: &C) {
    round_trip(a, b).await;
    history_order(a).await;
    list_order(a, b).await;
    update_store_atomic(a, b).await;
    interleaved_saves(a, b).await;
    interleaved_updates(a, b).await;
    item_journal(a, b).await;
    journal_fenced_by_version(a, b).await;
    racing_conditional_saves(a, b).await;
    past_checkpoints(a, b).await;
}

/// Each step's checkpoint reads back whole through any handle, the first of a step when it
/// was saved twice (an interrupt after the step); a step never committed is `None`.
async fn past_checkpoints<C: Checkpoints>(a: &C, b: &C) {
    let id = unique("past");
    assert!(b.checkpoint_at(&id, 0).await.unwrap().is_none());
    for step in 1..=3 {
        let store = format!(r#"{{"step":{step}}}"#);
        a.save(&id, &checkpoint(step, Status::Running, "a", &store))
            .await
            .unwrap();
    }
    let mut again = checkpoint(3, Status::Interrupted, "b", r#"{"edited":true}"#);
    again.version = 4;
    a.save(&id, &again).await.unwrap();
    let second = b.checkpoint_at(&id, 2).await.unwrap().unwrap();
    let want = Checkpoint {
        version: 0,
        ..checkpoint(2, Status::Running, "a", r#"{"step":2}"#)
    };
    assert_eq!(second, want);
    let third = b.checkpoint_at(&id, 3).await.unwrap().unwrap();
    assert_eq!(
        (third.status, third.store.as_str()),
        (Status::Running, r#"{"step":3}"#)
    );
    assert!(a.checkpoint_at(&id, 4).await.unwrap().is_none());
}

/// `delete` removes a run with its history and journal; `prune` removes finished and failed
/// runs last updated before its time, and only those. `db` holds no other runs.
async fn retention<C: Checkpoints>(db: &C) {
    let save = |id: &'static str, status| async move {
        db.save(id, &checkpoint(1, status, "a", "{}"))
            .await
            .unwrap();
    };
    save("finished-old", Status::Finished).await;
    save("failed-old", Status::Failed).await;
    save("waiting-old", Status::Interrupted).await;
    save("running-old", Status::Running).await;
    assert!(db.save_item("running-old", 1, 1, "1").await.unwrap());
    tick().await;
    let cut = SystemTime::now();
    tick().await;
    save("finished-new", Status::Finished).await;
    assert_eq!(db.prune(cut).await.unwrap(), 2);
    let mut left: Vec<String> = db
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|run| run.id)
        .collect();
    left.sort();
    assert_eq!(left, ["finished-new", "running-old", "waiting-old"]);
    assert!(db.history("finished-old").await.unwrap().is_empty());
    assert!(db.checkpoint_at("failed-old", 1).await.unwrap().is_none());
    assert_eq!(db.prune(cut).await.unwrap(), 0);

    assert!(db.delete("running-old").await.unwrap());
    assert!(db.load("running-old").await.unwrap().is_none());
    assert!(db.history("running-old").await.unwrap().is_empty());
    assert!(db.items("running-old", 1).await.unwrap().is_empty());
    assert!(!db.delete("running-old").await.unwrap());
    // A new run of a deleted id starts clean.
    save("running-old", Status::Running).await;
    assert_eq!(db.history("running-old").await.unwrap().len(), 1);
}

/// Two handles race to commit each step of one run with `save_after`: exactly one of them
/// commits each step, and a save that expects a step the run has left writes nothing.
async fn racing_conditional_saves<C: Checkpoints>(a: &C, b: &C) {
    const STEPS: u64 = 15;
    let id = unique("race");
    let (won_a, won_b) = tokio::join!(race(a, &id, "a", STEPS), race(b, &id, "b", STEPS));
    assert_eq!(won_a + won_b, STEPS, "one commit per step");
    let history = a.history(&id).await.unwrap();
    let steps: Vec<u64> = history.iter().map(|entry| entry.step).collect();
    assert_eq!(steps, (1..=STEPS).collect::<Vec<_>>());
    let last = b.load(&id).await.unwrap().unwrap();
    assert_eq!(last.step, STEPS);
    assert_eq!(history.last().unwrap().node, last.node);
    let late = checkpoint(STEPS + 1, Status::Running, "late", "{}");
    assert!(!a.save_after(&id, Some(STEPS - 1), &late).await.unwrap());
    assert!(!a.save_after(&id, None, &late).await.unwrap());
    assert_eq!(b.load(&id).await.unwrap().unwrap().step, STEPS);
}

/// Commits steps 1..=steps of `id` conditionally, each expecting the step before it; returns
/// how many this handle won.
async fn race<C: Checkpoints>(db: &C, id: &str, node: &str, steps: u64) -> u64 {
    let mut won = 0;
    for step in 1..=steps {
        let expected = (step > 1).then(|| step - 1);
        let saved = checkpoint(step, Status::Running, node, "{}");
        if db.save_after(id, expected, &saved).await.unwrap() {
            won += 1;
        }
        tokio::task::yield_now().await;
    }
    won
}

/// Journaled pieces, one or many at once, replace what their slot held, come back by slot
/// through any handle, and are gone after the run's next save.
async fn item_journal<C: Checkpoints>(a: &C, b: &C) {
    let id = unique("journal");
    assert!(!a.save_item(&id, 1, 0, "[1]").await.unwrap(), "no run yet");
    a.save(&id, &checkpoint(1, Status::Running, "a", "{}"))
        .await
        .unwrap();
    assert!(a.save_item(&id, 1, 2, "\"second\"").await.unwrap());
    assert!(b.save_item(&id, 1, 0, "[1,2]").await.unwrap());
    assert!(a.save_item(&id, 1, 2, "\"again\"").await.unwrap());
    assert_eq!(
        b.items(&id, 1).await.unwrap(),
        [(0, "[1,2]".to_owned()), (2, "\"again\"".to_owned())]
    );
    let many: Vec<(u64, String)> = (3..400).map(|slot| (slot, slot.to_string())).collect();
    assert!(b.save_items(&id, 1, &many).await.unwrap());
    assert!(
        a.save_items(&id, 1, &[(2, "\"third\"".to_owned())])
            .await
            .unwrap()
    );
    let items = a.items(&id, 1).await.unwrap();
    assert_eq!(items.len(), 2 + 397);
    assert_eq!(items[1], (2, "\"third\"".to_owned()));
    assert_eq!(items[398], (399, "399".to_owned()));
    b.save(&id, &checkpoint(2, Status::Running, "b", "{}"))
        .await
        .unwrap();
    assert!(a.items(&id, 1).await.unwrap().is_empty());
    assert!(a.items(&id, 2).await.unwrap().is_empty());
}

/// Journal rows belong to one version of the run: a write for another version (a process
/// that lost a race, a late write after the run moved on) is refused and never read back, and
/// an update moves the version on and drops the journal.
async fn journal_fenced_by_version<C: Checkpoints>(a: &C, b: &C) {
    let id = unique("fenced");
    a.save(&id, &checkpoint(3, Status::Running, "a", "{}"))
        .await
        .unwrap();
    assert!(a.save_item(&id, 3, 0, "[1]").await.unwrap());
    assert!(!b.save_item(&id, 2, 1, "\"stale\"").await.unwrap());
    assert!(
        !b.save_items(&id, 4, &[(1, "\"early\"".to_owned())])
            .await
            .unwrap()
    );
    assert_eq!(a.items(&id, 3).await.unwrap(), [(0, "[1]".to_owned())]);
    assert!(a.items(&id, 2).await.unwrap().is_empty());

    b.update_store(&id, &mut |store| Ok(format!("[{store}]")))
        .await
        .unwrap();
    let edited = a.load(&id).await.unwrap().unwrap();
    assert_eq!(
        (edited.step, edited.version, edited.store.as_str()),
        (3, 4, "[{}]")
    );
    assert!(
        a.items(&id, 3).await.unwrap().is_empty(),
        "the edit drops the journal"
    );
    assert!(a.items(&id, 4).await.unwrap().is_empty());
    assert!(!a.save_item(&id, 3, 1, "\"late\"").await.unwrap());
    // A commit expecting the version before the edit writes nothing.
    let mut over = checkpoint(4, Status::Running, "b", "{}");
    over.version = 4;
    assert!(!a.save_after(&id, Some(3), &over).await.unwrap());
    over.version = 5;
    assert!(a.save_after(&id, Some(4), &over).await.unwrap());
    assert_eq!(b.load(&id).await.unwrap().unwrap().version, 5);
    let missing = unique("missing");
    let error = a
        .update_store(&missing, &mut |s| Ok(s.to_owned()))
        .await
        .unwrap_err();
    assert_eq!(
        error.durable_kind(),
        Some(pocketflow::DurableErrorKind::NotFound)
    );
}

async fn round_trip<C: Checkpoints>(a: &C, b: &C) {
    let id = unique("round-trip");
    assert_eq!(a.load(&id).await.unwrap(), None);
    assert!(a.history(&id).await.unwrap().is_empty());

    let full = Checkpoint {
        status: Status::Interrupted,
        step: 7,
        version: 12,
        position: r#"{"path":[0,2],"items":[true,false]}"#.into(),
        store: r#"{"text":"quotes \" and 'single', émoji 🦀, newline\n","n":1.5,"big":18446744073709551615}"#.into(),
        shape: "flow(write,ask,publish;write-default-ask,ask-default-publish)".into(),
        node: Some("ask".into()),
        action: None,
        message: Some("approve the draft: 'quoted' \"twice\"".into()),
    };
    a.save(&id, &full).await.unwrap();
    assert_eq!(a.load(&id).await.unwrap().as_ref(), Some(&full));
    assert_eq!(b.load(&id).await.unwrap().as_ref(), Some(&full));

    let bare = Checkpoint {
        status: Status::Finished,
        step: u64::try_from(i64::MAX).unwrap(),
        version: u64::try_from(i64::MAX).unwrap(),
        position: "null".into(),
        store: "{}".into(),
        shape: String::new(),
        node: None,
        action: None,
        message: None,
    };
    b.save(&id, &bare).await.unwrap();
    assert_eq!(a.load(&id).await.unwrap(), Some(bare));

    for status in [
        Status::Running,
        Status::Interrupted,
        Status::Finished,
        Status::Failed,
    ] {
        let one = checkpoint(1, status, "n", "0");
        a.save(&id, &one).await.unwrap();
        assert_eq!(a.load(&id).await.unwrap().unwrap().status, status);
    }
}

async fn history_order<C: Checkpoints>(db: &C) {
    let id = unique("history");
    let before = SystemTime::now() - Duration::from_secs(60);
    let statuses = [
        Status::Running,
        Status::Running,
        Status::Interrupted,
        Status::Running,
        Status::Failed,
        Status::Running,
        Status::Finished,
    ];
    for (step, status) in statuses.iter().enumerate() {
        let node = format!("node-{step}");
        db.save(&id, &checkpoint(step as u64, *status, &node, "[]"))
            .await
            .unwrap();
    }
    let history = db.history(&id).await.unwrap();
    assert_eq!(history.len(), statuses.len());
    for (step, entry) in history.iter().enumerate() {
        assert_eq!(entry.step, step as u64);
        assert_eq!(entry.status, statuses[step]);
        assert_eq!(entry.node.as_deref(), Some(format!("node-{step}").as_str()));
        assert_eq!(
            entry.action.as_deref(),
            Some(format!("action-{step}").as_str())
        );
        assert!(entry.time > before, "a time in the past: {:?}", entry.time);
    }
    assert!(history.windows(2).all(|w| w[0].time <= w[1].time));
    assert!(db.history(&unique("never-saved")).await.unwrap().is_empty());
}

async fn list_order<C: Checkpoints>(a: &C, b: &C) {
    let first = unique("list-first");
    let second = unique("list-second");
    let third = unique("list-third");
    a.save(&first, &checkpoint(1, Status::Running, "a", "1"))
        .await
        .unwrap();
    tick().await;
    b.save(&second, &checkpoint(1, Status::Running, "a", "1"))
        .await
        .unwrap();
    tick().await;
    a.save(&third, &checkpoint(1, Status::Running, "a", "1"))
        .await
        .unwrap();
    tick().await;
    // Saving `first` again makes it the most recent.
    b.save(&first, &checkpoint(2, Status::Interrupted, "b", "2"))
        .await
        .unwrap();

    let ours = |list: Vec<pocketflow::durable::RunInfo>| {
        list.into_iter()
            .filter(|run| [&first, &second, &third].contains(&&run.id))
            .collect::<Vec<_>>()
    };
    let list = ours(a.list().await.unwrap());
    let ids: Vec<&str> = list.iter().map(|run| run.id.as_str()).collect();
    assert_eq!(ids, [&*first, &*third, &*second]);
    assert_eq!(list[0].status, Status::Interrupted);
    assert_eq!(list[0].steps, 2);
    assert_eq!(list[0].last_node.as_deref(), Some("b"));
    assert!(list[0].updated >= list[1].updated && list[1].updated >= list[2].updated);

    // Editing the store counts as an update too.
    tick().await;
    a.update_store(&second, &mut |store| Ok(format!("[{store}]")))
        .await
        .unwrap();
    let list = ours(b.list().await.unwrap());
    assert_eq!(list[0].id, second);
}

async fn update_store_atomic<C: Checkpoints>(a: &C, b: &C) {
    let id = unique("update");
    let saved = checkpoint(3, Status::Interrupted, "ask", r#"{"approved":null}"#);
    a.save(&id, &saved).await.unwrap();

    b.update_store(&id, &mut |store| {
        assert_eq!(store, r#"{"approved":null}"#);
        Ok(r#"{"approved":true}"#.into())
    })
    .await
    .unwrap();
    let after = a.load(&id).await.unwrap().unwrap();
    assert_eq!(
        after,
        Checkpoint {
            store: r#"{"approved":true}"#.into(),
            version: saved.version + 1,
            ..saved.clone()
        }
    );
    // An edit is not a checkpoint.
    assert_eq!(a.history(&id).await.unwrap().len(), 1);

    // An error from `edit` is returned as it is and changes nothing.
    let error = a
        .update_store(&id, &mut |_| {
            Err(pocketflow::Error::durable("the edit gave up".into()))
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Durable);
    assert!(error.to_string().contains("the edit gave up"), "{error}");
    assert_eq!(a.load(&id).await.unwrap().unwrap(), after);

    // A run never saved is an error, and `edit` is not called.
    let mut called = false;
    let missing = unique("missing");
    let error = b
        .update_store(&missing, &mut |store| {
            called = true;
            Ok(store.into())
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Durable);
    assert!(error.to_string().contains(&missing), "{error}");
    assert!(!called);
    assert_eq!(b.load(&missing).await.unwrap(), None);

    // After a failed edit the handle still works (no transaction left open).
    a.update_store(&id, &mut |_| Ok("3".into())).await.unwrap();
    assert_eq!(b.load(&id).await.unwrap().unwrap().store, "3");
}

/// Two handles saving steps of the same run and of their own runs, concurrently: every save
/// lands in the history, whole.
async fn interleaved_saves<C: Checkpoints>(a: &C, b: &C) {
    const STEPS: u64 = 20;
    let shared = unique("interleaved");
    let own_a = unique("own-a");
    let own_b = unique("own-b");
    tokio::join!(
        save_steps(a, &shared, &own_a, "a", STEPS),
        save_steps(b, &shared, &own_b, "b", STEPS)
    );

    let history = a.history(&shared).await.unwrap();
    assert_eq!(history.len() as u64, 2 * STEPS);
    for node in ["a", "b"] {
        let steps: Vec<u64> = history
            .iter()
            .filter(|entry| entry.node.as_deref() == Some(node))
            .map(|entry| entry.step)
            .collect();
        assert_eq!(steps, (1..=STEPS).collect::<Vec<_>>(), "{node}'s saves");
    }
    // The current checkpoint is one of the two last saves, whole: its store matches its node.
    let last = b.load(&shared).await.unwrap().unwrap();
    assert_eq!(last.step, STEPS);
    let node = last.node.clone().unwrap();
    assert_eq!(last.store, format!(r#"{{"by":"{node}","step":{STEPS}}}"#));
    assert_eq!(history.last().unwrap().node, last.node);
    for own in [&own_a, &own_b] {
        assert_eq!(a.load(own).await.unwrap().unwrap().step, STEPS);
        assert_eq!(b.history(own).await.unwrap().len() as u64, STEPS);
    }
}

async fn save_steps<C: Checkpoints>(db: &C, shared: &str, own: &str, node: &str, steps: u64) {
    for step in 1..=steps {
        let store = format!(r#"{{"by":"{node}","step":{step}}}"#);
        let saved = checkpoint(step, Status::Running, node, &store);
        db.save(shared, &saved).await.unwrap();
        db.save(own, &saved).await.unwrap();
        tokio::task::yield_now().await;
    }
}

/// Read-modify-write from two handles at once: no increment is lost.
async fn interleaved_updates<C: Checkpoints>(a: &C, b: &C) {
    const EACH: u32 = 25;
    let id = unique("counter");
    a.save(&id, &checkpoint(1, Status::Interrupted, "ask", "0"))
        .await
        .unwrap();
    tokio::join!(
        bump(a, &id, EACH),
        bump(b, &id, EACH),
        bump(a, &id, EACH),
        bump(b, &id, EACH)
    );
    assert_eq!(
        a.load(&id).await.unwrap().unwrap().store,
        (4 * EACH).to_string()
    );
}

async fn bump<C: Checkpoints>(db: &C, id: &str, times: u32) {
    for _ in 0..times {
        db.update_store(id, &mut |store| {
            let n: u32 = store
                .parse()
                .map_err(|e| pocketflow::Error::durable(format!("{store}: {e}").into()))?;
            Ok((n + 1).to_string())
        })
        .await
        .unwrap();
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn memory_conformance() {
    let db = Memory::new();
    conformance(&db, &db.clone()).await;
    retention(&Memory::new()).await;
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use pocketflow::ErrorKind;
    use pocketflow::durable::{Checkpoints, Durability, Sqlite, Status};
    use rusqlite::Connection;

    use super::{checkpoint, conformance, retention, unique};

    /// A database file path that is removed (with its WAL files) when dropped.
    struct TempDb(PathBuf);

    impl TempDb {
        fn new(name: &str) -> TempDb {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
            std::fs::create_dir_all(dir).unwrap();
            TempDb(dir.join(format!("{}.db", unique(name))))
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    /// A connection of SQLite's own, as the `sqlite3` shell would open the file.
    fn raw(path: &Path) -> Connection {
        Connection::open(path).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_file_conformance() {
        let file = TempDb::new("conformance");
        // Two opens of one file: two pools, as two processes would have.
        let a = Sqlite::open(&file.0).await.unwrap();
        let b = Sqlite::open(&file.0).await.unwrap();
        conformance(&a, &b).await;
    }

    #[tokio::test]
    async fn sqlite_in_memory_conformance() {
        let db = Sqlite::in_memory().await.unwrap();
        conformance(&db, &db.clone()).await;
        retention(&Sqlite::in_memory().await.unwrap()).await;
    }

    #[tokio::test]
    async fn sqlite_full_durability_conformance() {
        let file = TempDb::new("full");
        let a = Sqlite::open_with(&file.0, Durability::Full).await.unwrap();
        let b = Sqlite::open(&file.0).await.unwrap();
        conformance(&a, &b).await;
    }

    /// The file is created with its schema, in WAL mode, survives a reopen, and its store is
    /// the JSON text as saved, for `sqlite3 runs.db 'select store from runs'`.
    #[tokio::test]
    async fn sqlite_file_is_plain_and_persistent() {
        let file = TempDb::new("plain");
        assert!(!file.0.exists());
        let db = Sqlite::open(&file.0).await.unwrap();
        assert!(file.0.exists());
        let saved = checkpoint(2, Status::Running, "write", r#"{"text":"hello"}"#);
        db.save("doc-42", &saved).await.unwrap();
        drop(db);

        let again = Sqlite::open(&file.0).await.unwrap();
        assert_eq!(again.load("doc-42").await.unwrap(), Some(saved));

        let conn = raw(&file.0);
        let (store, status): (String, String) = conn
            .query_row(
                "SELECT store, status FROM runs WHERE id = 'doc-42'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(store, r#"{"text":"hello"}"#);
        assert_eq!(status, "running");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    fn assert_durable_error(error: pocketflow::Error, path: &Path, words: &str) {
        assert_eq!(error.kind(), ErrorKind::Durable, "{error}");
        let text = error.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains(words), "`{words}` not in: {text}");
    }

    #[tokio::test]
    async fn sqlite_text_file_is_an_error() {
        let file = TempDb::new("text");
        std::fs::write(&file.0, "runs: none, this is a text file\n".repeat(200)).unwrap();
        let error = Sqlite::open(&file.0).await.unwrap_err();
        assert_durable_error(error, &file.0, "not a database");
        // Left as it was.
        assert!(
            std::fs::read_to_string(&file.0)
                .unwrap()
                .starts_with("runs: none")
        );
    }

    #[tokio::test]
    async fn sqlite_garbage_after_header_is_an_error() {
        let file = TempDb::new("garbage");
        let mut bytes = b"SQLite format 3\0".to_vec();
        bytes.extend((0..8192u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        std::fs::write(&file.0, bytes).unwrap();
        let error = Sqlite::open(&file.0).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Durable, "{error}");
    }

    #[tokio::test]
    async fn sqlite_foreign_tables_are_an_error() {
        for (table, ddl) in [
            (
                "runs",
                "CREATE TABLE runs (id INTEGER PRIMARY KEY, distance REAL)",
            ),
            (
                "history",
                "CREATE TABLE history (year INTEGER, event TEXT NOT NULL)",
            ),
        ] {
            let file = TempDb::new("foreign");
            let conn = raw(&file.0);
            conn.execute_batch(ddl).unwrap();
            drop(conn);

            let error = Sqlite::open(&file.0).await.unwrap_err();
            assert_durable_error(error, &file.0, "is not a pocketflow database");
            let error = Sqlite::open(&file.0).await.unwrap_err();
            assert!(error.to_string().contains(table), "{error}");
        }
    }

    /// Saves and store edits from two processes at once on one file: none is lost. The
    /// processes are this test binary again, running `sqlite_child_process`.
    #[tokio::test]
    async fn sqlite_two_processes() {
        const EACH: u32 = 30;
        let file = TempDb::new("processes");
        let db = Sqlite::open(&file.0).await.unwrap();
        db.save("counter", &checkpoint(1, Status::Interrupted, "ask", "0"))
            .await
            .unwrap();
        let children: Vec<_> = ["left", "right"]
            .into_iter()
            .map(|name| {
                Command::new(std::env::current_exe().unwrap())
                    .args(["--exact", "sqlite::sqlite_child_process", "--nocapture"])
                    .env("POCKETFLOW_CHILD_DB", &file.0)
                    .env("POCKETFLOW_CHILD_NAME", name)
                    .env("POCKETFLOW_CHILD_COUNT", EACH.to_string())
                    .spawn()
                    .unwrap()
            })
            .collect();
        // This process writes meanwhile too.
        for step in 1..=EACH {
            let own = checkpoint(u64::from(step), Status::Running, "parent", "{}");
            db.save("parent", &own).await.unwrap();
        }
        for mut child in children {
            assert!(child.wait().unwrap().success(), "a child process failed");
        }
        let counter = db.load("counter").await.unwrap().unwrap();
        assert_eq!(counter.store, (2 * EACH).to_string());
        for name in ["left", "right", "parent"] {
            assert_eq!(db.history(name).await.unwrap().len(), EACH as usize);
        }
    }

    /// Half of `sqlite_two_processes`; does nothing when run on its own.
    #[tokio::test]
    async fn sqlite_child_process() {
        let Ok(path) = std::env::var("POCKETFLOW_CHILD_DB") else {
            return;
        };
        let name = std::env::var("POCKETFLOW_CHILD_NAME").unwrap();
        let count: u32 = std::env::var("POCKETFLOW_CHILD_COUNT")
            .unwrap()
            .parse()
            .unwrap();
        let db = Sqlite::open(&path).await.unwrap();
        for step in 1..=count {
            db.update_store("counter", &mut |store| {
                Ok((store.parse::<u32>().unwrap() + 1).to_string())
            })
            .await
            .unwrap();
            let own = checkpoint(u64::from(step), Status::Running, &name, "{}");
            db.save(&name, &own).await.unwrap();
        }
    }

    /// Many processes opening a new file at once all get it, schema and all.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_concurrent_opens_of_a_new_file() {
        let file = TempDb::new("opens");
        let opens = (0..6).map(|_| Sqlite::open(&file.0));
        for db in futures::future::join_all(opens).await {
            let db = db.unwrap();
            assert!(db.load("none").await.unwrap().is_none());
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use std::str::FromStr;

    use pocketflow::ErrorKind;
    use pocketflow::durable::{Checkpoints, Postgres};
    use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

    use super::{conformance, retention, unique};

    /// The database of `PG_URL`; `None` (skip) when unset, a failure when `CI` is set too.
    fn pg_url() -> Option<String> {
        match std::env::var("PG_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) => {
                panic!("PG_URL is not set, and CI is: the Postgres backend tests must run in CI")
            }
            _ => {
                eprintln!(
                    "skipped: set PG_URL (postgres://user@host:port/database) to test the \
                     Postgres backend"
                );
                None
            }
        }
    }

    /// A pool whose tables live in a schema of their own, dropped by [`drop_schema`].
    async fn pool_in(url: &str, schema: &str) -> PgPool {
        let options = PgConnectOptions::from_str(url)
            .unwrap()
            .options([("search_path", schema)]);
        PgPoolOptions::new()
            .max_connections(3)
            .connect_with(options)
            .await
            .unwrap()
    }

    async fn new_schema(url: &str) -> String {
        let schema = unique("pf").replace('-', "_");
        let pool = PgPool::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&pool)
            .await
            .unwrap();
        schema
    }

    async fn drop_schema(url: &str, schema: &str) {
        let pool = PgPool::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&pool)
            .await
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_conformance() {
        let Some(url) = pg_url() else { return };
        // Two connects: two pools, as two processes would have, on the URL's own schema.
        let a = Postgres::connect(&url).await.unwrap();
        let b = Postgres::connect(&url).await.unwrap();
        conformance(&a, &b).await;
        // Pruning needs a database of its own: it would take other tests' finished runs.
        let schema = new_schema(&url).await;
        let own = Postgres::from_pool(pool_in(&url, &schema).await)
            .await
            .unwrap();
        retention(&own).await;
        drop(own);
        drop_schema(&url, &schema).await;
    }

    /// Processes connecting at once to a database without the tables: one creates them, the
    /// others wait on the advisory lock and find them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_concurrent_connects_create_the_schema_once() {
        let Some(url) = pg_url() else { return };
        let schema = new_schema(&url).await;
        let mut pools = Vec::new();
        for _ in 0..6 {
            pools.push(pool_in(&url, &schema).await);
        }
        let connects = pools.into_iter().map(Postgres::from_pool);
        let dbs: Vec<Postgres> = futures::future::join_all(connects)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        conformance(&dbs[0], &dbs[5]).await;
        drop(dbs);
        drop_schema(&url, &schema).await;
    }

    #[tokio::test]
    async fn postgres_foreign_tables_are_an_error() {
        let Some(url) = pg_url() else { return };
        for (table, ddl) in [
            (
                "runs",
                "CREATE TABLE runs (id INTEGER PRIMARY KEY, distance REAL)",
            ),
            (
                "history",
                "CREATE TABLE history (year INTEGER, event TEXT NOT NULL)",
            ),
        ] {
            let schema = new_schema(&url).await;
            let pool = pool_in(&url, &schema).await;
            sqlx::raw_sql(ddl).execute(&pool).await.unwrap();
            let error = Postgres::from_pool(pool).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Durable, "{error}");
            let text = error.to_string();
            assert!(text.contains("not pocketflow's"), "{text}");
            assert!(text.contains(&format!("`{table}`")), "{text}");
            drop_schema(&url, &schema).await;
        }
    }

    #[tokio::test]
    async fn postgres_unreachable_server_is_an_error() {
        // `connect` waits for a server that is starting (sqlx's 30 s acquire timeout): a pool
        // that gives up sooner keeps this test short.
        let pool = PgPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_millis(300))
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .unwrap();
        let error = Postgres::from_pool(pool).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Durable, "{error}");
        assert!(error.to_string().contains("PostgreSQL"), "{error}");
    }

    /// The store is JSON that `psql` can read and query.
    #[tokio::test]
    async fn postgres_store_is_json() {
        let Some(url) = pg_url() else { return };
        let db = Postgres::connect(&url).await.unwrap();
        let id = unique("json");
        let saved = super::checkpoint(
            1,
            pocketflow::durable::Status::Running,
            "write",
            r#"{"draft": "hi",  "n": 1}"#,
        );
        db.save(&id, &saved).await.unwrap();
        let pool = PgPool::connect(&url).await.unwrap();
        let draft: String = sqlx::query_scalar("SELECT store->>'draft' FROM runs WHERE id = $1")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(draft, "hi");
        // Kept as written, spaces and all.
        assert_eq!(db.load(&id).await.unwrap().unwrap().store, saved.store);
        // Not JSON: refused, and nothing is written.
        let bad = super::checkpoint(2, pocketflow::durable::Status::Running, "x", "not json");
        let error = db.save(&id, &bad).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Durable);
        assert_eq!(db.load(&id).await.unwrap(), Some(saved));
        assert_eq!(db.history(&id).await.unwrap().len(), 1);
    }
}
