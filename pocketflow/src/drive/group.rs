//! The driver of a parallel group, `[a, b, ..]` in `flow!` (SPEC section 5.1): its members run
//! at once on the calling task, as the runs of a parallel batch flow do.
//!
//! A group is run *as* a parallel batch flow over its member indices: the run of index `i` is
//! member `i` alone, as if it were `flow! { member }`. So a group shares everything a parallel
//! batch flow has, with nothing of its own to keep right: the shared store's lock only while
//! it runs, fail-fast after siblings leave `prep`/`post`, a durable run's checkpoint after each
//! member's `post` and its resume with each member done or at its own place. Two things differ,
//! and the layers read them from [`BatchRuns::group`]: a group has no item (its members'
//! events keep the item of the run around them) and counts no progress.
//!
//! ```text
//! flow! { plan >> [web, docs] >> write }
//!
//! __Step::web => {                                   // the group's step: its first member's name
//!     cx.at(depth, 1, "[web, docs]");
//!     let members = (Member(&self.web, "web"), (Member(&self.docs, "docs"), End));
//!     drive_group(&members, "[web, docs]", group_codec(), store.reborrow(), params, cx.child()).await?;
//!     ..                                             // then the default edge, as any step
//! }
//! ```

use std::future::Future;

use futures::FutureExt;
use futures::future::Either;

use crate::action::{Action, ActionType};
use crate::context::{BatchRuns, Plain, RunContext, Unwrapped};
use crate::error::{Error, Result};
use crate::flow::failed_at;
use crate::node::{Node, NodeInfo};
use crate::phases::ItemCodec;
use crate::store::Store;

/// The most members a group may have (`flow!` says so at the group).
pub const MAX_MEMBERS: usize = 64;

/// The run indices of every group: a group of `n` runs over the first `n`, with no allocation.
static INDICES: [u32; MAX_MEMBERS] = {
    let mut indices = [0; MAX_MEMBERS];
    let mut index = 0;
    while index < MAX_MEMBERS {
        indices[index] = index as u32;
        index += 1;
    }
    indices
};

/// Whether the step named `name` is a group: `flow!` names a group's step by its members in
/// brackets, as written (`"[web, docs]"`), which no variable name can start with.
pub(crate) fn is_group_step(name: &str) -> bool {
    name.starts_with('[')
}

/// One member of a group: the node and its variable name.
#[doc(hidden)]
pub struct Member<'m, N>(pub &'m N, pub &'static str);

/// The end of a group's list of members.
#[doc(hidden)]
pub struct End;

/// A group's members as `flow!` lists them: `(Member(&a, "a"), (Member(&b, "b"), End))`, a
/// list rather than a tuple per size so that one impl serves every group.
#[doc(hidden)]
pub trait Members<S, P>: Sync {
    /// How many members there are.
    const COUNT: usize;

    /// Whether every member's `post` is followed by a checkpoint (see
    /// [`Node::commits_each_post`]).
    fn commits_each_post() -> bool;

    /// The variable name of member `index`.
    fn name(&self, index: usize) -> &'static str;

    /// Runs member `index`, its action as an [`Action`].
    fn run_member<'a, C: RunContext<S> + 'a>(
        &'a self,
        index: usize,
        store: Store<'a, S>,
        params: &'a P,
        cx: C,
    ) -> impl Future<Output = Result<Action>> + Send + 'a;
}

impl<S, P> Members<S, P> for End {
    const COUNT: usize = 0;

    fn commits_each_post() -> bool {
        true
    }

    fn name(&self, _: usize) -> &'static str {
        ""
    }

    fn run_member<'a, C: RunContext<S> + 'a>(
        &'a self,
        index: usize,
        _: Store<'a, S>,
        _: &'a P,
        _: C,
    ) -> impl Future<Output = Result<Action>> + Send + 'a {
        // The runs are the indices below `COUNT`: a run past the last member is never made.
        let problem = format!("a group has no member {index} past its last");
        std::future::ready(Err(Error::runtime(problem.into())))
    }
}

impl<S, P, N, R> Members<S, P> for (Member<'_, N>, R)
where
    S: Send,
    P: Sync,
    N: Node<S, P> + Sync,
    R: Members<S, P>,
{
    const COUNT: usize = 1 + R::COUNT;

    fn commits_each_post() -> bool {
        N::commits_each_post() && R::commits_each_post()
    }

    fn name(&self, index: usize) -> &'static str {
        match index {
            0 => self.0.1,
            _ => self.1.name(index - 1),
        }
    }

    fn run_member<'a, C: RunContext<S> + 'a>(
        &'a self,
        index: usize,
        store: Store<'a, S>,
        params: &'a P,
        cx: C,
    ) -> impl Future<Output = Result<Action>> + Send + 'a {
        // One of two futures rather than an `async` block around them: a block would keep
        // `store`, `params` and `cx` at each level of the list, 120 bytes more per run of a
        // group of three (the branches workload at 100,000 runs: 411 MiB peak -> 362 MiB).
        match index {
            0 => Either::Left(
                self.0
                    .0
                    .run_in(store, params, cx)
                    .map(|run| run.map(ActionType::into_action)),
            ),
            _ => Either::Right(self.1.run_member(index - 1, store, params, cx)),
        }
    }
}

/// Runs the group `members`, whose step is named `name`, with the flow's `params`: every
/// member at once on the shared store, done when all are, failing with the first failure.
/// `codec` writes the run indices into a layer's records (a durable run's position).
pub async fn drive_group<S, P, M, C>(
    members: &M,
    name: &'static str,
    codec: Option<ItemCodec<u32>>,
    store: Store<'_, S>,
    params: &P,
    cx: C,
) -> Result<()>
where
    S: Send,
    P: Sync,
    M: Members<S, P>,
    C: RunContext<S>,
{
    let count = M::COUNT;
    let Some(indices) = INDICES.get(..count) else {
        let problem = format!("a group runs at most {MAX_MEMBERS} members, not {count}");
        return Err(failed_at(name, Error::runtime(problem.into())));
    };
    drive_members(members, name, codec, indices, store, params, cx)
        .await
        // What the group's own machinery fails with (a checkpoint it could not write) names
        // the group; a member's failure names the member already.
        .map_err(|error| match error.path().is_empty() {
            true => failed_at(name, error),
            false => error,
        })
}

async fn drive_members<S, P, M, C>(
    members: &M,
    name: &'static str,
    codec: Option<ItemCodec<u32>>,
    indices: &[u32],
    mut store: Store<'_, S>,
    params: &P,
    mut cx: C,
) -> Result<()>
where
    S: Send,
    P: Sync,
    M: Members<S, P>,
    C: RunContext<S>,
{
    let count = indices.len();
    let place = if C::FOLLOWS {
        let mut place = cx.enter_batch(codec, count, M::commits_each_post())?;
        if let Some(place) = &mut place {
            // A resumed group's items are its indices again: nothing to read back.
            if place.resumed.take().is_none() {
                cx.batch_items(place, indices, name)?;
            }
        }
        place
    } else {
        None
    };
    let runs = BatchRuns {
        flow: &MemberRun { members, params },
        items: indices,
        limit: count,
        progress: None,
        group: true,
        describe: |_| None,
    };
    cx.batch_runs(place.as_ref(), runs, &mut store, &Unwrapped)
        .await?;
    if C::FOLLOWS {
        cx.leave_batch(place.as_ref().map(|place| place.depth));
    }
    Ok(())
}

/// One run of a group: member `index` (the run's params) as the one step of a flow, so that
/// the layers see it as a step named by its variable, at its own place.
struct MemberRun<'g, M, P> {
    members: &'g M,
    params: &'g P,
}

impl<M, P> NodeInfo for MemberRun<'_, M, P> {
    type Action = Action;
    const NAME: &'static str = "group";
    const IS_FLOW: bool = true;
}

impl<S, P, M> Node<S, u32> for MemberRun<'_, M, P>
where
    S: Send,
    P: Sync,
    M: Members<S, P>,
{
    fn run_node<'a>(
        &'a self,
        store: Store<'a, S>,
        index: &'a u32,
    ) -> impl Future<Output = Result<Action>> + Send + 'a {
        self.run_in(store, index, Plain)
    }

    async fn run_in<'a, C: RunContext<S> + 'a>(
        &'a self,
        store: Store<'a, S>,
        index: &'a u32,
        mut cx: C,
    ) -> Result<Action> {
        let name = self.members.name(*index as usize);
        let depth = if C::FOLLOWS {
            // Its level is the run's index, not a named step.
            let (depth, _) = cx.enter(&[])?;
            cx.at(depth, *index, name);
            depth
        } else {
            0
        };
        let run = self
            .members
            .run_member(*index as usize, store, self.params, cx.child());
        match run.await {
            Ok(action) => {
                if C::FOLLOWS {
                    cx.note(depth, &action);
                }
                Ok(action)
            }
            Err(error) => {
                if C::FOLLOWS {
                    cx.failed(depth, &error);
                }
                Err(failed_at(name, error))
            }
        }
    }

    fn commits_each_post() -> bool {
        M::commits_each_post()
    }
}
