//! The phases a `#[node]`, `#[batch_node]` or `#[batch_flow]` impl provides, as traits the
//! macros implement by adapting the user's methods. Nothing here runs them: the drivers in
//! `crate::drive` do, one per phase shape.

mod sync;

use std::future::Future;

use crate::configure::Configure;
use crate::error::{BoxError, Error, Result};
use crate::node::NodeInfo;
use crate::stream::Emitter;
#[allow(unused_imports)] // in the docs
use crate::stream::Silent;

pub use self::sync::{SyncBatchPhases, SyncNodePhases};

/// The phases of a `#[node]` with at least one `async` phase: exec runs once, on the prep value.
pub trait NodePhases<S, P>: Configure + Sync {
    /// What `prep` returns and `exec` receives.
    type Prep: Send + Sync;
    /// What `exec` (or `exec_fallback`) returns and `post` receives.
    type Exec: Send;
    /// What `exec` emits through its `&Emitter<T>`: `T`, or [`Silent`].
    type Emitted: Send + 'static;

    /// Runs the user's `prep`, or yields `()` when there is none.
    fn phase_prep(
        &self,
        shared: &mut S,
        params: &P,
    ) -> impl Future<Output = Result<Self::Prep, BoxError>> + Send;

    /// Runs one attempt of the user's `exec`.
    fn phase_exec(
        &self,
        prep: &Self::Prep,
        emitter: &Emitter<Self::Emitted>,
    ) -> impl Future<Output = Result<Self::Exec, BoxError>> + Send;

    /// The user's `exec_fallback`, or the error handed back when there is none.
    fn phase_exec_fallback(
        &self,
        prep: &Self::Prep,
        error: Error,
    ) -> Result<impl Future<Output = Result<Self::Exec, BoxError>> + Send, Error> {
        let _ = prep;
        Err::<std::future::Ready<_>, _>(error)
    }

    /// Runs the user's `post` and converts what it returns into the node's action.
    fn phase_post(
        &self,
        shared: &mut S,
        params: &P,
        prep: Self::Prep,
        exec: Self::Exec,
    ) -> impl Future<Output = Result<Self::Action, BoxError>> + Send;
}

/// The phases of a `#[batch_node]` with at least one `async` phase: exec runs once per item of
/// the prep value, at most [`LIMIT`](Self::LIMIT) items at a time.
pub trait BatchPhases<S, P>: Configure + Sync {
    /// One item of what `prep` returns.
    type Item: Send + Sync;
    /// What `exec` returns for one item.
    type Output: Send;
    /// What `exec` emits through its `&Emitter<T>`: `T`, or [`Silent`].
    type Emitted: Send + 'static;
    /// At most this many items in flight: 1 for `#[batch_node]`, `N` for
    /// `#[batch_node(parallel, limit = N)]`, `usize::MAX` for `#[batch_node(parallel)]`.
    const LIMIT: usize;

    /// Runs the user's `prep` and collects its items.
    fn phase_prep(
        &self,
        shared: &mut S,
        params: &P,
    ) -> impl Future<Output = Result<Vec<Self::Item>, BoxError>> + Send;

    /// Runs one attempt of the user's `exec` on one item.
    fn phase_exec(
        &self,
        item: &Self::Item,
        emitter: &Emitter<Self::Emitted>,
    ) -> impl Future<Output = Result<Self::Output, BoxError>> + Send;

    /// The user's `exec_fallback` for one item, or the error handed back when there is none.
    fn phase_exec_fallback(
        &self,
        item: &Self::Item,
        error: Error,
    ) -> Result<impl Future<Output = Result<Self::Output, BoxError>> + Send, Error> {
        let _ = item;
        Err::<std::future::Ready<_>, _>(error)
    }

    /// Runs the user's `post` on the items and their results, in item order.
    fn phase_post(
        &self,
        shared: &mut S,
        params: &P,
        items: Vec<Self::Item>,
        outputs: Vec<Self::Output>,
    ) -> impl Future<Output = Result<Self::Action, BoxError>> + Send;

    /// How the items and results are written into a layer's item journal: the macro gives a
    /// codec when they are serde types, and a resumed batch then runs only the items with no
    /// result.
    #[doc(hidden)]
    fn batch_codec() -> Option<BatchCodec<Self::Item, Self::Output>> {
        None
    }
}

/// The phases of a `#[batch_flow]`: `prep` lists the items, one sub-flow run each, at most
/// [`LIMIT`](Self::LIMIT) at a time; `post` sees the items after every run.
pub trait BatchFlowPhases<S, P>: NodeInfo + Sync {
    /// One item: the params of one run of the sub-flow.
    type Item: Send + Sync;
    /// At most this many runs in flight: 1 for `#[batch_flow]`, `N` for
    /// `#[batch_flow(parallel, limit = N)]`, `usize::MAX` for `#[batch_flow(parallel)]`.
    const LIMIT: usize;

    /// Runs the user's `prep` and collects its items.
    fn phase_prep(
        &self,
        shared: &mut S,
        params: &P,
    ) -> impl Future<Output = Result<Vec<Self::Item>, BoxError>> + Send;

    /// Runs the user's `post`, or returns the default action when there is none.
    fn phase_post(
        &self,
        shared: &mut S,
        params: &P,
        items: Vec<Self::Item>,
    ) -> impl Future<Output = Result<Self::Action, BoxError>> + Send;

    /// How the items are written into a durable run's checkpoints: the macro gives a codec
    /// when they are serde types, and a sequential batch flow then resumes at its item.
    #[doc(hidden)]
    fn item_codec() -> Option<ItemCodec<Self::Item>> {
        None
    }

    /// An item as an error shows it: its `Debug` form when it has one (the macro picks it).
    #[doc(hidden)]
    fn describe_item(item: &Self::Item) -> Option<String> {
        let _ = item;
        None
    }
}

/// The item type `T` of a `#[batch_flow]`, as a value to choose how an error shows an item on:
/// `(&&ItemText::<T>(PhantomData)).text(item)` is its `Debug` form when `T: Debug`
/// ([`DebugItem`]), nothing otherwise ([`NoDebugItem`]).
#[doc(hidden)]
pub struct ItemText<T>(pub std::marker::PhantomData<fn() -> T>);

/// Items with a `Debug` form.
#[doc(hidden)]
pub trait DebugItem<T> {
    /// The item's `Debug` form on one line, cut at 200 characters.
    fn text(self, item: &T) -> Option<String>;
}

impl<T: std::fmt::Debug> DebugItem<T> for &&ItemText<T> {
    fn text(self, item: &T) -> Option<String> {
        // One line, as errors are: a hand-written `Debug` may print newlines.
        let text: String = format!("{item:?}")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Some(match text.char_indices().nth(200) {
            Some((cut, _)) => format!("{}..", &text[..cut]),
            None => text,
        })
    }
}

/// Items without.
#[doc(hidden)]
pub trait NoDebugItem<T> {
    /// Nothing.
    fn text(self, item: &T) -> Option<String>;
}

impl<T> NoDebugItem<T> for &ItemText<T> {
    fn text(self, _: &T) -> Option<String> {
        None
    }
}

/// How a batch flow's items are written into a layer's records (a durable run's position) and
/// read back: `#[batch_flow]` makes one when its items are serde types. The written form is the
/// layer's own (a JSON value for durable runs), opaque here.
#[doc(hidden)]
pub struct ItemCodec<T> {
    /// The item as the layer writes it, or why it cannot be written so that it reads back.
    pub encode: fn(&T) -> std::result::Result<Encoded, String>,
    /// The item read back from what the layer wrote.
    pub decode: fn(Encoded) -> Result<T>,
}

impl<T> Clone for ItemCodec<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ItemCodec<T> {}

/// An item as a layer writes it (see [`ItemCodec`]).
#[doc(hidden)]
pub type Encoded = Box<dyn std::any::Any + Send>;

/// How a batch node's items and results are written into a layer's item journal (a durable
/// run's) as text and read back: `#[batch_node]` makes one when they are serde types. Each
/// function takes the node's name (and the item's index), which its errors name.
#[doc(hidden)]
pub struct BatchCodec<I, O> {
    /// The items, or the error that they cannot be written so that they read back.
    pub encode_items: fn(&[I], &'static str) -> Result<String>,
    /// The items read back.
    pub decode_items: fn(&str, &'static str) -> Result<Vec<I>>,
    /// One item's result, or the error that it cannot be written.
    pub encode_output: fn(&O, &'static str, usize) -> Result<String>,
    /// One item's result read back.
    pub decode_output: fn(&str, &'static str, usize) -> Result<O>,
}

/// Collects what a batch's `prep` returned into the items its work runs on.
#[inline]
pub fn collect_items<I: IntoIterator>(items: I) -> Vec<I::Item> {
    items.into_iter().collect()
}

/// The value type of a phase that returns `Result<T, E>` (or an alias of one).
pub trait Fallible {
    /// `T`.
    type Ok;
    /// `E`.
    type Err;
    /// The result with its error boxed.
    fn into_phase_result(self) -> Result<Self::Ok, BoxError>;
}

/// The error types a phase may return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error type of a phase",
    label = "this phase's error type does not convert into `Box<dyn std::error::Error + Send + Sync>`",
    note = "return an error that implements `std::error::Error + Send + Sync + 'static`, or a `String`, or an `anyhow::Error`"
)]
pub trait PhaseError {
    /// The error, boxed.
    fn into_box(self) -> BoxError;
}

impl<E: Into<BoxError>> PhaseError for E {
    #[inline(always)]
    fn into_box(self) -> BoxError {
        self.into()
    }
}

impl<T, E: PhaseError> Fallible for Result<T, E> {
    type Ok = T;
    type Err = E;
    #[inline(always)]
    fn into_phase_result(self) -> Result<T, BoxError> {
        self.map_err(PhaseError::into_box)
    }
}

/// `post`'s first value is the prep value: the macros check each value `post` takes against
/// its position, so that a swapped pair says which goes where.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`post` takes the prep value first: here it is `{Self}`, what `prep` returns, not `{Declared}`",
    label = "the prep value goes here",
    note = "`post` takes the prep value, then the exec value: `fn post(&self, shared: &mut S, prep: P, exec: E)`"
)]
pub trait PrepValueIs<Declared> {}

impl<T> PrepValueIs<T> for T {}

/// `post`'s second value is the exec value (see [`PrepValueIs`]).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`post` takes the exec value second: here it is `{Self}`, what `exec` returns, not `{Declared}`",
    label = "the exec value goes here",
    note = "`post` takes the prep value, then the exec value: `fn post(&self, shared: &mut S, prep: P, exec: E)`"
)]
pub trait ExecValueIs<Declared> {}

impl<T> ExecValueIs<T> for T {}

/// Checks that `post` declares the prep value as `Declared`.
#[doc(hidden)]
#[inline(always)]
pub fn post_prep_value<Prep: PrepValueIs<Declared>, Declared>() {}

/// Checks that `post` declares the exec value as `Declared`.
#[doc(hidden)]
#[inline(always)]
pub fn post_exec_value<Exec: ExecValueIs<Declared>, Declared>() {}
