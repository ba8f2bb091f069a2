//! The crash-point conformance kit (`durable::testing`) on every backend: `Memory`, `Sqlite`
//! (a file) and `Postgres` (the database at `PG_URL`, a schema of its own); and on a backend
//! whose `save_after` is not one transaction, which it must catch.

use pocketflow::Result;
use pocketflow::durable::testing::{self, Fault};
use pocketflow::durable::{Checkpoint, Checkpoints, HistoryEntry, Memory, RunInfo};

#[tokio::test]
async fn memory_passes_the_conformance_kit() {
    let report = testing::check(&Memory::new()).await.unwrap();
    eprintln!("memory: {report}");
    assert_eq!(report.shapes, 8);
    assert!(report.faults > 200, "{report}");
}

/// `Memory` with the trait's default `save_after`: load, compare and save as three calls, with
/// a wait between them (a network round trip), so that an edit can land in between.
struct NotAtomic(Memory);

impl Checkpoints for NotAtomic {
    async fn load(&self, run_id: &str) -> Result<Option<Checkpoint>> {
        let loaded = self.0.load(run_id).await;
        tokio::task::yield_now().await;
        loaded
    }
    async fn save(&self, run_id: &str, checkpoint: &Checkpoint) -> Result<()> {
        self.0.save(run_id, checkpoint).await
    }
    async fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> Result<String> + Send),
    ) -> Result<()> {
        self.0.update_store(run_id, edit).await
    }
    async fn list(&self) -> Result<Vec<RunInfo>> {
        self.0.list().await
    }
    async fn history(&self, run_id: &str) -> Result<Vec<HistoryEntry>> {
        self.0.history(run_id).await
    }
    async fn save_item(&self, run_id: &str, version: u64, slot: u64, value: &str) -> Result<bool> {
        self.0.save_item(run_id, version, slot, value).await
    }
    async fn items(&self, run_id: &str, version: u64) -> Result<Vec<(u64, String)>> {
        self.0.items(run_id, version).await
    }
    async fn checkpoint_at(&self, run_id: &str, step: u64) -> Result<Option<Checkpoint>> {
        self.0.checkpoint_at(run_id, step).await
    }
    fn keeps_history(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn a_backend_whose_conditional_save_is_not_atomic_fails_it() {
    let failure = testing::check(&NotAtomic(Memory::new())).await.unwrap_err();
    eprintln!("{failure}");
    assert_eq!(failure.fault, Some(Fault::Update));
    assert!(failure.problem.contains("an edit was lost"), "{failure}");
}

/// `Memory` whose `update_store` forgets to move the version on: a run that loaded before the
/// edit commits over it.
struct UnfencedUpdate(Memory);

impl Checkpoints for UnfencedUpdate {
    async fn load(&self, run_id: &str) -> Result<Option<Checkpoint>> {
        self.0.load(run_id).await
    }
    async fn save(&self, run_id: &str, checkpoint: &Checkpoint) -> Result<()> {
        self.0.save(run_id, checkpoint).await
    }
    async fn save_after(
        &self,
        run_id: &str,
        expected: Option<u64>,
        checkpoint: &Checkpoint,
    ) -> Result<bool> {
        self.0.save_after(run_id, expected, checkpoint).await
    }
    async fn update_store(
        &self,
        run_id: &str,
        edit: &mut (dyn FnMut(&str) -> Result<String> + Send),
    ) -> Result<()> {
        let Some(mut saved) = self.0.load(run_id).await? else {
            return self.0.update_store(run_id, edit).await;
        };
        saved.store = edit(&saved.store)?;
        let version = saved.version;
        // Written back as a checkpoint of the same version: the edit does not fence.
        self.0
            .save_after(run_id, Some(version), &saved)
            .await
            .map(drop)
    }
    async fn list(&self) -> Result<Vec<RunInfo>> {
        self.0.list().await
    }
    async fn history(&self, run_id: &str) -> Result<Vec<HistoryEntry>> {
        self.0.history(run_id).await
    }
    async fn save_item(&self, run_id: &str, version: u64, slot: u64, value: &str) -> Result<bool> {
        self.0.save_item(run_id, version, slot, value).await
    }
    async fn items(&self, run_id: &str, version: u64) -> Result<Vec<(u64, String)>> {
        self.0.items(run_id, version).await
    }
    async fn checkpoint_at(&self, run_id: &str, step: u64) -> Result<Option<Checkpoint>> {
        self.0.checkpoint_at(run_id, step).await
    }
    fn keeps_history(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn a_backend_whose_update_does_not_move_the_version_fails_it() {
    let failure = testing::check(&UnfencedUpdate(Memory::new()))
        .await
        .unwrap_err();
    eprintln!("{failure}");
    assert_eq!(failure.fault, Some(Fault::Update));
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_passes_the_conformance_kit() {
    let dir = std::env::temp_dir().join(format!("pocketflow-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = pocketflow::durable::Sqlite::open(dir.join("runs.db"))
        .await
        .unwrap();
    let report = testing::check(&db).await.unwrap();
    eprintln!("sqlite: {report}");
    assert!(report.faults > 200, "{report}");
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_passes_the_conformance_kit() {
    let url = match std::env::var("PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) => {
            panic!("PG_URL is not set, and CI is: the Postgres conformance kit must run in CI")
        }
        _ => {
            eprintln!("skipped: set PG_URL to run the conformance kit on Postgres");
            return;
        }
    };
    let db = pocketflow::durable::Postgres::connect(&url).await.unwrap();
    let report = testing::check(&db).await.unwrap();
    eprintln!("postgres: {report}");
    assert!(report.faults > 200, "{report}");
}
