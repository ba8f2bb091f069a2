//! What a streamed run yields: [`Event`]s, each a [`EventKind`] at a place in the run.

use super::path::Path;
use crate::action::Action;

/// Where an event happened: the path of node names down to it, the innermost batch item, the
/// durable step. Copied into each event (the path is a shared `&'static` slice).
#[derive(Clone, Copy, Default)]
pub(crate) struct Place {
    pub(crate) path: Option<Path>,
    pub(crate) item: Option<usize>,
    pub(crate) step: Option<u64>,
}

/// One thing that happened in a streamed run (see [`Run::stream`](crate::Run::stream)).
///
/// ```
/// use futures::StreamExt;
/// use pocketflow::prelude::*;
/// use pocketflow::stream::EventKind;
///
/// struct Hello;
/// #[node]
/// impl Hello {
///     fn post(&self, _: &mut ()) -> &'static str { "done" }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let events: Vec<_> = Hello.stream::<()>(&mut ()).collect().await;
/// // A node streamed on its own is named by its type.
/// assert_eq!(events[0].path(), ["Hello"]);
/// assert_eq!(events[0].node(), "Hello");
/// assert_eq!((events[0].item(), events[0].step()), (None, None));
/// assert!(matches!(events[0].kind(), EventKind::Started));
/// assert!(matches!(events[1].kind(), EventKind::Finished { action } if action == "done"));
/// # });
/// ```
#[derive(Clone, PartialEq)]
pub struct Event<T> {
    path: Path,
    /// The item, or `NO_ITEM`: no batch has that many items, and an event stays 64 bytes.
    item: usize,
    /// The step, or `NO_STEP`: steps are counted from 1, one at a time.
    step: u64,
    kind: EventKind<T>,
}

const NO_ITEM: usize = usize::MAX;
const NO_STEP: u64 = u64::MAX;

/// What an [`Event`] says happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventKind<T> {
    /// The node starts, before its `prep`.
    Started,
    /// Its `exec` emitted a value through its [`Emitter`](super::Emitter).
    Emitted(T),
    /// Attempt `attempt` (counted from 1) of its `exec` failed with `error`, and another
    /// attempt follows.
    Retrying {
        /// The attempt that failed.
        attempt: u32,
        /// Its error, as text.
        error: String,
    },
    /// A batch node or batch flow finished an item: `done` of `total`.
    Progress {
        /// Items finished so far.
        done: usize,
        /// Items in the batch.
        total: usize,
    },
    /// The node finished, after its `post`, with this action.
    Finished {
        /// The action `post` returned, as its label.
        action: Action,
    },
    /// A durable run committed step `step`.
    Checkpoint {
        /// The step committed.
        step: u64,
    },
    /// The node failed (or was interrupted) with this error, as text.
    Failed {
        /// The error.
        error: String,
    },
}

impl<T> Event<T> {
    #[inline(always)]
    pub(crate) fn new(place: Place, kind: EventKind<T>) -> Event<T> {
        Event {
            path: place.path.unwrap_or_default(),
            item: place.item.unwrap_or(NO_ITEM),
            step: place.step.unwrap_or(NO_STEP),
            kind,
        }
    }

    /// The variable names of the enclosing flows' nodes down to this node; a node run on its
    /// own is named by its type.
    pub fn path(&self) -> &[&'static str] {
        self.path
    }

    /// The node's own name: the last of [`path`](Self::path).
    pub fn node(&self) -> &'static str {
        self.path.last().copied().unwrap_or_default()
    }

    /// The index of the innermost batch item the event belongs to: a batch node's item, or the
    /// run of a batch flow's sub-flow that everything inside it belongs to.
    pub fn item(&self) -> Option<usize> {
        Some(self.item).filter(|&item| item != NO_ITEM)
    }

    /// The durable step the event belongs to, in a durable run.
    pub fn step(&self) -> Option<u64> {
        Some(self.step).filter(|&step| step != NO_STEP)
    }

    /// What happened.
    pub fn kind(&self) -> &EventKind<T> {
        &self.kind
    }

    /// What happened, by value.
    pub fn into_kind(self) -> EventKind<T> {
        self.kind
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Event<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("path", &self.path)
            .field("item", &self.item())
            .field("step", &self.step())
            .field("kind", &self.kind)
            .finish()
    }
}

impl EventKind<super::Silent> {
    /// The same event in a stream of `T`: an event that emits nothing has a kind in every
    /// stream (what the engine reports, whatever a run's nodes emit).
    pub(crate) fn retype<T>(self) -> EventKind<T> {
        match self {
            EventKind::Started => EventKind::Started,
            EventKind::Emitted(never) => match never {},
            EventKind::Retrying { attempt, error } => EventKind::Retrying { attempt, error },
            EventKind::Progress { done, total } => EventKind::Progress { done, total },
            EventKind::Finished { action } => EventKind::Finished { action },
            EventKind::Checkpoint { step } => EventKind::Checkpoint { step },
            EventKind::Failed { error } => EventKind::Failed { error },
        }
    }
}

/// With the `serde` feature: one JSON object per event,
/// `{"path":[..],"node":..,"item":..,"step":..,"kind":"emitted","value":..}`, the kind in
/// snake_case and its fields beside it.
#[cfg(feature = "serde")]
impl<T: serde::Serialize> serde::Serialize for Event<T> {
    fn serialize<Z: serde::Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("path", self.path)?;
        map.serialize_entry("node", self.node())?;
        map.serialize_entry("item", &self.item())?;
        map.serialize_entry("step", &self.step())?;
        match &self.kind {
            EventKind::Started => map.serialize_entry("kind", "started")?,
            EventKind::Emitted(value) => {
                map.serialize_entry("kind", "emitted")?;
                map.serialize_entry("value", value)?;
            }
            EventKind::Retrying { attempt, error } => {
                map.serialize_entry("kind", "retrying")?;
                map.serialize_entry("attempt", attempt)?;
                map.serialize_entry("error", error)?;
            }
            EventKind::Progress { done, total } => {
                map.serialize_entry("kind", "progress")?;
                map.serialize_entry("done", done)?;
                map.serialize_entry("total", total)?;
            }
            EventKind::Finished { action } => {
                map.serialize_entry("kind", "finished")?;
                map.serialize_entry("action", &**action)?;
            }
            // The step committed is the event's own `step`, already written.
            EventKind::Checkpoint { .. } => map.serialize_entry("kind", "checkpoint")?,
            EventKind::Failed { error } => {
                map.serialize_entry("kind", "failed")?;
                map.serialize_entry("error", error)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_without_item_or_step_says_so() {
        let event = Event::new(Place::default(), EventKind::<()>::Started);
        assert_eq!((event.item(), event.step()), (None, None));
        assert_eq!(
            format!("{event:?}"),
            "Event { path: [], item: None, step: None, kind: Started }"
        );
        let place = Place {
            path: None,
            item: Some(0),
            step: Some(1),
        };
        let event = Event::new(place, EventKind::<()>::Started);
        assert_eq!((event.item(), event.step()), (Some(0), Some(1)));
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_event_of_nothing_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Event<()>>(), 64);
    }
}
