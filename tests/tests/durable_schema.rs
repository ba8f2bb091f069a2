//! Databases written by an older pocketflow open in this one, migrated in one transaction, and
//! their runs go on; a database of a newer schema is refused, changing nothing.
//!
//! `tests/fixtures/schema-v1.db` was written by pocketflow 0.1.0 (commit bfe157e, before
//! schemas carried a version) running the flow below: run `waiting` stopped at `ask`, run
//! `finished` ended, run `measuring` died inside `measure` with items 0 and 1 journaled.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use pocketflow::durable::{Checkpoints, DurableErrorKind, Outcome, Postgres, Sqlite, Status};
use pocketflow::prelude::*;
use pocketflow::{ErrorKind, Interrupt};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Doc {
    text: String,
    draft: String,
    approved: Option<bool>,
    published: bool,
    lengths: Vec<u64>,
}

struct Write;
#[node]
impl Write {
    fn post(&self, doc: &mut Doc) {
        doc.draft = format!("draft of {}", doc.text);
    }
}

struct Ask;
#[node]
impl Ask {
    fn prep(&self, doc: &Doc) -> Result<bool, Interrupt> {
        doc.approved
            .ok_or_else(|| Interrupt::new("approve the draft"))
    }
}

#[derive(Default)]
struct Measure {
    preps: Arc<AtomicU32>,
    execs: Arc<AtomicU32>,
}

#[batch_node]
impl Measure {
    fn prep(&self, doc: &Doc) -> Vec<String> {
        self.preps.fetch_add(1, Ordering::SeqCst);
        doc.draft.split(' ').map(str::to_owned).collect()
    }
    async fn exec(&self, word: &String) -> u64 {
        self.execs.fetch_add(1, Ordering::SeqCst);
        word.len() as u64
    }
    fn post(&self, doc: &mut Doc, _: Vec<String>, lengths: Vec<u64>) {
        doc.lengths = lengths;
    }
}

struct Publish;
#[node]
impl Publish {
    fn post(&self, doc: &mut Doc) {
        doc.published = true;
    }
}

/// A copy of the fixture in a scratch directory of this test's own.
fn fixture_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pocketflow-schema-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("runs.db");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schema-v1.db");
    std::fs::copy(fixture, &path).unwrap();
    path
}

fn user_version(path: &Path) -> i64 {
    let output = std::process::Command::new("sqlite3")
        .arg(path)
        .arg("PRAGMA user_version")
        .output();
    match output {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap(),
        // No sqlite3 shell: read the header, where SQLite keeps it (bytes 60..64).
        _ => {
            let header = std::fs::read(path).unwrap();
            i64::from(u32::from_be_bytes(header[60..64].try_into().unwrap()))
        }
    }
}

#[tokio::test]
async fn a_file_of_schema_1_is_migrated_and_its_runs_go_on() {
    let path = fixture_copy("v1");
    assert_eq!(user_version(&path), 0);
    let db = Sqlite::open(&path).await.unwrap();

    let measure = Measure::default();
    let (preps, execs) = (measure.preps.clone(), measure.execs.clone());
    let (write, ask, publish) = (Write, Ask, Publish);
    let review = flow! { write >> ask >> measure >> publish };

    // The finished run hands back its store.
    let mut doc = Doc::default();
    let outcome = review.durable(&db, "finished").run(&mut doc).await.unwrap();
    assert_eq!(outcome, Outcome::Finished(Action::DEFAULT));
    assert_eq!(
        (doc.lengths.as_slice(), doc.published),
        (&[5, 2, 3][..], true)
    );

    // The waiting run takes an edit and ends.
    let waiting = review.durable(&db, "waiting");
    waiting
        .update(|doc: &mut Doc| doc.approved = Some(true))
        .await
        .unwrap();
    let mut doc = Doc::default();
    waiting.run(&mut doc).await.unwrap();
    assert_eq!(doc.lengths, [5, 2, 3]);

    // The run that died mid-batch keeps its journal: no `prep` again, one `exec` for the item
    // with no result.
    let (preps_before, execs_before) = (preps.load(Ordering::SeqCst), execs.load(Ordering::SeqCst));
    let mut doc = Doc::default();
    review
        .durable(&db, "measuring")
        .run(&mut doc)
        .await
        .unwrap();
    assert_eq!(doc.lengths, [5, 2, 4]);
    assert_eq!(preps.load(Ordering::SeqCst), preps_before);
    assert_eq!(execs.load(Ordering::SeqCst), execs_before + 1);

    let history = db.history("measuring").await.unwrap();
    let steps: Vec<u64> = history.iter().map(|entry| entry.step).collect();
    assert_eq!(steps, [0, 1, 2, 3, 4]);
    // Steps saved since the migration keep their store; those saved before cannot be read.
    let measuring = review.durable(&db, "measuring");
    let last: Doc = measuring.store_at(4).await.unwrap();
    assert_eq!(last.lengths, [5, 2, 4]);
    let before = measuring.store_at::<Doc>(1).await.unwrap_err();
    assert_eq!(before.durable_kind(), Some(DurableErrorKind::NotFound));
    assert!(
        before.to_string().contains("saved before history kept"),
        "{before}"
    );
    drop(db);
    assert_eq!(user_version(&path), 3);
    // Opening it again migrates nothing.
    let db = Sqlite::open(&path).await.unwrap();
    assert_eq!(db.list().await.unwrap().len(), 3);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[tokio::test]
async fn a_file_of_a_newer_schema_is_refused_unchanged() {
    let path = fixture_copy("newer");
    {
        let db = Sqlite::open(&path).await.unwrap();
        drop(db);
    }
    // As a later pocketflow would leave it.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[60..64].copy_from_slice(&7u32.to_be_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let error = Sqlite::open(&path).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Durable);
    let message = error.to_string();
    assert!(
        message
            .contains("written by a newer pocketflow (schema version 7; this one reads up to 3)"),
        "{message}"
    );
    assert_eq!(user_version(&path), 7);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// Schema 1 as pocketflow 0.1.0 created it in PostgreSQL, with an interrupted run and a run
/// that died mid-batch.
const POSTGRES_SCHEMA_1: &str = r#"
CREATE TABLE runs (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, step BIGINT NOT NULL, position TEXT NOT NULL,
    store JSON NOT NULL, shape TEXT NOT NULL, node TEXT, action TEXT, message TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_id TEXT NOT NULL,
    step BIGINT NOT NULL, status TEXT NOT NULL, node TEXT, action TEXT, at TIMESTAMPTZ NOT NULL
);
CREATE TABLE items (
    run_id TEXT NOT NULL, slot BIGINT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, slot)
);
CREATE INDEX history_run_id ON history (run_id, id);
CREATE INDEX runs_updated_at ON runs (updated_at);
INSERT INTO runs VALUES ('waiting', 'interrupted', 1, '[1]',
    '{"text":"one","draft":"draft of one","approved":null,"published":false,"lengths":[]}',
    'flow:2959eba743ae27d5', 'ask', NULL, 'approve the draft', now());
INSERT INTO runs VALUES ('measuring', 'running', 2, '[2]',
    '{"text":"hang","draft":"draft of hang","approved":true,"published":false,"lengths":[]}',
    'flow:2959eba743ae27d5', 'ask', 'default', NULL, now());
INSERT INTO items VALUES ('measuring', 0, '["draft","of","hang"]'), ('measuring', 1, '5'),
    ('measuring', 2, '2');
"#;

#[tokio::test]
async fn postgres_of_schema_1_is_migrated_and_a_newer_one_refused() {
    let Some(url) = pocketflow_tests::server_url("PG_URL") else {
        return;
    };
    // A schema of this test's own, so that the tables of the other tests do not matter.
    let schema = format!("pf_migrate_{}", std::process::id());
    let admin = sqlx_pool(&url, "public").await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"
    )))
    .execute(&admin)
    .await
    .unwrap();
    let pool = sqlx_pool(&url, &schema).await;
    sqlx::raw_sql(POSTGRES_SCHEMA_1)
        .execute(&pool)
        .await
        .unwrap();

    let db = Postgres::from_pool(pool.clone()).await.unwrap();
    let saved = db.load("measuring").await.unwrap().unwrap();
    assert_eq!(
        (saved.status, saved.step, saved.version),
        (Status::Running, 2, 3)
    );
    assert_eq!(db.items("measuring", 3).await.unwrap().len(), 3);

    let measure = Measure::default();
    let (preps, execs) = (measure.preps.clone(), measure.execs.clone());
    let (write, ask, publish) = (Write, Ask, Publish);
    let review = flow! { write >> ask >> measure >> publish };
    let mut doc = Doc::default();
    review
        .durable(&db, "measuring")
        .run(&mut doc)
        .await
        .unwrap();
    assert_eq!(doc.lengths, [5, 2, 4]);
    assert_eq!(
        (preps.load(Ordering::SeqCst), execs.load(Ordering::SeqCst)),
        (0, 1)
    );
    let waiting = review.durable(&db, "waiting");
    waiting
        .update(|doc: &mut Doc| doc.approved = Some(true))
        .await
        .unwrap();
    waiting.run(&mut Doc::default()).await.unwrap();

    let version: i64 = sqlx::query_scalar("SELECT version FROM pocketflow_schema")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(version, 3);
    sqlx::query("UPDATE pocketflow_schema SET version = 9")
        .execute(&pool)
        .await
        .unwrap();
    let error = Postgres::from_pool(pool.clone()).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("newer pocketflow (schema version 9; this one reads up to 3)"),
        "{error}"
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .unwrap();
}

async fn sqlx_pool(url: &str, schema: &str) -> sqlx::PgPool {
    let schema = schema.to_owned();
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .after_connect(move |conn, _| {
            let schema = schema.clone();
            Box::pin(async move {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET search_path TO {schema}")))
                    .execute(conn)
                    .await
                    .map(drop)
            })
        })
        .connect(url)
        .await
        .unwrap()
}
