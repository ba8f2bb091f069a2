//! Checks a node's or batch node's syntax IR: its arguments, its phases, and what depends on
//! both (`timeout` and `parallel` need an `async fn exec`). Collects every mistake.

use crate::diag::Errors;
use crate::impl_block::ir::{Block, NodeArgs, Phases};
use crate::impl_block::{Kind, check_args, check_phases};

pub(crate) fn validate(kind: Kind, block: &Block) -> syn::Result<(NodeArgs, Phases)> {
    let mut errors = Errors::default();
    let args = check_args::check(kind, block, &mut errors);
    let phases = check_phases::check(kind, block, &mut errors);
    if let Some((_, timeout)) = args.timeout {
        match &phases.exec {
            Some(exec) if !exec.phase.is_async => errors.at(
                &exec.phase.ident,
                "`timeout` limits each attempt of `exec`, which needs `async fn exec`: a synchronous `exec` cannot be interrupted",
            ),
            None => errors.at_span(timeout, "`timeout` limits each attempt of `exec`, but this node has no `exec`"),
            Some(_) => {}
        }
    }
    if let (Kind::BatchNode, Some(parallel)) = (kind, args.parallel) {
        match &phases.exec {
            Some(exec) if !exec.phase.is_async => errors.at(
                &exec.phase.ident,
                "`parallel` runs the items' `exec` concurrently on this task, which needs `async fn exec`; a synchronous `exec` would run the items one after another anyway, so drop `parallel` or make `exec` async",
            ),
            None => errors.at_span(parallel, "`parallel` runs the items' `exec` concurrently, but this batch node has no `exec`"),
            Some(_) => {}
        }
    }
    errors.finish()?;
    Ok((args, phases))
}
