//! `#[batch_node(parallel, distributed = "name")]` without a queue: outside
//! `Queue::with_workers` the node is an ordinary parallel batch, run in-process, and its
//! `Distributed` impl carries the name workers register it under. (Runs on workers need a
//! Postgres or Redis queue; those are tested with the runtime.)

use std::marker::PhantomData;
use std::time::Duration;

use pocketflow::distributed::Distributed;
use pocketflow::prelude::*;

#[derive(Default)]
struct Shared {
    words: Vec<String>,
    seen: Vec<String>,
    shouted: Vec<String>,
}

struct Shout;

#[batch_node(parallel, limit = 4, distributed = "shout")]
impl Shout {
    fn prep(&self, shared: &Shared) -> Vec<String> {
        shared.words.clone()
    }

    async fn exec(&self, word: &String) -> String {
        // Shorter words sleep longer, so the items finish in reverse: the results' order is the
        // driver's, not the clock's.
        let millis = 40_u64.saturating_sub(10 * word.len() as u64);
        tokio::time::sleep(Duration::from_millis(millis)).await;
        word.to_uppercase()
    }

    fn post(&self, shared: &mut Shared, words: Vec<String>, shouted: Vec<String>) -> &'static str {
        shared.seen = words;
        shared.shouted = shouted;
        "shouted"
    }
}

/// Fails on "boom" every attempt, and falls back for it.
struct Careful;

#[batch_node(parallel, max_retries = 2, distributed = "careful.v2")]
impl Careful {
    fn prep(&self, shared: &Shared) -> Vec<String> {
        shared.words.clone()
    }

    async fn exec(&self, word: &String) -> Result<usize, String> {
        if word == "boom" {
            Err(format!("{word} exploded"))
        } else {
            Ok(word.len())
        }
    }

    fn exec_fallback(&self, _word: &String, _error: pocketflow::Error) -> usize {
        0
    }

    fn post(&self, shared: &mut Shared, _words: Vec<String>, lengths: Vec<usize>) {
        shared.shouted = lengths.iter().map(usize::to_string).collect();
    }
}

/// Generic over its items, which the block does not bound: a distributed batch node (and a
/// node) wherever they are `Portable`.
struct Echo<T>(PhantomData<T>);

#[batch_node(parallel, distributed = "echo")]
impl<T: Clone + Send + Sync + 'static> Echo<T> {
    fn prep(&self, items: &Vec<T>) -> Vec<T> {
        items.clone()
    }

    async fn exec(&self, item: &T) -> T {
        item.clone()
    }

    fn post(&self, items: &mut Vec<T>, _prepped: Vec<T>, echoed: Vec<T>) {
        items.extend(echoed);
    }
}

fn shared(words: &[&str]) -> Shared {
    Shared {
        words: words.iter().map(|&word| word.to_owned()).collect(),
        ..Shared::default()
    }
}

#[tokio::test]
async fn runs_in_process_without_a_queue() {
    let mut shared = shared(&["a", "bb", "ccc"]);
    let action = Shout.run(&mut shared).await.unwrap();
    assert_eq!(action, "shouted");
    assert_eq!(shared.seen, ["a", "bb", "ccc"]);
    assert_eq!(shared.shouted, ["A", "BB", "CCC"]);
}

#[tokio::test]
async fn runs_in_a_flow_without_a_queue() {
    let shout = Shout;
    let flow = flow! { shout };
    let mut shared = shared(&["x", "yy"]);
    assert_eq!(flow.run(&mut shared).await.unwrap(), "shouted");
    assert_eq!(shared.shouted, ["X", "YY"]);
}

#[tokio::test]
async fn falls_back_in_process() {
    let mut shared = shared(&["one", "boom", "three"]);
    Careful.run(&mut shared).await.unwrap();
    assert_eq!(shared.shouted, ["3", "0", "5"]);
}

#[tokio::test]
async fn generic_over_portable_items() {
    let mut items = vec![1_u32, 2];
    Echo(PhantomData).run(&mut items).await.unwrap();
    assert_eq!(items, [1, 2, 1, 2]);
}

#[test]
fn registered_under_its_name() {
    assert_eq!(<Shout as Distributed>::REGISTERED_AS, "shout");
    assert_eq!(<Careful as Distributed>::REGISTERED_AS, "careful.v2");
    assert_eq!(<Echo<u32> as Distributed>::REGISTERED_AS, "echo");
}

/// What a worker runs for one item: the user's `exec`, its error as the attempt's.
#[tokio::test]
async fn remote_exec_is_the_users_exec() {
    let output = Shout.remote_exec(&"hi".to_owned()).await.unwrap();
    assert_eq!(output, "HI");
    let error = Careful.remote_exec(&"boom".to_owned()).await.unwrap_err();
    assert_eq!(error.to_string(), "boom exploded");
}
