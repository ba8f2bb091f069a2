//! Batch flows in durable runs: the position goes inside them, and their items travel in every
//! checkpoint taken there, so that a resumed batch flow calls no `prep` and runs no committed
//! `post` again. In a sequential batch flow the position is the item, then the place in its
//! sub-flow; in a parallel one, the items done and each run in flight at its own place.
//!
//! A checkpoint inside a parallel batch flow is written by whichever run took a step, with the
//! store as every run left it: so it must know where each run is after each of that run's
//! `post`s. A run says so ([`Saver::publish`]) before it asks for the store's lock to write its
//! checkpoint, with no `.await` since its `post` let go of that lock; the runs share one task,
//! so no other run can take a checkpoint in between. That holds for nodes whose every `post` is
//! followed by a checkpoint ([`Node::commits_each_post`]: macro-made nodes, flows of them and
//! sequential batch flows that journal their items); a parallel batch flow over anything else
//! is one step, as are batch flows whose items are not serde types: a run that stops inside one
//! goes back to the store before it and runs it again whole.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::journal::{Journal, Pending, Position, Runs, Saver};
use crate::drive::window::run_window;
use crate::drive::{NodeRun, drive_batch_flow, with_store};
use crate::error::{Error, Phase, Result};
use crate::node::Node;
use crate::phases::BatchFlowPhases;
use crate::progress::{self, Progress};
use crate::store::Store;
use crate::trace;

/// How a batch flow's items are written into checkpoints and read back.
pub struct ItemCodec<T> {
    encode: fn(&T) -> serde_json::Result<Value>,
    decode: fn(Value) -> serde_json::Result<T>,
}

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
            encode: |item| serde_json::to_value(item),
            decode: serde_json::from_value,
        })
    }
}

impl<T> UnjournaledItems<T> for &FlowItems<T> {
    fn codec(self) -> Option<ItemCodec<T>> {
        None
    }
}

fn items_error(error: serde_json::Error) -> Error {
    Error::durable(format!("the batch flow's items cannot be journaled as JSON: {error}").into())
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
    let codec = match B::item_codec() {
        Some(codec) if B::LIMIT == 1 || F::commits_each_post() => codec,
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
                    .map(|item| (codec.decode)(item.clone()))
                    .collect::<serde_json::Result<Vec<_>>>()
                    .map_err(items_error)?;
                (items, resumed.items, resumed.next as usize, resumed.runs)
            }
            None => {
                let items = with_store!(B, store, Phase::Prep, |shared| batch
                    .phase_prep(shared, params))?;
                let saved = items
                    .iter()
                    .map(codec.encode)
                    .collect::<serde_json::Result<Arc<[Value]>>>()
                    .map_err(items_error)?;
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
                flow.run_durable(store.reborrow(), item, journal).await?;
                // The sub-flow's last post is committed here, with the next item as the position.
                journal.commit(depth, index as u32 + 1, &mut store).await?;
                progress::item_done(progress);
            }
        } else {
            let runs_of = RunsOf {
                depth,
                limit: B::LIMIT,
                saved: runs,
            };
            run_in_parallel(flow, progress, &mut store, journal, runs_of, &items).await?;
        }
        let action = with_store!(B, store, Phase::Post, |shared| batch
            .phase_post(shared, params, items))?;
        // Only now: a run that stops in `post` resumes past the items, which it needs again.
        journal.leave_batch(depth);
        NodeRun::<B>::close(&span, action)
    })
    .await
}

/// The parallel batch flow at `depth` of a position: `limit` runs at once, and which runs are
/// done and where the others go on when it resumes.
struct RunsOf {
    depth: usize,
    limit: usize,
    saved: Runs,
}

/// The runs of a parallel batch flow, one per item, each with a journal of its own.
async fn run_in_parallel<S, I, F>(
    flow: &F,
    progress: Option<&Progress>,
    store: &mut Store<'_, S>,
    journal: &Journal<'_, S>,
    RunsOf {
        depth,
        limit,
        saved,
    }: RunsOf,
    items: &[I],
) -> Result<()>
where
    S: Send,
    I: Sync,
    F: Node<S, I> + Sync,
{
    let (around, name) = journal.here();
    let parallel = &ParallelRuns {
        parent: journal.saver(),
        around: around.clone(),
        depth,
        name,
        runs: Mutex::new(saved.clone()),
    };
    for _ in &saved.done {
        progress::item_done(progress);
    }
    let pending: Vec<usize> = (0..items.len())
        .filter(|index| !saved.done.contains(&(*index as u32)))
        .collect();
    let resume_at = &saved.at;
    let (sharing, pending) = (&store.share(), &pending);
    run_window(
        pending.len(),
        limit,
        |slot| async move {
            let index = pending[slot];
            let saver = ItemSaver {
                parallel,
                item: index as u32,
            };
            let resume = resume_at
                .iter()
                .find(|(item, _)| *item == index as u32)
                .map(|(_, at)| at.clone())
                .unwrap_or_default();
            let mut run_journal = Journal::new(&saver, resume);
            let run = async {
                flow.run_durable(sharing.store(), &items[index], &mut run_journal)
                    .await?;
                // Said at once after the sub-flow's last post, as `publish` is (see the module).
                parallel.finish(index as u32);
                let step = run_journal.take_step();
                let mut store = sharing.store();
                let shared = store.access().await;
                saver.save(&*shared, &Position::default(), step).await
            }
            .await;
            if run.is_ok() {
                progress::item_done(progress);
            }
            (slot, run)
        },
        || sharing.is_settled(),
    )
    .await
    .map(drop)
}

/// What every checkpoint taken inside one parallel batch flow says of its runs.
struct ParallelRuns<'p, S> {
    /// What writes the run's checkpoints.
    parent: &'p dyn Saver<S>,
    /// The position of the batch flow itself, its items included.
    around: Position,
    depth: usize,
    /// The batch flow's step name, before its sub-flows' step names.
    name: String,
    runs: Mutex<Runs>,
}

impl<S> ParallelRuns<'_, S> {
    fn runs(&self) -> std::sync::MutexGuard<'_, Runs> {
        self.runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Run `item` goes on at `at` inside its sub-flow.
    fn publish(&self, item: u32, at: &Position) {
        let mut runs = self.runs();
        match runs.at.iter_mut().find(|(run, _)| *run == item) {
            Some((_, place)) => *place = at.clone(),
            None => runs.at.push((item, at.clone())),
        }
    }

    /// Run `item` is done: its sub-flow's last post is applied.
    fn finish(&self, item: u32) {
        let mut runs = self.runs();
        runs.at.retain(|(run, _)| *run != item);
        runs.done.push(item);
    }

    /// The run's position with every run where it is now.
    fn position(&self) -> Position {
        let mut position = self.around.clone();
        let runs = self.runs().clone();
        if let Some(batch) = position.batches.iter_mut().find(|b| b.depth == self.depth) {
            batch.runs = Some(runs);
        }
        position
    }
}

/// The saver of one run of a parallel batch flow: its position goes into the batch flow's, and
/// a checkpoint it writes is the whole run's. Batch nodes inside it journal nothing (their
/// slots would be shared by every run): they run whole, as one step of the run.
struct ItemSaver<'i, S> {
    parallel: &'i ParallelRuns<'i, S>,
    item: u32,
}

impl<S> Saver<S> for ItemSaver<'_, S> {
    fn save<'s>(
        &'s self,
        store: &S,
        _position: &Position,
        step: Option<(String, String)>,
    ) -> Pending<'s, ()> {
        let step = step.map(|(name, action)| match self.parallel.name.as_str() {
            "" => (name, action),
            around => (format!("{around}.{name}"), action),
        });
        self.parallel
            .parent
            .save(store, &self.parallel.position(), step)
    }

    fn publish(&self, position: &Position) {
        self.parallel.publish(self.item, position);
    }

    fn save_item<'s>(&'s self, _: u64, _: String) -> Pending<'s, ()> {
        Box::pin(async { Ok(()) })
    }

    fn save_items(&self, _: Vec<(u64, String)>) -> Pending<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    fn items(&self) -> Pending<'_, Vec<(u64, String)>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}
