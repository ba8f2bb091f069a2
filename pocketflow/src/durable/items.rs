//! What keeps a run's checkpoints from growing with the square of a batch flow's items (SPEC
//! section 10.1): every checkpoint inside a batch flow needs its items to resume, and history
//! keeps every checkpoint, so each would otherwise carry all of them again.
//!
//! A process writes a batch flow's items in full in the first checkpoint it takes inside the
//! batch flow; the checkpoints after that say which step holds them (`items_at`), and a run
//! that resumes reads them back from that step's checkpoint. The runs done of a parallel batch
//! flow are written as ranges (`[0, 499]`), not one number each (see [`done_ranges`]).

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::checkpoints::Checkpoints;
use super::journal::Position;
use super::json;
use crate::error::{DurableErrorKind, Error, Result};

/// A batch flow's items held by a checkpoint: its depth, the items, the step that holds them.
pub(crate) type Held = (usize, Arc<[Value]>, u64);

/// The items this process wrote in full, by batch flow depth, and the step that holds them.
#[derive(Default)]
pub(crate) struct WrittenItems {
    written: Mutex<Vec<Held>>,
}

impl WrittenItems {
    /// Items that a checkpoint of this run already holds, at `step`, as [`resolve`] found them.
    pub(crate) fn new(held: Vec<Held>) -> WrittenItems {
        WrittenItems {
            written: Mutex::new(held),
        }
    }

    /// `position` as the checkpoint of `step` writes it: each batch flow's items in full the
    /// first time, and the step that holds them after.
    pub(crate) fn compact<'p>(&self, position: &'p Position, step: u64) -> Cow<'p, Position> {
        if position.batches.is_empty() {
            return Cow::Borrowed(position);
        }
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut compact = position.clone();
        for batch in &mut compact.batches {
            if batch.items.is_empty() || batch.items_at.is_some() {
                continue;
            }
            let held = written.iter().find(|(depth, items, _)| {
                *depth == batch.depth && Arc::ptr_eq(items, &batch.items)
            });
            match held {
                Some(&(_, _, at)) => {
                    batch.items_at = Some(at);
                    batch.items = Arc::from([]);
                }
                None => {
                    written.retain(|(depth, _, _)| *depth != batch.depth);
                    written.push((batch.depth, batch.items.clone(), step));
                }
            }
        }
        Cow::Owned(compact)
    }
}

/// Reads back into `position` the items its batch flows left at other steps of run `run_id`,
/// and returns them with their steps (what the run's checkpoints hold already).
pub(crate) async fn resolve<C: Checkpoints>(
    checkpoints: &C,
    run_id: &str,
    position: &mut Position,
) -> Result<Vec<Held>> {
    let mut held = Vec::new();
    for batch in &mut position.batches {
        let Some(step) = batch.items_at.take() else {
            continue;
        };
        let gone = || {
            Error::durable_with(
                DurableErrorKind::NotFound,
                format!(
                    "run `{run_id}` keeps the items of its batch flow in step {step}, which its history no longer has; start the run again"
                )
                .into(),
            )
        };
        let past = checkpoints
            .checkpoint_at(run_id, step)
            .await?
            .ok_or_else(gone)?;
        let saved: Position = json::decode(
            &past.position,
            &format!("the position of step {step} of run `{run_id}`"),
            "resume it with the program that saved it",
        )?;
        let items = saved
            .batches
            .into_iter()
            .find(|saved| saved.depth == batch.depth && saved.items_at.is_none())
            .ok_or_else(gone)?
            .items;
        held.push((batch.depth, items.clone(), step));
        batch.items = items;
    }
    Ok(held)
}

/// The runs done of a parallel batch flow, saved as numbers and, for three or more in a row,
/// `[first, last]` ranges: `[0, 2, 3]` stays as it is, `[0, 1, 2, 3, 7]` is `[[0, 3], 7]`.
pub(crate) mod done_ranges {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// The most runs one range may say are done: more is a corrupt position.
    const MAX_RANGE: u32 = 1 << 24;

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Entry {
        One(u32),
        Range([u32; 2]),
    }

    pub(crate) fn serialize<Ser: Serializer>(
        done: &[u32],
        serializer: Ser,
    ) -> Result<Ser::Ok, Ser::Error> {
        let mut entries = Vec::new();
        let mut index = 0;
        while index < done.len() {
            let first = done[index];
            let mut last = index;
            while last + 1 < done.len() && done[last + 1] == done[last].wrapping_add(1) {
                last += 1;
            }
            if last - index >= 2 {
                entries.push(Entry::Range([first, done[last]]));
            } else {
                entries.extend(done[index..=last].iter().map(|&one| Entry::One(one)));
            }
            index = last + 1;
        }
        entries.serialize(serializer)
    }

    pub(crate) fn deserialize<'de, De: Deserializer<'de>>(
        deserializer: De,
    ) -> Result<Vec<u32>, De::Error> {
        let entries = Vec::<Entry>::deserialize(deserializer)?;
        let mut done = Vec::new();
        for entry in entries {
            match entry {
                Entry::One(one) => done.push(one),
                // No more runs than a batch flow can have (`u32` items), and no allocation
                // beyond what the ranges say when they are corrupt.
                Entry::Range([first, last]) if first <= last && last - first < MAX_RANGE => {
                    done.extend(first..=last)
                }
                Entry::Range([first, last]) => {
                    return Err(serde::de::Error::custom(format!(
                        "the runs done {first} to {last} are not a range of a batch flow's items"
                    )));
                }
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::journal::{BatchItems, Runs};

    #[test]
    fn runs_done_are_written_as_ranges_and_read_back() {
        let runs = Runs {
            done: vec![0, 1, 2, 3, 7, 9, 10, 12, 13, 14],
            at: Vec::new(),
        };
        let text = serde_json::to_string(&runs).unwrap();
        assert_eq!(text, r#"{"done":[[0,3],7,9,10,[12,14]],"at":[]}"#);
        assert_eq!(serde_json::from_str::<Runs>(&text).unwrap(), runs);
        // As positions wrote them before ranges.
        let old: Runs = serde_json::from_str(r#"{"done":[0,2,3],"at":[]}"#).unwrap();
        assert_eq!(old.done, [0, 2, 3]);
    }

    #[test]
    fn a_batch_flows_items_are_written_once_then_by_step() {
        let items: Arc<[Value]> = Arc::from([Value::from(1), Value::from(2)]);
        let position = Position {
            path: vec![1, 0],
            names: vec!["docs".into(), String::new()],
            batches: vec![BatchItems {
                depth: 1,
                items: items.clone(),
                items_at: None,
                runs: None,
            }],
        };
        let written = WrittenItems::default();
        assert_eq!(written.compact(&position, 4).batches[0].items.len(), 2);
        let later = written.compact(&position, 5);
        assert_eq!(
            (later.batches[0].items.len(), later.batches[0].items_at),
            (0, Some(4))
        );
        // Other items at that depth (the next batch flow there) are written in full again.
        let mut next = position.clone();
        next.batches[0].items = Arc::from([Value::from(3)]);
        assert_eq!(written.compact(&next, 9).batches[0].items_at, None);
        assert_eq!(written.compact(&next, 10).batches[0].items_at, Some(9));
    }
}
