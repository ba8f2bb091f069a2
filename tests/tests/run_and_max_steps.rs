//! `run` and `run_blocking` on tokio runtimes, and the `max_steps` guard that stops a looping flow.

use pocketflow::ErrorKind;
use pocketflow::prelude::*;

#[test]
fn run_blocking_refuses_to_block_inside_a_runtime() {
    struct Nop;
    #[node]
    impl Nop {}

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = runtime
        .block_on(async { Nop.run_blocking(&mut ()) })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert!(err.to_string().contains("inside an async runtime"), "{err}");
    assert_eq!(Nop.run_blocking(&mut ()).unwrap(), Action::DEFAULT);
}

/// Counts its runs and loops forever.
struct Forever;
#[node]
impl Forever {
    fn post(&self, runs: &mut u64) -> &'static str {
        *runs += 1;
        "again"
    }
}

#[test]
fn the_step_guard_stops_a_loop_after_its_limit() {
    let forever = Forever;
    let flow = flow! { forever - "again" >> forever }.with_max_steps(1000);
    let mut runs = 0;
    let err = flow.run_blocking(&mut runs).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MaxSteps);
    assert_eq!(runs, 1000);
    assert_eq!(
        err.to_string(),
        "flow stopped after 1000 steps (its max_steps) before running step `forever`"
    );
}

#[tokio::test]
async fn a_flow_runs_on_a_multi_thread_runtime_and_in_a_spawned_task() {
    let forever = Forever;
    let flow = flow! { forever - "again" >> forever }.with_max_steps(10);
    let handle = tokio::runtime::Handle::current();
    let runs = handle
        .spawn(async move {
            let mut runs = 0;
            let _ = flow.run(&mut runs).await;
            runs
        })
        .await
        .unwrap();
    assert_eq!(runs, 10);
}
