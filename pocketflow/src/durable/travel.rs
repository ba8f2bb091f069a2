//! Time travel (SPEC section 10.1): a run's history, its store at any step, and a new run forked
//! from any step.

use serde::de::DeserializeOwned;

use super::checkpoints::{Checkpoint, Checkpoints, HistoryEntry};
use super::items;
use super::journal::Position;
use super::json;
use super::run::{DurableRun, read_store};
use crate::error::{DurableErrorKind, Error, Result};
use crate::node::NodeInfo;

impl<'a, N: NodeInfo + ?Sized, C: Checkpoints> DurableRun<'a, N, C> {
    /// The run's checkpoints, oldest first: step, node, action, status and time of each
    /// (empty for a run never saved).
    ///
    /// ```
    /// use pocketflow::prelude::*;
    /// use pocketflow::durable::Memory;
    ///
    /// #[derive(Default, serde::Serialize, serde::Deserialize)]
    /// struct Doc { words: Vec<String> }
    /// struct Add(&'static str);
    /// #[node]
    /// impl Add { fn post(&self, doc: &mut Doc) { doc.words.push(self.0.into()); } }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let db = Memory::new();
    /// let (draft, edit, publish) = (Add("draft"), Add("edit"), Add("publish"));
    /// let review = flow! { draft >> edit >> publish };
    /// let run = review.durable(&db, "doc-42");
    /// run.run(&mut Doc::default()).await.unwrap();
    ///
    /// let steps: Vec<_> = run.history().await.unwrap().into_iter()
    ///     .map(|entry| (entry.step, entry.node))
    ///     .collect();
    /// assert_eq!(steps, [
    ///     (0, None),                          // the store the run started from
    ///     (1, Some("draft".to_owned())),
    ///     (2, Some("edit".to_owned())),
    ///     (3, Some("publish".to_owned())),    // the run's end
    /// ]);
    /// // The store as step 2 committed it.
    /// let before: Doc = run.store_at(2).await.unwrap();
    /// assert_eq!(before.words, ["draft", "edit"]);
    ///
    /// // A new run from there, on its own id; the original is untouched.
    /// let retry = run.fork(2, "doc-42-retry").await.unwrap();
    /// let mut doc = Doc::default();
    /// retry.run(&mut doc).await.unwrap();
    /// assert_eq!(doc.words, ["draft", "edit", "publish"]);
    /// assert_eq!(retry.history().await.unwrap()[0].step, 2);
    /// # });
    /// ```
    pub async fn history(&self) -> Result<Vec<HistoryEntry>> {
        self.checkpoints.history(self.id()).await
    }

    /// The shared store as step `step` committed it (step 0: the store the run started from).
    /// An edit (`update`, `update_json`) writes no history: the store as edited is the run's
    /// current one, read by running it.
    /// [`NotFound`](DurableErrorKind::NotFound) for a step the run never committed;
    /// [`Unreadable`](DurableErrorKind::Unreadable) when that store no longer reads as `S`.
    pub async fn store_at<S: DeserializeOwned>(&self, step: u64) -> Result<S> {
        let past = self.past(step).await?;
        read_store(self.id(), &past.store)
    }

    /// A new run, `new_id`, that starts from this run's checkpoint of step `step` (its store
    /// and its position, inside batch flows and groups too): running it goes on after that
    /// step, on its own id, with this flow and backend. Its history starts with the copied
    /// checkpoint; this run is untouched. An error when `new_id` exists
    /// ([`Conflict`](DurableErrorKind::Conflict)) or the run never committed `step`
    /// ([`NotFound`](DurableErrorKind::NotFound)).
    ///
    /// A batch node whose step was in progress at `step` starts again from its `prep` in the
    /// fork: what it had journaled belongs to this run.
    pub async fn fork(&self, step: u64, new_id: impl Into<String>) -> Result<DurableRun<'a, N, C>> {
        let new_id = new_id.into();
        let past = self.past(step).await?;
        // The fork's history has none of this run's steps: items this checkpoint left at an
        // earlier step go into the copy.
        let mut position: Position = json::decode(
            &past.position,
            &format!("the position of step {step} of run `{}`", self.id()),
            "fork it with the program that saved it",
        )?;
        items::resolve(self.checkpoints, self.id(), &mut position).await?;
        let position = json::encode(&position).map_err(|e| {
            json::unwritable(
                &format!("the fork of run `{}`", self.id()),
                "its position",
                e,
            )
        })?;
        let copy = Checkpoint {
            version: 1,
            message: None,
            position,
            ..past
        };
        if !self.checkpoints.save_after(&new_id, None, &copy).await? {
            return Err(Error::durable_with(
                DurableErrorKind::Conflict,
                format!(
                    "run `{new_id}` exists already; fork run `{}` to an id no run has",
                    self.id()
                )
                .into(),
            ));
        }
        Ok(self.with_id(new_id))
    }

    /// The checkpoint that committed `step`.
    async fn past(&self, step: u64) -> Result<Checkpoint> {
        self.checkpoints
            .checkpoint_at(self.id(), step)
            .await?
            .ok_or_else(|| {
                Error::durable_with(
                    DurableErrorKind::NotFound,
                    format!(
                        "run `{}` never committed step {step}; its history lists the steps it did",
                        self.id()
                    )
                    .into(),
                )
            })
    }
}
