//! The driver of a batch flow: its sub-flow once per item of its `prep`, as a sliding window of
//! [`BatchFlowPhases::LIMIT`] runs sharing the store, or one run after another on the caller's
//! store when the limit is 1.
//!
//! A layer that follows the run (a durable run) may follow the batch flow too
//! ([`RunContext::enter_batch`]): it then keeps the items and where the runs are, and a resumed
//! batch flow calls no `prep` and runs no committed `post` again.

use crate::context::{BatchRuns, Plain, RunContext, Unwrapped, WrapRun};
use crate::drive::window::run_window;
use crate::drive::{NodeRun, with_store};
use crate::error::{Phase, Result};
use crate::node::Node;
use crate::phases::BatchFlowPhases;
use crate::progress::{self, Progress};
use crate::store::Store;
use crate::trace;

/// Runs `flow` once per item of `batch`'s `prep`, with the item as its params, in the run of
/// `cx`, counting each finished run into `progress`.
pub(crate) async fn drive_batch_flow<S, P, B, F, C>(
    batch: &B,
    flow: &F,
    progress: Option<&Progress>,
    mut cx: C,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<B::Action>
where
    S: Send,
    P: Sync,
    C: RunContext<S>,
    B: BatchFlowPhases<S, P>,
    F: Node<S, B::Item> + Sync,
{
    let span = NodeRun::<B>::span();
    trace::in_span(&span, async {
        let mut place = if C::FOLLOWS {
            cx.enter_batch(B::item_codec(), B::LIMIT, F::commits_each_post())?
        } else {
            None
        };
        let (items, next) = match place.as_mut().and_then(|place| place.resumed.take()) {
            Some(resumed) => resumed,
            None => {
                let items = with_store!(B, store, Phase::Prep, |shared| batch
                    .phase_prep(shared, params))?;
                if let Some(place) = &place {
                    cx.batch_items(place, &items, B::NAME)?;
                }
                (items, 0)
            }
        };
        progress::add_items(progress, items.len());

        if B::LIMIT > 1 {
            let runs = BatchRuns {
                flow,
                items: &items,
                limit: B::LIMIT,
                progress,
                group: false,
                describe: B::describe_item,
            };
            cx.batch_runs(place.as_ref(), runs, &mut store, &Unwrapped)
                .await?;
        } else {
            (0..next.min(items.len())).for_each(|_| progress::item_done(progress));
            // One run at a time needs no lock: each borrows the caller's store in turn.
            for (index, item) in items.iter().enumerate().skip(next) {
                if C::FOLLOWS {
                    cx.at_item(place.as_ref().map(|place| place.depth), index as u32);
                }
                flow.run_in(store.reborrow(), item, cx.child())
                    .await
                    .map_err(|error| error.in_flow_item(index, B::describe_item(item)))?;
                if C::FOLLOWS {
                    if let Some(place) = &place {
                        // The sub-flow's last post is committed here, with the next item as
                        // the position.
                        cx.commit(place.depth, index as u32 + 1, &mut store).await?;
                    }
                    cx.item_done(index + 1, items.len());
                }
                progress::item_done(progress);
            }
        }

        let action = with_store!(B, store, Phase::Post, |shared| batch
            .phase_post(shared, params, items))?;
        // Only now: a run that stops in `post` resumes past the items, which it needs again.
        if C::FOLLOWS {
            cx.leave_batch(place.as_ref().map(|place| place.depth));
        }
        NodeRun::<B>::close(&span, action)
    })
    .await
}

/// Runs `flow` once per item, `limit` at a time, on the shared `store`: the runs of a parallel
/// batch flow that the layer does not follow, each in the plain context as `wrap` wraps it.
pub(crate) async fn run_in_parallel<S, I, F, W>(
    runs: BatchRuns<'_, F, I>,
    store: &mut Store<'_, S>,
    wrap: &W,
) -> Result<()>
where
    F: Node<S, I>,
    W: WrapRun<S>,
{
    let BatchRuns {
        flow,
        items,
        limit,
        progress,
        ..
    } = runs;
    let runs = &runs;
    let sharing = &store.share();
    let done = &std::sync::atomic::AtomicUsize::new(0);
    run_window(
        items.len(),
        limit,
        |index| async move {
            let run = flow
                .run_in(sharing.store(), &items[index], wrap.wrap(index, Plain))
                .await;
            if run.is_ok() {
                progress::item_done(progress);
                let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                wrap.done(done, items.len());
            }
            // Nobody reads a run's action: the window keeps `()`, not an action per item.
            (index, runs.mark(index, run.map(drop)))
        },
        || sharing.is_settled(),
    )
    .await?;
    Ok(())
}
