//! What travels through the queue: the two job kinds and what a worker answers to an item. All
//! JSON, through apalis's own codec; these are the only shapes pocketflow puts on the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A few items of a distributed batch node: run the node registered as `node` on each of
/// `items`, at once, and answer one [`ItemAnswer`] per item, in order. Items travel a few to a
/// job so that the queue's own work (a push, a fetch, an acknowledgement, a status read per
/// job) is shared by them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ItemJob {
    pub(crate) node: String,
    pub(crate) items: Vec<Value>,
}

/// A durable run of the flow registered as `flow`, with the run id, the store it starts from
/// when it has no checkpoint, and the params.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunJob {
    pub(crate) flow: String,
    pub(crate) run: String,
    pub(crate) store: Value,
    pub(crate) params: Value,
}

/// A worker's answer to an [`ItemJob`]. A failure is an answer too, not a failed job: the worker
/// already retried `exec` by the node's policy, so apalis must not run it again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ItemAnswer {
    /// `exec` (or its fallback) returned this.
    Output(Value),
    /// `exec` failed for good: after `attempts` attempts, with this message.
    Failed { attempts: u32, message: String },
    /// The worker has no node registered under the job's name.
    UnknownNode {
        worker: String,
        registered: Vec<String>,
    },
    /// The item could not be read as the node's item type.
    BadItem { message: String },
}
