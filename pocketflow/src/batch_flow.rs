//! Batch flows: a sub-flow run once per item of a `prep`, with the item as its params.

use std::future::Future;

use crate::context::{Plain, RunContext};
use crate::drive::drive_batch_flow;
use crate::error::Result;
use crate::node::{Node, NodeInfo};
use crate::phases::BatchFlowPhases;
use crate::progress::Progress;
use crate::store::Store;

/// A batch flow over a sub-flow, from `MyBatch.over(sub_flow)`: a node that runs the sub-flow
/// once per item of `MyBatch`'s `prep`, with the item as the sub-flow's params.
///
/// In a parallel batch flow the runs take turns with the shared store: each `prep` and `post`
/// has it to itself, and they queue for it in the order they asked. So between one run's
/// `post` and the `prep` of its next node, other runs' `prep`s and `post`s may run (any that
/// were waiting for the store when that `post` ended). A run that passes something from one
/// node to the next through the store must keep it where no other run writes: under its item
/// (a map keyed by it), or in the sub-flow's params; one slot that every run overwrites holds
/// whichever run wrote last. A sequential batch flow runs one sub-flow after another: nothing
/// runs between them.
///
/// ```
/// use pocketflow::prelude::*;
///
/// struct Numbers;
/// #[batch_flow(parallel, limit = 2)]
/// impl Numbers {
///     fn prep(&self, _: &u64) -> std::ops::Range<u64> { 1..5 }
///     fn post(&self, total: &mut u64, items: Vec<u64>) -> &'static str {
///         assert_eq!(items, [1, 2, 3, 4]);
///         "summed"
///     }
/// }
///
/// struct Add;
/// #[node]
/// impl Add {
///     async fn post(&self, total: &mut u64, _prep: (), _exec: (), n: &u64) { *total += n; }
/// }
///
/// let add = Add;
/// let sum = Numbers.over(flow! { add });
/// let mut total = 0;
/// assert_eq!(sum.run_blocking(&mut total).unwrap(), "summed");
/// assert_eq!(total, 10);
/// assert_eq!(<Numbers as NodeInfo>::NAME, "Numbers");
/// ```
pub struct BatchFlow<B, F> {
    batch: B,
    flow: F,
    progress: Option<Progress>,
}

impl<B, F> BatchFlow<B, F> {
    /// The batch flow `batch` over `flow`; `batch.over(flow)` says the same.
    ///
    /// ```
    /// use pocketflow::prelude::*;
    /// use pocketflow::BatchFlow;
    ///
    /// struct Pair;
    /// #[batch_flow]
    /// impl Pair {
    ///     fn prep(&self, _: &Vec<u8>) -> [u8; 2] { [1, 2] }
    /// }
    /// struct Push;
    /// #[node]
    /// impl Push {
    ///     fn post(&self, out: &mut Vec<u8>, _prep: (), _exec: (), n: &u8) { out.push(*n); }
    /// }
    ///
    /// let push = Push;
    /// let each = BatchFlow::new(Pair, flow! { push });
    /// let mut out = Vec::new();
    /// each.run_blocking(&mut out).unwrap();
    /// assert_eq!(out, [1, 2]);
    /// assert_eq!(<Pair as NodeInfo>::NAME, "Pair");
    /// let _sub_flow = each.flow();
    /// let _batch: &Pair = each.batch();
    /// ```
    pub fn new(batch: B, flow: F) -> BatchFlow<B, F> {
        BatchFlow {
            batch,
            flow,
            progress: None,
        }
    }

    /// Counts the sub-flow runs into `progress` as they finish (see [`Progress`]).
    ///
    /// ```
    /// use pocketflow::prelude::*;
    /// use pocketflow::Progress;
    ///
    /// struct Three;
    /// #[batch_flow]
    /// impl Three {
    ///     fn prep(&self, _: &()) -> [u8; 3] { [1, 2, 3] }
    /// }
    /// struct Step;
    /// #[node]
    /// impl Step {}
    ///
    /// let progress = Progress::new();
    /// let step = Step;
    /// Three.over(flow! { step }).with_progress(&progress).run_blocking(&mut ()).unwrap();
    /// assert_eq!((progress.done(), progress.total()), (3, 3));
    /// ```
    pub fn with_progress(mut self, progress: &Progress) -> BatchFlow<B, F> {
        self.progress = Some(progress.clone());
        self
    }

    /// The batch part, whose `prep` lists the items.
    pub fn batch(&self) -> &B {
        &self.batch
    }

    /// The sub-flow run once per item.
    pub fn flow(&self) -> &F {
        &self.flow
    }
}

#[diagnostic::do_not_recommend]
impl<B: NodeInfo, F: NodeInfo> NodeInfo for BatchFlow<B, F> {
    type Action = B::Action;
    const NAME: &'static str = B::NAME;

    /// A batch flow is drawn as a subgraph titled with its batch type, around its sub-flow.
    fn describe(&self, mermaid: &mut crate::mermaid::Mermaid, id: &str, name: &str) {
        let title = format!("{name}: {} over each item", B::NAME);
        mermaid.subgraph(id, &title, |mermaid| {
            self.flow
                .describe(mermaid, &crate::mermaid::child_id(id, "each"), "each");
        });
    }
}

/// A batch flow emits what its sub-flow emits (its batch part has no `exec`).
#[diagnostic::do_not_recommend]
impl<T, B, F: crate::stream::Emits<T>> crate::stream::Emits<T> for BatchFlow<B, F> {}

impl<S, P, B, F> Node<S, P> for BatchFlow<B, F>
where
    S: Send,
    P: Sync,
    B: BatchFlowPhases<S, P>,
    F: Node<S, B::Item> + Sync,
{
    fn run_node<'a>(
        &'a self,
        store: Store<'a, S>,
        params: &'a P,
    ) -> impl Future<Output = Result<Self::Action>> + Send + 'a {
        self.run_in(store, params, Plain)
    }

    fn run_in<'a, C: RunContext<S> + 'a>(
        &'a self,
        store: Store<'a, S>,
        params: &'a P,
        cx: C,
    ) -> impl Future<Output = Result<Self::Action>> + Send + 'a {
        drive_batch_flow(
            &self.batch,
            &self.flow,
            self.progress.as_ref(),
            cx,
            store,
            params,
        )
    }

    fn commits_each_post() -> bool {
        B::LIMIT == 1 && B::item_codec().is_some() && F::commits_each_post()
    }
}
