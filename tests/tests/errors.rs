//! Node and flow errors and their Display: fallbacks that fail, batch items, the step path.

use std::sync::atomic::{AtomicU32, Ordering};

use pocketflow::prelude::*;

#[tokio::test]
async fn a_fallback_that_returns_the_error_leaves_it_unwrapped() {
    struct Reraise;
    #[node]
    impl Reraise {
        fn exec(&self) -> Result<(), std::io::Error> {
            Err(std::io::Error::other("disk full"))
        }
        fn exec_fallback(
            &self,
            _prep: &(),
            err: pocketflow::Error,
        ) -> Result<(), pocketflow::Error> {
            Err(err)
        }
    }

    let err = Reraise.run(&mut ()).await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Exec));
    assert_eq!(
        err.to_string(),
        "node `Reraise` failed in exec after 1 attempt: disk full"
    );
}

#[tokio::test]
async fn a_failing_fallback_is_reported_as_such() {
    struct BadFallback;
    #[node]
    impl BadFallback {
        async fn exec(&self) -> Result<(), String> {
            Err("first".into())
        }
        async fn exec_fallback(&self, _prep: &(), _err: pocketflow::Error) -> Result<(), String> {
            Err("second".into())
        }
    }

    let err = BadFallback.run(&mut ()).await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::ExecFallback));
    assert_eq!(
        err.to_string(),
        "node `BadFallback` failed in exec_fallback after 1 attempt: second"
    );
}

#[test]
fn a_batch_item_error_names_the_item_and_stops_the_batch() {
    struct Halve {
        seen: AtomicU32,
    }
    #[batch_node]
    impl Halve {
        fn prep(&self, _: &()) -> Vec<u32> {
            vec![2, 4, 5, 6]
        }
        fn exec(&self, n: &u32) -> Result<u32, String> {
            self.seen.fetch_add(1, Ordering::SeqCst);
            if n.is_multiple_of(2) {
                Ok(n / 2)
            } else {
                Err(format!("{n} is odd"))
            }
        }
    }

    let node = Halve {
        seen: AtomicU32::new(0),
    };
    let err = node.run_blocking(&mut ()).unwrap_err();
    assert_eq!(err.item(), Some(2));
    assert_eq!(node.seen.load(Ordering::SeqCst), 3);
    assert_eq!(
        err.to_string(),
        "node `Halve` failed in exec on item 2 after 1 attempt: 5 is odd"
    );
}

#[test]
fn an_error_names_the_steps_it_left_through() {
    struct Boom;
    #[node]
    impl Boom {
        fn post(&self, _: &mut ()) -> Result<(), String> {
            Err("no".into())
        }
    }
    struct Fine;
    #[node]
    impl Fine {}

    let start = Fine;
    let explode = Boom;
    let inner = flow! { start >> explode };
    let outer = flow! { inner };
    let err = outer.run_blocking(&mut ()).unwrap_err();
    assert_eq!(err.path(), ["inner", "explode"]);
    assert_eq!(err.node(), "Boom");
    assert_eq!(err.phase(), Some(Phase::Post));
    assert_eq!(
        err.to_string(),
        "step `inner.explode` (node `Boom`) failed in post: no"
    );
}
