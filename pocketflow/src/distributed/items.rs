//! Distributed batch nodes: the trait `#[batch_node(.., distributed = "name")]` implements, and
//! the driver that sends the items' `exec` to workers when the run is inside
//! [`Queue::with_workers`].

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::queue::{ItemsOf, Queue};
use crate::configure::Configure;
use crate::context::RunContext;
use crate::drive::{Exec, NodeRun, drive_batch, report_progress, watchers, with_store};
use crate::error::{BoxError, Error, Phase, Result};
use crate::phases::BatchPhases;
use crate::progress::{self, Progress};
use crate::store::Store;
use crate::stream::Silent;
use crate::trace;

/// A value that can travel to a worker and back: `Serialize + DeserializeOwned + Send + Sync +
/// 'static`. The items and results of a distributed batch node must be.
///
/// ```
/// fn travels<T: pocketflow::distributed::Portable>() {}
/// travels::<Vec<String>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot travel to a worker",
    label = "the items and results of a distributed batch node are sent as JSON",
    note = "derive `serde::Serialize` and `serde::Deserialize` for it, and own its data (no references)"
)]
pub trait Portable: Serialize + DeserializeOwned + Send + Sync + 'static {}

// Not recommended: a type that is not `Portable` is reported as such, in the words above, not
// as the `Serialize` or `Deserialize` it lacks (two errors, in serde's words).
#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned + Send + Sync + 'static> Portable for T {}

/// What `#[batch_node(.., distributed = "name")]` requires of its item and result types `T`
/// instead of `T: Portable`, which rustc reports through `Portable`'s supertraits, in serde's
/// words. `Checked` is `T`; its bound makes `<T as CheckPortable>::Checked` a `Distributed::Item`
/// where only `T: CheckPortable` is known, and the two functions convert between them there.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot travel to a worker",
    label = "the items and results of a distributed batch node are sent as JSON",
    note = "derive `serde::Serialize` and `serde::Deserialize` for it, and own its data (no references)"
)]
#[doc(hidden)]
pub trait CheckPortable {
    type Checked: Portable;
    fn from_checked(checked: &Self::Checked) -> &Self;
    fn into_checked(self) -> Self::Checked;
}

impl<T: Portable> CheckPortable for T {
    type Checked = T;
    fn from_checked(checked: &T) -> &T {
        checked
    }
    fn into_checked(self) -> T {
        self
    }
}

/// A batch node whose items' `exec` can run on a [`Worker`](super::Worker): what
/// `#[batch_node(parallel, distributed = "name")]` implements. Workers register it with
/// [`Worker::node`](super::Worker::node) and find it by [`REGISTERED_AS`](Self::REGISTERED_AS).
///
/// ```
/// use pocketflow::prelude::*;
/// use pocketflow::distributed::Distributed;
///
/// struct Shout;
/// #[batch_node(parallel, limit = 8, distributed = "shout")]
/// impl Shout {
///     fn prep(&self, words: &Vec<String>) -> Vec<String> { words.clone() }
///     async fn exec(&self, word: &String) -> String { word.to_uppercase() }
/// }
///
/// assert_eq!(<Shout as Distributed>::REGISTERED_AS, "shout");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a distributed batch node",
    label = "a worker runs the items of batch nodes written with `distributed = \"name\"`",
    note = "write `#[batch_node(parallel, distributed = \"name\")]` on its impl block"
)]
pub trait Distributed: Configure + Sync {
    /// The name workers register the node under, from `distributed = "name"`.
    const REGISTERED_AS: &'static str;
    /// One item, as `exec` takes it.
    type Item: Portable;
    /// What `exec` returns for one item.
    type Output: Portable;

    /// Runs one attempt of the user's `exec` on one item.
    #[doc(hidden)]
    fn remote_exec(
        &self,
        item: &Self::Item,
    ) -> impl Future<Output = Result<Self::Output, BoxError>> + Send;

    /// The user's `exec_fallback` for one item, or the error handed back when there is none.
    #[doc(hidden)]
    fn remote_exec_fallback(
        &self,
        item: &Self::Item,
        error: Error,
    ) -> Result<impl Future<Output = Result<Self::Output, BoxError>> + Send, Error> {
        let _ = item;
        Err::<std::future::Ready<_>, _>(error)
    }
}

/// Runs a distributed batch node once. Outside [`Queue::with_workers`] it is [`drive_batch`];
/// inside, `prep` runs here, the items go to the queue (at most `N::LIMIT` queued and
/// unfinished), and `post` runs here on the results in item order. The first item that fails
/// for good ends the node; the others still queued run on their workers, their results unread.
pub async fn drive_distributed_batch<N, S, P, C>(
    node: &N,
    cx: C,
    mut store: Store<'_, S>,
    params: &P,
) -> Result<N::Action>
where
    C: RunContext<S>,
    N: BatchPhases<S, P>
        + Distributed<
            Item = <N as BatchPhases<S, P>>::Item,
            Output = <N as BatchPhases<S, P>>::Output,
        >,
{
    let Some(queue) = Queue::current() else {
        return drive_batch(node, cx, store, params).await;
    };
    let policy = cx.policy().unwrap_or(&N::POLICY);
    let progress = cx.progress();
    NodeRun::<N>::check(policy, Exec::Async)?;
    let span = NodeRun::<N>::span();
    // Items on workers stream their progress, not what they emit (SPEC section 12).
    let (reporter, _) = watchers::<S, C, Silent>(&cx);
    trace::in_span(&span, async {
        let items = with_store!(N, store, Phase::Prep, |shared| node
            .phase_prep(shared, params))?;
        progress::add_items(progress, items.len());
        let total = items.len();
        let done = |done| report_progress::<S, C>(&reporter, done, total);
        let limit = <N as BatchPhases<S, P>>::LIMIT;
        let outputs = send_items::<N>(&queue, &items, limit, progress, &done).await?;
        let action = with_store!(N, store, Phase::Post, |shared| {
            node.phase_post(shared, params, items, outputs)
        })?;
        NodeRun::<N>::close(&span, action)
    })
    .await
}

/// `items` of node `N` through `queue`, their outputs in item order (see [`Queue::run_items`]).
/// Apart from the driver so that only `N: Distributed` is known here: where `Item` is also
/// `BatchPhases::Item`, rustc no longer sees that it is `Portable`.
pub(crate) async fn send_items<N: Distributed>(
    queue: &Queue,
    items: &[N::Item],
    limit: usize,
    progress: Option<&Progress>,
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<N::Output>> {
    queue
        .run_items(ItemsOf::of::<N>(), items, limit, progress, done)
        .await
}

impl ItemsOf {
    /// The names of the distributed batch node `N`.
    pub(crate) fn of<N: Distributed>() -> ItemsOf {
        ItemsOf {
            name: N::NAME,
            registered_as: N::REGISTERED_AS,
        }
    }
}
