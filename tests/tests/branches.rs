//! Parallel branches in `flow!` (SPEC section 5.1): `a >> [b, c] >> d` runs `b` and `c` at
//! once on the calling task, with `prep`/`post` exclusive, fail-fast, and the join.
//!
//! Timing is asserted on tokio's paused clock: time moves only when every task waits, so two
//! members that each sleep 100 ms take exactly 100 ms together if they overlap, 200 if not.

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
            "plan prep",
            "plan post",
            "fast prep",
            "slow prep",
            "fast post",
            "slow post",
            "write prep",
            "write post"
        ]
    );
}

/// Reads the counter in `prep`, awaits inside `post` holding the store, then writes it back
/// plus one: a lost update shows as a total short of the posts.
struct Increment;

#[node]
impl Increment {
    fn prep(&self, log: &Log) -> u64 {
        log.counter
    }
    async fn exec(&self, _: u64) {
        tokio::task::yield_now().await;
    }
    async fn post(&self, log: &mut Log, _: u64, _: ()) {
        let seen = log.counter;
        tokio::task::yield_now().await;
        sleep(Duration::from_micros(1)).await;
        log.counter = seen + 1;
    }
}

#[tokio::test(start_paused = true)]
async fn no_update_is_lost_over_1000_runs_of_a_group_of_three_async_posts() {
    let (a, b, c) = (Increment, Increment, Increment);
    let group = flow! { [a, b, c] };
    let mut log = Log::default();
    for _ in 0..1000 {
        group.run(&mut log).await.unwrap();
    }
    assert_eq!(log.counter, 3000);
}

/// Fails in `exec` after `ms`.
struct Failing {
    ms: u64,
}

#[node]
impl Failing {
    fn prep(&self, log: &mut Log) {
        log.events.push("failing prep".to_owned());
    }
    async fn exec(&self, _: ()) -> Result<(), String> {
        sleep(Duration::from_millis(self.ms)).await;
        Err("no results".to_owned())
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_member_cancels_a_sleeping_sibling_and_names_itself() {
    let (failing, sleeping, after) = (
        Failing { ms: 10 },
        sleeper("sleeping", 1_000),
        sleeper("after", 1),
    );
    let research = flow! { [failing, sleeping] >> after };
    let mut log = Log::default();
    let started = Instant::now();
    let error = research.run(&mut log).await.unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_millis(10));
    assert_eq!(error.phase(), Some(pocketflow::Phase::Exec));
    assert_eq!(error.path(), ["failing"]);
    assert_eq!(log.events, ["failing prep", "sleeping prep"]);
    // The sibling never finishes, even once its sleep would have ended.
    sleep(Duration::from_secs(2)).await;
    assert!(log.results.is_empty());
}

/// Waits 5 ms in `exec`, then holds the store in an async `post` for `ms`, writing before and
/// after the wait.
struct SlowPost {
    ms: u64,
}

#[node]
impl SlowPost {
    async fn exec(&self, _: ()) {
        sleep(Duration::from_millis(5)).await;
    }
    async fn post(&self, log: &mut Log, _: (), _: ()) {
        log.events.push("post starts".to_owned());
        sleep(Duration::from_millis(self.ms)).await;
        log.events.push("post ends".to_owned());
    }
}

#[tokio::test(start_paused = true)]
async fn a_sibling_inside_post_finishes_it_before_the_group_fails() {
    // `failing` fails at 10 ms, inside `slow_post`'s post (5 to 55 ms).
    let (slow_post, failing) = (SlowPost { ms: 50 }, Failing { ms: 10 });
    let research = flow! { [slow_post, failing] };
    let mut log = Log::default();
    let started = Instant::now();
    research.run(&mut log).await.unwrap_err();
    assert_eq!(log.events, ["failing prep", "post starts", "post ends"]);
    assert_eq!(started.elapsed(), Duration::from_millis(55));
}

/// Says "again" until the log has `rounds` writes, then "done".
struct Write {
    rounds: usize,
}

#[node]
impl Write {
    fn post(&self, log: &mut Log) -> &'static str {
        log.results.push("write".to_owned());
        let writes = log.results.iter().filter(|r| *r == "write").count();
        if writes < self.rounds {
            "again"
        } else {
            "done"
        }
    }
}

struct Decide;

#[node]
impl Decide {
    fn post(&self, log: &mut Log) -> &'static str {
        if log.results.is_empty() {
            "research"
        } else {
            "answer"
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_group_follows_a_labelled_edge_and_loops_back() {
    let (decide, web, docs, write, answer) = (
        Decide,
        sleeper("web", 30),
        sleeper("docs", 20),
        Write { rounds: 2 },
        sleeper("answer", 1),
    );
    let agent = flow! {
        decide - "research" >> [web, docs] >> write;
        write - "again" >> decide;
        decide - "answer" >> answer;
    };
    let mut log = Log::default();
    let started = Instant::now();
    // The flow's action is its last node's: `answer` returns the default.
    assert_eq!(agent.run(&mut log).await.unwrap(), "default");
    assert_eq!(log.results, ["docs", "web", "write", "answer"]);
    assert_eq!(started.elapsed(), Duration::from_millis(30 + 1));
}

#[tokio::test(start_paused = true)]
async fn a_group_may_start_a_flow_and_end_it() {
    let (web, docs) = (sleeper("web", 2), sleeper("docs", 1));
    let group = flow! { [web, docs] };
    let mut log = Log::default();
    assert_eq!(group.run(&mut log).await.unwrap(), "default");
    assert_eq!(log.results, ["docs", "web"]);
}

#[tokio::test(start_paused = true)]
async fn a_member_that_is_a_flow_with_its_own_group_runs_it_nested() {
    let (a, b, c, d) = (
        sleeper("a", 100),
        sleeper("b", 100),
        sleeper("c", 50),
        sleeper("d", 10),
    );
    // `inner` takes 100 (a and b at once) + 10; `c` runs beside it.
    let inner = flow! { [a, b] >> d };
    let outer = flow! { [inner, c] };
    let mut log = Log::default();
    let started = Instant::now();
    outer.run(&mut log).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_millis(110));
    assert_eq!(log.results, ["c", "a", "b", "d"]);
}

/// Appends its params, the batch item, after `ms`.
struct Item {
    name: &'static str,
    ms: u64,
}

#[node]
impl Item {
    async fn exec(&self, _: ()) {
        sleep(Duration::from_millis(self.ms)).await;
    }
    fn post(&self, log: &mut Log, _: (), _: (), item: &u64) {
        log.results.push(format!("{} {item}", self.name));
    }
}

struct Each;

#[batch_flow]
impl Each {
    fn prep(&self, _: &Log) -> Vec<u64> {
        vec![1, 2, 3]
    }
}

struct EachAtOnce;

#[batch_flow(parallel)]
impl EachAtOnce {
    fn prep(&self, _: &Log) -> Vec<u64> {
        vec![1, 2, 3]
    }
}

/// `web` (20 ms) and `docs` (10 ms), which log the item they ran for.
fn items() -> (Item, Item) {
    let web = Item {
        name: "web",
        ms: 20,
    };
    let docs = Item {
        name: "docs",
        ms: 10,
    };
    (web, docs)
}

#[tokio::test(start_paused = true)]
async fn groups_inside_batch_flows_get_the_item_as_params() {
    let (web, docs) = items();
    let each = Each.over(flow! { [web, docs] });
    let mut log = Log::default();
    let started = Instant::now();
    each.run(&mut log).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_millis(3 * 20));
    assert_eq!(
        log.results,
        ["docs 1", "web 1", "docs 2", "web 2", "docs 3", "web 3"]
    );

    let (web, docs) = items();
    let at_once = EachAtOnce.over(flow! { [web, docs] });
    let mut log = Log::default();
    let started = Instant::now();
    at_once.run(&mut log).await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_millis(20));
    let mut results = log.results.clone();
    results.sort();
    assert_eq!(
        results,
        ["docs 1", "docs 2", "docs 3", "web 1", "web 2", "web 3"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_group_is_one_step_against_the_step_limit() {
    let (plan, web, docs, write) = (
        sleeper("plan", 1),
        sleeper("web", 1),
        sleeper("docs", 1),
        Write { rounds: 100 },
    );
    let agent = flow! {
        plan >> [web, docs] >> write;
        write - "again" >> plan;
    }
    .with_max_steps(7);
    let mut log = Log::default();
    let error = agent.run(&mut log).await.unwrap_err();
    assert_eq!(error.kind(), pocketflow::ErrorKind::MaxSteps);
    // plan, the group, write; plan, the group, write; plan: then the group is step 8.
    assert!(error.to_string().contains("[web, docs]"), "{error}");
    let plans = log.results.iter().filter(|r| *r == "plan").count();
    let webs = log.results.iter().filter(|r| *r == "web").count();
    assert_eq!((plans, webs), (3, 2));
}

#[tokio::test]
async fn a_group_draws_its_fork_and_join() {
    let (plan, web, docs, write) = (
        sleeper("plan", 1),
        sleeper("web", 1),
        sleeper("docs", 1),
        Write { rounds: 1 },
    );
    let research = flow! {
        plan >> [web, docs] >> write;
        write - "again" >> plan;
    };
    assert_eq!(
        research.to_mermaid(),
        "\
flowchart TD
    plan[\"plan\"]
    web[\"web\"]
    docs[\"docs\"]
    write[\"write\"]
    plan --> web
    plan --> docs
    web --> write
    docs --> write
    write -- \"again\" --> plan
"
    );
}

/// A streamed event as `path kind`, with the item when there is one.
fn show(event: &pocketflow::stream::Event<()>) -> String {
    use pocketflow::stream::EventKind;
    let kind = match event.kind() {
        EventKind::Started => "started".to_owned(),
        EventKind::Finished { action } => format!("finished {action}"),
        EventKind::Progress { done, total } => format!("progress {done}/{total}"),
        EventKind::Failed { .. } => "failed".to_owned(),
        other => format!("{other:?}"),
    };
    match event.item() {
        Some(item) => format!("{} #{item} {kind}", event.path().join("/")),
        None => format!("{} {kind}", event.path().join("/")),
    }
}

#[tokio::test(start_paused = true)]
async fn a_streamed_group_shows_each_member_under_its_own_path() {
    use futures::StreamExt;
    let (plan, web, docs, write) = (
        sleeper("plan", 1),
        sleeper("web", 20),
        sleeper("docs", 10),
        Write { rounds: 1 },
    );
    let research = flow! { plan >> [web, docs] >> write };
    let mut log = Log::default();
    let events: Vec<String> = research
        .stream::<()>(&mut log)
        .map(|e| show(&e))
        .collect()
        .await;
    assert_eq!(
        events,
        [
            "plan started",
            "plan finished default",
            "web started",
            "docs started",
            "docs finished default",
            "web finished default",
            "write started",
            "write finished done",
        ]
    );

    // Inside a batch flow's runs, the members keep the run's item.
    let (web, docs) = items();
    let each = EachAtOnce.over(flow! { [web, docs] });
    let mut log = Log::default();
    let events: Vec<String> = each
        .stream::<()>(&mut log)
        .map(|e| show(&e))
        .collect()
        .await;
    let firsts: Vec<&String> = events.iter().filter(|e| e.contains("#0")).collect();
    assert_eq!(
        firsts,
        [
            "EachAtOnce/web #0 started",
            "EachAtOnce/docs #0 started",
            "EachAtOnce/docs #0 finished default",
            "EachAtOnce/web #0 finished default",
        ]
    );
    assert_eq!(events.iter().filter(|e| e.contains("progress")).count(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_streamed_group_that_fails_shows_the_member_that_failed() {
    use futures::StreamExt;
    let (failing, sleeping) = (Failing { ms: 10 }, sleeper("sleeping", 1_000));
    let research = flow! { [failing, sleeping] };
    let mut log = Log::default();
    let mut stream = research.stream::<()>(&mut log);
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(show(&event));
    }
    assert!(stream.finish().await.is_err());
    assert_eq!(
        events,
        ["failing started", "sleeping started", "failing failed"]
    );
}

mod durable {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use pocketflow::durable::{Checkpoints, Memory, Outcome};
    use pocketflow::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, Serialize, Deserialize)]
    struct Doc {
        posts: Vec<String>,
        approved: bool,
    }

    /// Logs its name; counts its `exec`s.
    struct Step {
        name: &'static str,
        runs: Arc<AtomicUsize>,
    }

    fn step(name: &'static str) -> (Step, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let step = Step {
            name,
            runs: runs.clone(),
        };
        (step, runs)
    }

    #[node]
    impl Step {
        async fn exec(&self) {
            self.runs.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
        }
        fn post(&self, doc: &mut Doc) {
            doc.posts.push(self.name.to_owned());
        }
    }

    /// Waits for a person.
    struct Ask;

    #[node]
    impl Ask {
        fn prep(&self, doc: &Doc) -> Result<(), pocketflow::Interrupt> {
            if doc.approved {
                Ok(())
            } else {
                Err(pocketflow::Interrupt::new("approve"))
            }
        }
        fn post(&self, doc: &mut Doc) {
            doc.posts.push("ask".to_owned());
        }
    }

    #[tokio::test]
    async fn an_interrupted_member_resumes_at_its_place_and_a_done_one_not_again() {
        let db = Memory::new();
        let ((check, checks), ask) = (step("check"), Ask);
        let review = flow! { check >> ask };
        let ((first, _), (draft, drafts), (last, _)) = (step("first"), step("draft"), step("last"));
        let flow = flow! { first >> [review, draft] >> last };
        let run = flow.durable(&db, "group");
        let outcome = run.run(&mut Doc::default()).await.unwrap();
        assert!(matches!(outcome, Outcome::Interrupted(_)), "{outcome:?}");
        let saved = db.load("group").await.unwrap().unwrap();
        // The group is step 1; draft (run 1) is done, review (run 0) waits at its step 1.
        assert_eq!(
            saved.position,
            r#"{"path":[1,0],"names":["[review, draft]",""],"batches":[{"depth":1,"items":[0,1],"runs":{"done":[1],"at":[[0,{"path":[0,1],"names":["review","ask"]}]]}}]}"#
        );

        run.update(|doc: &mut Doc| doc.approved = true)
            .await
            .unwrap();
        let mut doc = Doc::default();
        let outcome = run.run(&mut doc).await.unwrap();
        assert!(matches!(outcome, Outcome::Finished(_)), "{outcome:?}");
        let mut middle = doc.posts[1..4].to_vec();
        middle.sort();
        assert_eq!(
            (&doc.posts[0], &doc.posts[4]),
            (&"first".to_owned(), &"last".to_owned())
        );
        assert_eq!(middle, ["ask", "check", "draft"]);
        // Neither the member that was done nor the step before the interrupt ran again.
        assert_eq!(drafts.load(Ordering::SeqCst), 1);
        assert_eq!(checks.load(Ordering::SeqCst), 1);
    }

    /// Runs `flow` durably until it finishes, approving at each interrupt; returns the posts.
    async fn run_approving<N: Node<Doc> + Sync>(flow: &N, db: &Memory, id: &str) -> Vec<String> {
        let run = flow.durable(db, id);
        for _ in 0..5 {
            let mut doc = Doc::default();
            match run.run(&mut doc).await.unwrap() {
                Outcome::Finished(_) => return doc.posts,
                Outcome::Interrupted(_) => {
                    run.update(|doc: &mut Doc| doc.approved = true)
                        .await
                        .unwrap();
                }
            }
        }
        panic!("{id} never finished");
    }

    fn sorted(mut posts: Vec<String>) -> Vec<String> {
        posts.sort();
        posts
    }

    #[tokio::test]
    async fn a_nested_group_that_stops_applies_each_post_once() {
        let db = Memory::new();
        let ((a, _), ask, (c, _)) = (step("a"), Ask, step("c"));
        let inner = flow! { [a, ask] };
        let flow = flow! { [c, inner] };
        let posts = run_approving(&flow, &db, "nested").await;
        assert_eq!(sorted(posts), ["a", "ask", "c"]);
    }

    struct Two;

    #[batch_flow(parallel)]
    impl Two {
        fn prep(&self, _: &Doc) -> Vec<u32> {
            vec![0, 1]
        }
    }

    /// Asks only in the run of item 1.
    struct AskSecond;

    #[node]
    impl AskSecond {
        fn prep(&self, doc: &Doc, item: &u32) -> Result<(), pocketflow::Interrupt> {
            if *item == 1 && !doc.approved {
                return Err(pocketflow::Interrupt::new("approve"));
            }
            Ok(())
        }
        fn post(&self, doc: &mut Doc, _: (), _: (), item: &u32) {
            doc.posts.push(format!("ask{item}"));
        }
    }

    /// Logs its name and the item.
    struct ItemStep(&'static str);

    #[node]
    impl ItemStep {
        fn post(&self, doc: &mut Doc, _: (), _: (), item: &u32) {
            doc.posts.push(format!("{}{item}", self.0));
        }
    }

    #[tokio::test]
    async fn a_group_inside_a_parallel_batch_flow_that_stops_applies_each_post_once() {
        let db = Memory::new();
        let (a, ask, b) = (ItemStep("a"), AskSecond, ItemStep("b"));
        let each = Two.over(flow! { [a, ask] >> b });
        let posts = run_approving(&each, &db, "inside").await;
        assert_eq!(sorted(posts), ["a0", "a1", "ask0", "ask1", "b0", "b1"]);
    }

    #[tokio::test]
    async fn a_group_commits_a_step_per_post_and_none_for_its_join() {
        let db = Memory::new();
        let (x, y) = (step("x").0, step("y").0);
        let inner = flow! { x >> y };
        let ((first, _), (z, _), (last, _)) = (step("first"), step("z"), step("last"));
        let flow = flow! { first >> [inner, z] >> last };
        let posts = run_approving(&flow, &db, "steps").await;
        assert_eq!(posts.len(), 5);
        let saved = db.load("steps").await.unwrap().unwrap();
        assert_eq!(saved.step, 5);
        // The members' posts are checkpointed under the group's name (together, when they
        // come together, as a parallel batch flow's are); no entry is the join's, and no step
        // number is written twice.
        let history = db.history("steps").await.unwrap();
        let steps: Vec<u64> = history.iter().map(|entry| entry.step).collect();
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "{history:?}");
        assert!(
            history
                .iter()
                .filter(|entry| entry.node.as_deref() == Some("[inner, z]"))
                .all(|entry| entry.action.is_none()),
            "{history:?}"
        );
        // Ending with a group adds no step either.
        let ((a, _), (b, _)) = (step("a"), step("b"));
        let group = flow! { [a, b] };
        run_approving(&group, &db, "ends").await;
        assert_eq!(db.load("ends").await.unwrap().unwrap().step, 2);
    }
}
