//! Parallel branches in `flow!` (SPEC section 5.1): `a >> [b, c] >> d` runs `b` and `c` at
//! once on the calling task, with `prep`/`post` exclusive, fail-fast, and the join.
//!
//! Timing is asserted on tokio's paused clock: time moves only when every task waits, so two
//! members that each sleep 100 ms take exactly 100 ms together if they overlap, 200 if not.

use std::sync::Mutex;
use std::time::Duration;

use pocketflow::prelude::*;
use tokio::time::{Instant, sleep};

#[derive(Default, Debug)]
struct Log {
    /// What happened, in order: `"<node> <phase>"`.
    events: Vec<String>,
    results: Vec<String>,
    counter: u64,
}

/// Sleeps `ms` in `exec`, then writes its name into `results`.
struct Sleeper {
    name: &'static str,
    ms: u64,
}

#[node]
impl Sleeper {
    fn prep(&self, log: &mut Log) {
        log.events.push(format!("{} prep", self.name));
    }
    async fn exec(&self, _: ()) {
        sleep(Duration::from_millis(self.ms)).await;
    }
    fn post(&self, log: &mut Log, _: (), _: ()) {
        log.events.push(format!("{} post", self.name));
        log.results.push(self.name.to_owned());
    }
}

fn sleeper(name: &'static str, ms: u64) -> Sleeper {
    Sleeper { name, ms }
}

#[tokio::test(start_paused = true)]
async fn two_100_ms_members_finish_in_100_ms_not_200() {
    let (web, docs) = (sleeper("web", 100), sleeper("docs", 100));
    let research = flow! { [web, docs] };
    let mut log = Log::default();
    let started = Instant::now();
    research.run(&mut log).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_millis(100));
    assert_eq!(log.results.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_join_waits_for_the_slowest_member() {
    let (plan, fast, slow, write) = (
        sleeper("plan", 10),
        sleeper("fast", 20),
        sleeper("slow", 300),
        sleeper("write", 5),
    );
    let research = flow! { plan >> [fast, slow] >> write };
    let mut log = Log::default();
    let started = Instant::now();
    research.run(&mut log).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_millis(10 + 300 + 5));
    assert_eq!(log.results, ["plan", "fast", "slow", "write"]);
    assert_eq!(
        log.events,
        [
            "plan prep", "plan post", "fast prep", "slow prep", "fast post", "slow post",
            "write prep", "write post"
        ]
    );
}
