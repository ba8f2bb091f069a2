//! What `#[node]`, `#[batch_node]` and `#[batch_flow]` share: all three go on an inherent impl
//! block of phase methods and take `key = value` arguments.
//!
//! - [`parse`]: the attribute's tokens and the impl block into the syntax IR ([`ir::Block`]),
//!   reading only what the syntax needs.
//! - [`check_args`], [`check_phases`]: the syntax IR into the checked model
//!   ([`ir::NodeArgs`], [`ir::Phases`]), every mistake reported.
//! - [`emit`]: the pieces of the expansion the three share (the phase calls, the label impl).
//! - [`stub`]: what a block with mistakes expands to, so that its uses type-check.

pub(crate) mod check_args;
pub(crate) mod check_phases;
pub(crate) mod emit;
pub(crate) mod ir;
pub(crate) mod parse;
pub(crate) mod stub;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Node,
    BatchNode,
    BatchFlow,
}

impl Kind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Node => "#[node]",
            Kind::BatchNode => "#[batch_node]",
            Kind::BatchFlow => "#[batch_flow]",
        }
    }
}
