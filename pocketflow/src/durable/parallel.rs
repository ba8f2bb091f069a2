//! The runs of a parallel batch flow in a durable run: the items done, and each run in flight
//! at its own place, in every checkpoint taken inside the batch flow.
//!
//! A checkpoint holds the store as every run left it, so it must say where each run is after
//! each of that run's `post`s. A run says so ([`Publish::publish`]) as soon as its `post` lets go
//! of the store's lock, with no `.await` in between; the runs share one task, so nothing else
//! touches the store first, and whenever the store is free, what the runs have published
//! matches it. That holds for nodes whose every `post` is followed by a checkpoint
//! ([`Node::commits_each_post`]): macro-made nodes, and flows and sequential batch flows of
//! them; the batch flow is one step over anything else.
//!
//! Checkpoints are written by one checkpointer beside the runs, not by each run: a run that
//! publishes wakes it, it lets the other runs of the same burst publish too (one turn of the
//! scheduler), then takes the store's lock just long enough to copy the store and the runs'
//! places, and writes them as one checkpoint; the next one comes at least [`SPACING`] later.
//! A wide batch is a handful of writes instead of one per post. A run that stops (interrupt,
//! failure) writes the last one at once.

use std::collections::{BTreeMap, BTreeSet};
use std::pin::pin;
use std::sync::Mutex;
use std::time::Duration;

use futures::future::{join, select};
use tokio::sync::Notify;

use super::journal::{Journal, Position, Publish, Runs, Saver, Step};
use crate::context::{BatchRuns, WrapRun};
use crate::drive::window::run_window;
use crate::error::{Error, Result};
use crate::node::Node;
use crate::progress;
use crate::runtime;
use crate::store::Store;

/// The least time from the start of one checkpoint of a parallel batch flow to the start of the
/// next: what a crash can cost in posts to run again, against one write per post.
const SPACING: Duration = Duration::from_millis(10);

/// The parallel batch flow at `depth` of a position: `limit` runs at once, and which runs are
/// done and where the others go on when it resumes.
pub(crate) struct RunsOf {
    pub(crate) depth: usize,
    pub(crate) limit: usize,
    pub(crate) saved: Runs,
}

/// The runs of a parallel batch flow, one per item not done, each with a journal of its own,
/// beside the checkpointer that writes their checkpoints.
pub(crate) async fn run_checkpointed<S, I, F, W>(
    runs: BatchRuns<'_, F, I>,
    store: &mut Store<'_, S>,
    journal: &Journal<'_, S>,
    parent: &dyn Saver<S>,
    RunsOf {
        depth,
        limit,
        saved,
    }: RunsOf,
    wrap: &W,
) -> Result<()>
where
    S: Send,
    I: Sync,
    F: Node<S, I> + Sync,
    W: WrapRun<S>,
{
    let BatchRuns {
        flow,
        items,
        progress,
        ..
    } = runs;
    let runs = &runs;
    let (around, name) = journal.here();
    let by_name = journal.by_name;
    let parallel = &ParallelRuns {
        parent,
        around: around.clone(),
        depth,
        name,
        state: Mutex::new(State {
            tainted: false,
            stopped: false,
            done: saved.done.iter().copied().collect(),
            at: saved.at.iter().cloned().collect(),
            posts: 0,
            failed: None,
        }),
        due: Notify::new(),
        stop: Notify::new(),
    };
    let (pending, mut resume_at): (Vec<usize>, BTreeMap<u32, Position>) = {
        let state = parallel.state();
        for _ in &state.done {
            progress::item_done(progress);
        }
        let pending = (0..items.len())
            .filter(|index| !state.done.contains(&(*index as u32)))
            .collect();
        (pending, state.at.clone())
    };
    let resume_at = &Mutex::new(std::mem::take(&mut resume_at));
    let (sharing, pending) = (&store.share(), &pending);
    let runs = async {
        let ran = run_window(
            pending.len(),
            limit,
            |slot| async move {
                let index = pending[slot];
                let place = RunPlace {
                    parallel,
                    item: index as u32,
                };
                let resume = resume_at
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .remove(&(index as u32))
                    .unwrap_or_default();
                let mut run_journal = Journal::in_parallel_run(&place, resume);
                run_journal.by_name = by_name;
                let run = flow
                    .run_in(
                        sharing.store(),
                        &items[index],
                        wrap.wrap(index, &mut run_journal),
                    )
                    .await;
                // The item is the run's; a checkpoint that could not be written is no item's.
                let run = runs
                    .mark(index, run)
                    // At once after the sub-flow's last post, as `publish` is.
                    .and_then(|_| parallel.finish(index as u32, run_journal.take_step()));
                match &run {
                    Ok(()) => {
                        progress::item_done(progress);
                        wrap.done(parallel.state().done.len(), items.len());
                    }
                    // A failed post may have written part of the store, which no place
                    // published can say: no checkpoint may hold that store any more.
                    Err(error) if error.phase() == Some(crate::error::Phase::Post) => {
                        parallel.state().tainted = true;
                    }
                    Err(_) => {}
                }
                (slot, run)
            },
            || sharing.is_settled(),
        )
        .await;
        parallel.stop();
        ran
    };
    // It ends when the runs do, never in the middle of a write (whose posts it has counted); or
    // at its first failed write, after which the runs fail at their next step, so that the
    // window stops them as it stops any failed batch.
    // Asked once per batch flow: on a runtime without tokio's timer, asking costs a caught
    // panic, and the checkpoints then come without a pause.
    let can_pause = runtime::timer(|| tokio::time::sleep(Duration::ZERO)).is_ok();
    let checkpointer = async {
        loop {
            parallel.due.notified().await;
            if parallel.stopped() {
                break;
            }
            tokio::task::yield_now().await;
            let written = tokio::time::Instant::now();
            match parallel.checkpoint(&mut sharing.store()).await {
                Ok(Some(step)) => wrap.committed(step),
                Ok(None) => {}
                Err(_) => break,
            }
            // The next checkpoint waits a little: a wide batch whose posts fall due in a
            // stream, not a burst, would write one per post otherwise.
            if can_pause {
                let pause = tokio::time::sleep_until(written + SPACING);
                select(pin!(pause), pin!(parallel.stop.notified())).await;
            }
        }
    };
    let (ran, ()) = join(runs, checkpointer).await;
    // A run that cannot resume in this flow (a step it was saved at is gone) commits nothing:
    // the checkpoint would carry this flow's shape.
    if let Err(error) = &ran
        && error.durable_kind() == Some(crate::error::DurableErrorKind::ShapeChanged)
    {
        return ran.map(drop);
    }
    // The posts since the last checkpoint are committed now: after the batch, the flow's next
    // checkpoint would hold them in its store; after a failure or an interrupt (the window
    // has let every sibling finish the phase it was in), the run keeps them for its resume.
    let last = parallel.checkpoint(&mut sharing.store()).await;
    if let Ok(Some(step)) = last {
        wrap.committed(step);
    }
    ran?;
    last.map(drop)
}

/// What every checkpoint taken inside one parallel batch flow says of its runs.
struct ParallelRuns<'p, S> {
    /// What writes the run's checkpoints.
    parent: &'p dyn Saver<S>,
    /// The position of the batch flow itself, its items included.
    around: Position,
    depth: usize,
    /// The batch flow's step name, which names its checkpoints.
    name: String,
    state: Mutex<State>,
    /// Wakes the checkpointer.
    due: Notify,
    /// Ends its pause between checkpoints when the runs are over.
    stop: Notify,
}

struct State {
    /// A run's `post` failed, maybe after writing: the run goes back to its last checkpoint.
    tainted: bool,
    /// Whether the runs are over.
    stopped: bool,
    /// The items whose sub-flow finished.
    done: BTreeSet<u32>,
    /// Where each run in flight goes on inside its sub-flow.
    at: BTreeMap<u32, Position>,
    /// Posts published and not yet in a checkpoint.
    posts: u64,
    /// Why the checkpointer stopped: the runs fail with it at their next step.
    failed: Option<String>,
}

impl<S> ParallelRuns<'_, S> {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The runs are over: the checkpointer ends after the write it is in, if any.
    fn stop(&self) {
        self.state().stopped = true;
        self.due.notify_one();
        self.stop.notify_one();
    }

    fn stopped(&self) -> bool {
        self.state().stopped
    }

    /// Run `item` took a step and goes on at `at` inside its sub-flow.
    fn publish(&self, item: u32, at: &Position, step: Option<Step>) -> Result<()> {
        let mut state = self.state();
        if let Some(failed) = &state.failed {
            return Err(Error::durable(failed.clone().into()));
        }
        state.at.insert(item, at.clone());
        state.posts += step.map_or(1, |step| step.posts);
        self.due.notify_one();
        Ok(())
    }

    /// Run `item` is done: its sub-flow's last post, `step`, is applied.
    fn finish(&self, item: u32, step: Option<Step>) -> Result<()> {
        let mut state = self.state();
        if let Some(failed) = &state.failed {
            return Err(Error::durable(failed.clone().into()));
        }
        state.at.remove(&item);
        state.done.insert(item);
        state.posts += step.map_or(1, |step| step.posts);
        self.due.notify_one();
        Ok(())
    }

    /// Writes the store as the runs left it, and where each is, if a post came since the last
    /// checkpoint: the step committed, if any. The lock is held while both are copied, not
    /// while they are written.
    async fn checkpoint(&self, store: &mut Store<'_, S>) -> Result<Option<u64>> {
        let write = {
            let shared = store.access().await;
            let (position, posts) = {
                let mut state = self.state();
                if let Some(failed) = &state.failed {
                    return Err(Error::durable(failed.clone().into()));
                }
                if state.posts == 0 || state.tainted {
                    return Ok(None);
                }
                let mut position = self.around.clone();
                if let Some(batch) = position.batches.iter_mut().find(|b| b.depth == self.depth) {
                    batch.runs = Some(Runs {
                        done: state.done.iter().copied().collect(),
                        at: state
                            .at
                            .iter()
                            .map(|(item, at)| (*item, at.clone()))
                            .collect(),
                    });
                }
                (position, std::mem::take(&mut state.posts))
            };
            let step = Step {
                node: self.name.clone(),
                action: None,
                posts,
            };
            self.parent.checkpoint(&shared, &position, Some(step))
        };
        let written = write.await;
        if let Err(error) = &written {
            self.state().failed = Some(error.to_string());
        }
        written.map(|()| Some(self.parent.steps()))
    }
}

/// What one run of a parallel batch flow publishes its steps to: the run's place, for the
/// checkpointer to write.
struct RunPlace<'i, S> {
    parallel: &'i ParallelRuns<'i, S>,
    item: u32,
}

impl<S> Publish for RunPlace<'_, S> {
    fn publish(&self, position: &Position, step: Option<Step>) -> Result<()> {
        self.parallel.publish(self.item, position, step)
    }
}
