//! `run` and `run_blocking` on tokio runtimes, and the `max_steps` guard that stops a looping flow.

use pocketflow::ErrorKind;
use pocketflow::prelude::*;

struct Nop;
#[node]
impl Nop {}

#[test]
fn run_blocking_refuses_to_block_an_async_task() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = runtime
        .block_on(async { Nop.run_blocking(&mut ()) })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Runtime);
    assert_eq!(
        err.to_string(),
        "cannot run: run_blocking was called inside an async task; use `.run(&mut shared).await` \
         there, or call run_blocking inside `tokio::task::spawn_blocking`"
    );
    assert_eq!(Nop.run_blocking(&mut ()).unwrap(), Action::DEFAULT);
}

/// A blocking thread of either runtime flavour may run a flow to completion, timers included.
#[test]
fn run_blocking_runs_inside_spawn_blocking() {
    struct Nap;
    #[node(timeout = "1s")]
    impl Nap {
        async fn exec(&self) {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        fn post(&self, naps: &mut u32) {
            *naps += 1;
        }
    }

    let current_thread = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let multi_thread = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    for runtime in [current_thread, multi_thread] {
        let naps = runtime.block_on(async {
            tokio::task::spawn_blocking(|| {
                let mut naps = 0;
                Nap.run_blocking(&mut naps).map(|_| naps)
            })
            .await
            .unwrap()
        });
        assert_eq!(naps.unwrap(), 1);
    }
}

/// Telling a task from a blocking thread borrows units of the task's cooperative budget: all of
/// them are given back.
#[tokio::test]
async fn run_blocking_leaves_the_tasks_budget_as_it_was() {
    fn units_left() -> usize {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut units = 0;
        while let std::task::Poll::Ready(unit) = tokio::task::coop::poll_proceed(&mut cx) {
            unit.made_progress();
            units += 1;
        }
        units
    }
    let untouched = tokio::spawn(async { units_left() }).await.unwrap();
    let after_refusal = tokio::spawn(async {
        assert!(Nop.run_blocking(&mut ()).is_err());
        units_left()
    })
    .await
    .unwrap();
    assert!(untouched > 0);
    assert_eq!(after_refusal, untouched);
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
