//! The phase traits of nodes whose phases are all plain `fn`s: the fast path, where the driver
//! calls them directly with no future per phase.

use super::BatchCodec;
use crate::configure::Configure;
use crate::error::{BoxError, Error, Result};
use crate::stream::Emitter;

/// The phases of a `#[node]` whose methods are all synchronous.
pub trait SyncNodePhases<S, P>: Configure + Sync {
    /// What `prep` returns and `exec` receives.
    type Prep: Send + Sync;
    /// What `exec` (or `exec_fallback`) returns and `post` receives.
    type Exec: Send;
    /// What `exec` emits through its `&Emitter<T>`: `T`, or `Silent`.
    type Emitted: Send + 'static;

    /// Runs the user's `prep`, or yields `()` when there is none.
    fn phase_prep(&self, shared: &mut S, params: &P) -> Result<Self::Prep, BoxError>;

    /// Runs one attempt of the user's `exec`.
    fn phase_exec(
        &self,
        prep: &Self::Prep,
        emitter: &Emitter<Self::Emitted>,
    ) -> Result<Self::Exec, BoxError>;

    /// Runs the user's `exec_fallback`, or hands the error back when there is none.
    fn phase_exec_fallback(
        &self,
        prep: &Self::Prep,
        error: Error,
    ) -> Result<Result<Self::Exec, BoxError>, Error> {
        let _ = prep;
        Err(error)
    }

    /// Runs the user's `post` and converts what it returns into the node's action.
    fn phase_post(
        &self,
        shared: &mut S,
        params: &P,
        prep: Self::Prep,
        exec: Self::Exec,
    ) -> Result<Self::Action, BoxError>;
}

/// The phases of a `#[batch_node]` whose methods are all synchronous.
pub trait SyncBatchPhases<S, P>: Configure + Sync {
    /// One item of what `prep` returns.
    type Item: Send + Sync;
    /// What `exec` returns for one item.
    type Output: Send;
    /// What `exec` emits through its `&Emitter<T>`: `T`, or `Silent`.
    type Emitted: Send + 'static;

    /// Runs the user's `prep` and collects its items.
    fn phase_prep(&self, shared: &mut S, params: &P) -> Result<Vec<Self::Item>, BoxError>;

    /// Runs one attempt of the user's `exec` on one item.
    fn phase_exec(
        &self,
        item: &Self::Item,
        emitter: &Emitter<Self::Emitted>,
    ) -> Result<Self::Output, BoxError>;

    /// Runs the user's `exec_fallback` for one item, or hands the error back.
    fn phase_exec_fallback(
        &self,
        item: &Self::Item,
        error: Error,
    ) -> Result<Result<Self::Output, BoxError>, Error> {
        let _ = item;
        Err(error)
    }

    /// Runs the user's `post` on the items and their results, in item order.
    fn phase_post(
        &self,
        shared: &mut S,
        params: &P,
        items: Vec<Self::Item>,
        outputs: Vec<Self::Output>,
    ) -> Result<Self::Action, BoxError>;

    /// How the items and results are written into a layer's item journal, as
    /// [`BatchPhases::batch_codec`](super::BatchPhases::batch_codec).
    #[doc(hidden)]
    fn batch_codec() -> Option<BatchCodec<Self::Item, Self::Output>> {
        None
    }
}
