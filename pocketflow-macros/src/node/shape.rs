//! The node's phases shape, read from its attribute and phases: which phases trait it
//! implements and which driver runs it.

use proc_macro2::TokenStream;
use quote::quote;

use crate::impl_block::Kind;
use crate::impl_block::emit::{self, Flavor};
use crate::impl_block::ir::{NodeArgs, Phases};

/// The node's phases shape: which phases trait it implements and which driver runs it.
pub(super) struct Shape {
    /// Batch node (`exec` per item) or node.
    pub(super) batch: bool,
    pub(super) flavor: Flavor,
    /// How many items an async batch runs at once.
    pub(super) limit: TokenStream,
    /// `distributed = "name"`: run by `drive_distributed_batch`.
    pub(super) distributed: bool,
}

impl Shape {
    pub(super) fn of(kind: Kind, args: &NodeArgs, phases: &Phases) -> Shape {
        Shape {
            batch: kind == Kind::BatchNode,
            // Parallel work needs futures to interleave, so a parallel batch uses the async
            // traits.
            flavor: Flavor {
                sync: phases.all_sync() && args.parallel.is_none(),
            },
            limit: emit::limit(args),
            distributed: args.distributed.is_some(),
        }
    }

    pub(super) fn phases_trait(&self) -> TokenStream {
        match (self.batch, self.flavor.sync) {
            (false, false) => quote!(NodePhases),
            (false, true) => quote!(SyncNodePhases),
            (true, false) => quote!(BatchPhases),
            (true, true) => quote!(SyncBatchPhases),
        }
    }

    pub(super) fn driver(&self) -> TokenStream {
        if self.distributed {
            return quote!(drive_distributed_batch);
        }
        match (self.batch, self.flavor.sync) {
            (false, false) => quote!(drive_node),
            (false, true) => quote!(drive_sync_node),
            (true, false) => quote!(drive_batch),
            (true, true) => quote!(drive_sync_batch),
        }
    }
}
