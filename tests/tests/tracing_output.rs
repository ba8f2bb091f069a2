//! The `tracing` output of a node run: a warning per failed attempt and fallback, none otherwise.

use std::sync::atomic::AtomicU32;

use pocketflow::prelude::*;
use pocketflow_tests::{SyncFlaky, capture_logs};

#[tokio::test]
async fn every_failed_attempt_and_the_fallback_are_warnings_in_the_node_span() {
    struct Rescued;
    #[node(max_retries = 2)]
    impl Rescued {
        fn exec(&self) -> Result<(), String> {
            Err("boom".into())
        }
        fn exec_fallback(&self, _prep: &(), _err: pocketflow::Error) {}
    }

    let (logs, _guard) = capture_logs();
    Rescued.run(&mut ()).await.unwrap();
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        warnings[0].contains("exec attempt 1 of 2 failed: boom"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1].contains("exec attempt 2 of 2 failed: boom"),
        "{}",
        warnings[1]
    );
    assert!(
        warnings[2].contains("running exec_fallback"),
        "{}",
        warnings[2]
    );
    for warning in &warnings {
        assert!(
            warning.contains("node{node=\"Rescued\""),
            "not in the node's span: {warning}"
        );
    }
    // The span records the attempt once, when exec is done with: a subscriber may append every
    // recording of a field, so per-attempt recordings would pile up as `attempt=1 attempt=2`.
    assert!(
        warnings[2].contains("{node=\"Rescued\" attempt=2}"),
        "the span records the last attempt once: {}",
        warnings[2]
    );
}

#[tokio::test]
async fn a_successful_run_logs_no_warning() {
    let (logs, _guard) = capture_logs();
    SyncFlaky {
        failures: 0,
        attempts: AtomicU32::new(0),
    }
    .run(&mut 0)
    .await
    .unwrap();
    tracing::warn!("marker");
    assert_eq!(
        logs.warnings().len(),
        1,
        "only the marker: {:?}",
        logs.warnings()
    );
}
