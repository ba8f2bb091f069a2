//! The driver of a batch flow: its sub-flow once per item of its `prep`, as a sliding window of
//! [`BatchFlowPhases::LIMIT`] runs sharing the store, or one run after another on the caller's
//! store when the limit is 1.

use crate::drive::window::run_window;
use crate::drive::{NodeRun, with_store};
use crate::error::{Phase, Result};
use crate::node::Node;
use crate::phases::BatchFlowPhases;
use crate::progress::{self, Progress};
use crate::store::Store;
use crate::trace;

/// Runs `flow` once per item of `batch`'s `prep`, with the item as its params.
pub(crate) async fn drive_batch_flow<S, P, B, F>(
    batch: &B,
    flow: &F,
    progress: Option<&Progress>,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<B::Action>
where
    B: BatchFlowPhases<S, P>,
    F: Node<S, B::Item>,
{
    let span = NodeRun::<B>::span();
    trace::in_span(&span, async {
        let items = with_store!(B, store, Phase::Prep, |shared| batch
            .phase_prep(shared, params))?;
        progress::add_items(progress, items.len());

        if B::LIMIT > 1 {
            let (sharing, items) = (&store.share(), &items);
            run_window(
                items.len(),
                B::LIMIT,
                |index| async move {
                    let run = flow.run_node(sharing.store(), &items[index]).await;
                    if run.is_ok() {
                        progress::item_done(progress);
                    }
                    // Nobody reads a run's action: the window keeps `()`, not an action per item.
                    (index, run.map(drop))
                },
                || sharing.is_settled(),
            )
            .await?;
        } else {
            // One run at a time needs no lock: each borrows the caller's store in turn.
            for item in &items {
                flow.run_node(store.reborrow(), item).await?;
                progress::item_done(progress);
            }
        }

        let action = with_store!(B, store, Phase::Post, |shared| batch
            .phase_post(shared, params, items))?;
        NodeRun::<B>::close(&span, action)
    })
    .await
}
