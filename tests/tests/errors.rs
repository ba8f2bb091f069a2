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

mod in_batch_flows {
    //! An error from inside a batch flow's sub-flow names the item it ran for.

    use pocketflow::prelude::*;

    /// No `Debug`: only its index can be shown.
    struct Opaque(u32);

    struct Opaques;
    #[batch_flow(parallel)]
    impl Opaques {
        fn prep(&self, _: &()) -> Vec<Opaque> {
            vec![Opaque(1), Opaque(2), Opaque(3)]
        }
    }

    struct FailsOnTwo;
    #[node]
    impl FailsOnTwo {
        fn prep(&self, _: &(), item: &Opaque) -> u32 {
            item.0
        }
        async fn exec(&self, n: &u32) -> Result<(), String> {
            tokio::task::yield_now().await;
            if *n == 2 { Err("two".into()) } else { Ok(()) }
        }
    }

    #[derive(Debug)]
    struct Job {
        name: &'static str,
    }

    struct Jobs;
    #[batch_flow]
    impl Jobs {
        fn prep(&self, _: &(), _outer: &Opaque) -> Vec<Job> {
            vec![Job { name: "first" }, Job { name: "second" }]
        }
    }

    struct FailsOnSecond;
    #[node]
    impl FailsOnSecond {
        fn prep(&self, _: &(), job: &Job) -> Result<(), String> {
            if job.name == "second" {
                Err("no".into())
            } else {
                Ok(())
            }
        }
    }

    #[tokio::test]
    async fn a_parallel_run_names_its_item_by_index_when_it_has_no_debug() {
        let fails = FailsOnTwo;
        let error = Opaques
            .over(flow! { fails })
            .run(&mut ())
            .await
            .unwrap_err();
        assert_eq!((error.flow_item(), error.flow_item_text()), (Some(1), None));
        assert!(
            error.to_string().contains("in the run for item 1: two"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn the_innermost_batch_flow_names_its_item() {
        let fails = FailsOnSecond;
        let inner = Jobs.over(flow! { fails });
        let error = Opaques
            .over(flow! { inner })
            .run(&mut ())
            .await
            .unwrap_err();
        assert_eq!(error.flow_item(), Some(1));
        assert_eq!(error.flow_item_text(), Some(r#"Job { name: "second" }"#));
    }
}

mod declared_actions {
    //! `#[node(actions = [..])]`: a `post` that returns another label fails the step.

    use pocketflow::prelude::*;

    struct Decide {
        reply: &'static str,
    }
    #[node(actions = ["search", "answer"])]
    impl Decide {
        fn post(&self, _: &mut ()) -> String {
            self.reply.to_owned()
        }
    }

    struct Step;
    #[node]
    impl Step {}

    #[test]
    fn a_declared_label_goes_on_and_another_fails_naming_both() {
        let (decide, search, answer) = (Decide { reply: "answer" }, Step, Step);
        let agent = flow! {
            decide - "search" >> search;
            decide - "answer" >> answer;
        };
        assert_eq!(agent.run_blocking(&mut ()).unwrap(), "default");

        let (decide, search, answer) = (Decide { reply: "serch" }, Step, Step);
        let agent = flow! {
            decide - "search" >> search;
            decide - "answer" >> answer;
        };
        let error = agent.run_blocking(&mut ()).unwrap_err();
        assert_eq!(error.phase(), Some(pocketflow::Phase::Post));
        assert_eq!(
            error.to_string(),
            "step `decide` (node `Decide`) failed in post: returned the action `serch`, which is not one it declares in `actions` (`search`, `answer`)"
        );
    }
}

/// SPEC 8: an `Error` `Display`s in one line, even when the user's error has several; its
/// `source()` keeps them.
#[test]
fn an_error_displays_in_one_line_whatever_its_source_says() {
    struct Lines;
    #[node]
    impl Lines {
        fn exec(&self) -> Result<(), String> {
            Err("the request failed:\r\n  status 500\n\nretry later".into())
        }
    }
    let error = Lines.run_blocking(&mut ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "node `Lines` failed in exec after 1 attempt: the request failed: status 500 retry later"
    );
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert_eq!(source, "the request failed:\r\n  status 500\n\nretry later");
}
