//! What the macros' generated code uses: every path it names goes through here, so that a crate
//! depending on `pocketflow` alone compiles it. Not public API: it changes without notice.

pub use crate::action::{
    Action, ActionType, DefaultAction, IntoAction, StringLabels, TypedActions,
};
pub use crate::configure::{BatchNode, Configure};
pub use crate::context::{Plain, RunContext};
pub use crate::drive::{
    End, Member, drive_batch, drive_group, drive_node, drive_sync_batch, drive_sync_node,
};
pub use crate::error::{BoxError, Error, Result};
pub use crate::flow::{
    DeclaredActions, Declares, Flow, Label, StepCounter, assert_node, declared_action, edge_checks,
    failed_at, label_hash, spend_budget, unmatched,
};
pub use crate::mermaid::{Mermaid, child_id};
pub use crate::node::{Node, NodeInfo};
pub use crate::phases::{
    BatchCodec, BatchFlowPhases, BatchPhases, DebugItem, Fallible, ItemCodec, ItemText,
    NoDebugItem, NodePhases, PhaseError, SyncBatchPhases, SyncNodePhases, collect_items,
    post_exec_value, post_prep_value,
};
pub use crate::placeholder::Placeholder;
pub use crate::policy::RetryPolicy;
pub use crate::progress::Progress;
pub use crate::store::Store;
pub use crate::stream::{Emits, EmittedBy, Emitter, Silent, emits_checks};

pub use crate::action::ParseActionError;
pub use core::clone::Clone;
pub use core::future::Future;
pub use core::iter::IntoIterator;
pub use core::marker::{PhantomData, Send, Sync};
pub use core::matches;
pub use core::option::Option;
pub use core::result::Result::{Err, Ok};
pub use core::str::FromStr;
pub use core::time::Duration;
pub use std::vec::Vec;

#[cfg(feature = "durable")]
pub use crate::durable::codec::{FlowItems, JournaledItems, NodeItems, UnjournaledItems};

/// How a durable run writes a parallel group's run indices into its position: none without
/// durable runs. Here rather than in the group's driver, which knows nothing of them.
pub fn group_codec() -> Option<ItemCodec<u32>> {
    #[cfg(feature = "durable")]
    {
        (&&FlowItems::<u32>(PhantomData)).codec()
    }
    #[cfg(not(feature = "durable"))]
    {
        None
    }
}

/// Keeps what it is given when pocketflow is built with durable runs, drops it otherwise: how
/// the macros emit what only durable runs use without knowing pocketflow's features.
#[cfg(feature = "durable")]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_durable {
    ($($item:tt)*) => { $($item)* };
}

/// See the durable version.
#[cfg(not(feature = "durable"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_durable {
    ($($item:tt)*) => {};
}

pub use crate::__if_durable as if_durable;

#[cfg(feature = "distributed")]
pub use crate::distributed::{Distributed, drive_distributed_batch};

#[cfg(feature = "distributed")]
pub use crate::distributed::CheckPortable;

/// `#[batch_node(.., distributed = "name")]` puts its `Distributed` impl and its driver in
/// here: kept when pocketflow is built with workers, an error at the user's `distributed`
/// otherwise (`$key` carries its span).
#[cfg(feature = "distributed")]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_distributed {
    ($key:ident { $($item:tt)* }) => { $($item)* };
}

/// See the distributed version.
#[cfg(not(feature = "distributed"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __if_distributed {
    ($key:ident { $($item:tt)* }) => {
        ::core::compile_error!(
            "`distributed` needs pocketflow's `distributed` feature; add `features = [\"distributed\"]` to pocketflow in Cargo.toml, or remove `distributed = ..` to run the items in-process"
        );
    };
}

pub use crate::__if_distributed as if_distributed;
