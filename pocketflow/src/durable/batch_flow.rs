//! Batch flows in durable runs: the position goes inside them, and their items travel in every
//! checkpoint taken there, so that a resumed batch flow calls no `prep` and runs no committed
//! `post` again. In a sequential batch flow the position is the item, then the place in its
//! sub-flow; in a parallel one, the items done and each run in flight at its own place.
//!
//! A parallel batch flow does so only over a sub-flow whose every `post` is followed by a
//! checkpoint ([`Node::commits_each_post`]; see `durable::parallel`); over anything else it is
//! one step, as are batch flows whose items are not serde types: a run that stops inside one
//! goes back to the store before it and runs it again whole.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::journal::{Journal, Runs};
use super::json;
use super::parallel::{RunsOf, run_in_parallel};
use crate::drive::{NodeRun, drive_batch_flow, with_store};
use crate::error::{Error, Phase, Result};
use crate::node::Node;
use crate::phases::{BatchFlowPhases, ItemCodec};
use crate::progress::{self, Progress};
use crate::store::Store;
use crate::trace;

/// The item type `T` of a `#[batch_flow]`, as a value to choose its codec on:
/// `(&&FlowItems::<T>(PhantomData)).codec()` is [`JournaledItems`]'s when `T` is a serde type,
/// [`UnjournaledItems`]'s (none) otherwise.
pub struct FlowItems<T>(pub PhantomData<fn() -> T>);

/// Items that can be written into checkpoints.
pub trait JournaledItems<T> {
    /// Their codec.
    fn codec(self) -> Option<ItemCodec<T>>;
}

/// Items that cannot: the batch flow is one step.
pub trait UnjournaledItems<T> {
    /// None.
    fn codec(self) -> Option<ItemCodec<T>>;
}

impl<T: Serialize + DeserializeOwned> JournaledItems<T> for &&FlowItems<T> {
    fn codec(self) -> Option<ItemCodec<T>> {
        Some(ItemCodec {
            encode: |item| match json::encode_value(item) {
                Ok(value) => Ok(Box::new(value)),
                Err(problem) => Err(problem.to_string()),
            },
            decode: |item| {
                let Ok(item) = item.downcast::<Value>() else {
                    return Err(Error::durable(
                        "a batch flow's item was not saved as JSON".into(),
                    ));
                };
                json::decode_value(
                    *item,
                    "an item of a batch flow saved in the run's position",
                    "resume it with the program that saved it, or start a new run",
                )
            },
        })
    }
}

impl<T> UnjournaledItems<T> for &FlowItems<T> {
    fn codec(self) -> Option<ItemCodec<T>> {
        None
    }
}

/// `BatchFlow::run_durable`: [`drive_batch_flow`] with a position inside the batch flow when its
/// items are serde types and, for a parallel one, its sub-flow commits each of its posts; the
/// batch flow as one step otherwise.
pub(crate) async fn drive_batch_flow_durable<S, P, B, F>(
    batch: &B,
    flow: &F,
    progress: Option<&Progress>,
    mut store: Store<'_, S>,
    params: &P,
    journal: &mut Journal<'_, S>,
) -> Result<B::Action>
where
    S: Send,
    P: Sync,
    B: BatchFlowPhases<S, P>,
    F: Node<S, B::Item> + Sync,
{
    // A parallel one also needs checkpoints written after each step (not inside the run of
    // another parallel batch flow, which publishes its place instead).
    let parent = journal.saver();
    let codec = match B::item_codec() {
        Some(codec) if B::LIMIT == 1 || (F::commits_each_post() && parent.is_some()) => codec,
        _ => return drive_batch_flow(batch, flow, progress, store, params).await,
    };
    let span = NodeRun::<B>::span();
    trace::in_span(&span, async {
        let (depth, resumed) = journal.enter_batch();
        let (items, saved, next, runs) = match resumed {
            Some(resumed) => {
                let items = resumed
                    .items
                    .iter()
                    .map(|item| (codec.decode)(Box::new(item.clone())))
                    .collect::<Result<Vec<_>>>()?;
                (items, resumed.items, resumed.next as usize, resumed.runs)
            }
            None => {
                let items = with_store!(B, store, Phase::Prep, |shared| batch
                    .phase_prep(shared, params))?;
                let saved = items
                    .iter()
                    .map(|item| {
                        let encoded = (codec.encode)(item)?;
                        encoded
                            .downcast::<Value>()
                            .map(|value| *value)
                            .map_err(|_| "not a JSON value".to_owned())
                    })
                    .collect::<std::result::Result<Arc<[Value]>, String>>()
                    .map_err(|e| {
                        json::unwritable(
                            &format!("node `{}`", B::NAME),
                            "the batch flow's items",
                            e,
                        )
                    })?;
                (items, saved, 0, Runs::default())
            }
        };
        journal.batch_items(depth, saved);
        progress::add_items(progress, items.len());
        if B::LIMIT == 1 {
            for _ in 0..next.min(items.len()) {
                progress::item_done(progress);
            }
            for (index, item) in items.iter().enumerate().skip(next) {
                journal.at_item(depth, index as u32);
                flow.run_in(store.reborrow(), item, &mut *journal).await?;
                // The sub-flow's last post is committed here, with the next item as the position.
                journal.commit(depth, index as u32 + 1, &mut store).await?;
                progress::item_done(progress);
            }
        } else if let Some(parent) = parent {
            let runs = RunsOf {
                depth,
                limit: B::LIMIT,
                saved: runs,
            };
            run_in_parallel(flow, progress, &mut store, journal, parent, runs, &items).await?;
        }
        let action = with_store!(B, store, Phase::Post, |shared| batch
            .phase_post(shared, params, items))?;
        // Only now: a run that stops in `post` resumes past the items, which it needs again.
        journal.leave_batch(depth);
        NodeRun::<B>::close(&span, action)
    })
    .await
}
