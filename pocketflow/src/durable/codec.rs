//! The codecs by which durable runs write what the engine keeps opaque: a batch node's items and
//! results in its item journal ([`BatchCodec`], JSON text), and a batch flow's items in a run's
//! position ([`ItemCodec`], JSON values). The macros pick them by autoref: a codec when the
//! types are serde types, none otherwise (the batch is then one step).

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::json;
use crate::error::Error;
use crate::phases::{BatchCodec, ItemCodec};

/// The item and result types `I` and `O` of a `#[batch_node]`, as a value to choose its codec
/// on: `(&&NodeItems::<I, O>(PhantomData)).codec()` is [`JournaledItems`]'s when both are serde
/// types, [`UnjournaledItems`]'s (none) otherwise.
pub struct NodeItems<I, O>(pub PhantomData<fn() -> (I, O)>);

/// The item type `T` of a `#[batch_flow]`, as a value to choose its codec on, as
/// [`NodeItems`].
pub struct FlowItems<T>(pub PhantomData<fn() -> T>);

/// Items that can be written into a durable run's records: their codec `C`.
pub trait JournaledItems<C> {
    /// Their codec.
    fn codec(self) -> Option<C>;
}

/// Items that cannot: the batch is one step.
pub trait UnjournaledItems<C> {
    /// None.
    fn codec(self) -> Option<C>;
}

/// What a journal that no longer reads can do: nothing of it is needed to go on.
const JOURNAL_WAY_OUT: &str =
    "any `update` of the run drops its journal, and the batch then starts over from `prep`";

// `O: Sync` as before the drivers were one: a result type that is not `Sync` (a `Cell`) keeps
// its batch one step.
impl<I, O> JournaledItems<BatchCodec<I, O>> for &&NodeItems<I, O>
where
    I: Serialize + DeserializeOwned,
    O: Serialize + DeserializeOwned + Sync,
{
    fn codec(self) -> Option<BatchCodec<I, O>> {
        Some(BatchCodec {
            encode_items: |items, node| {
                json::encode(items).map_err(|e| {
                    json::unwritable(&format!("node `{node}`"), "the batch's items", e)
                })
            },
            decode_items: |text, node| {
                let what = format!("the journaled items of batch node `{node}`");
                json::decode(text, &what, JOURNAL_WAY_OUT)
            },
            encode_output: |output, node, index| {
                json::encode(output).map_err(|e| {
                    json::unwritable(
                        &format!("node `{node}`"),
                        &format!("the result of item {index}"),
                        e,
                    )
                })
            },
            decode_output: |text, node, index| {
                let what = format!("the journaled result of item {index} of batch node `{node}`");
                json::decode(text, &what, JOURNAL_WAY_OUT)
            },
        })
    }
}

impl<I, O> UnjournaledItems<BatchCodec<I, O>> for &NodeItems<I, O> {
    fn codec(self) -> Option<BatchCodec<I, O>> {
        None
    }
}

impl<T: Serialize + DeserializeOwned> JournaledItems<ItemCodec<T>> for &&FlowItems<T> {
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

impl<T> UnjournaledItems<ItemCodec<T>> for &FlowItems<T> {
    fn codec(self) -> Option<ItemCodec<T>> {
        None
    }
}
