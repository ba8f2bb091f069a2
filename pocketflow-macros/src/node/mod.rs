//! `#[node]` and `#[batch_node]`: parse the attribute and the impl block, check both, expand.

mod args;
mod expand;
mod phases;

use proc_macro2::TokenStream;

pub(crate) use args::Kind;

use crate::diag::{self, Errors};

pub(crate) fn node(kind: Kind, args: TokenStream, input: TokenStream) -> TokenStream {
    let item = match syn::parse2::<syn::Item>(input.clone()) {
        Ok(syn::Item::Impl(item)) => item,
        Ok(other) => {
            let error = syn::Error::new(
                syn::spanned::Spanned::span(&other),
                format!(
                    "{} goes on an `impl` block of the node's type, like `{} impl MyNode {{ fn exec(&self) {{ .. }} }}`",
                    kind.attribute(),
                    kind.attribute()
                ),
            );
            return diag::with_original(error, input);
        }
        Err(error) => return diag::with_original(error, input),
    };
    let mut errors = Errors::default();
    let node_args = args::parse(kind, args, &mut errors);
    let phases = phases::read(kind, &item, &mut errors);
    if let Some((_, timeout)) = node_args.timeout {
        match &phases.exec {
            Some(exec) if !exec.phase.is_async => errors.at(
                &exec.phase.ident,
                "`timeout` limits each attempt of `exec`, which needs `async fn exec`: a synchronous `exec` cannot be interrupted",
            ),
            None => errors.at_span(timeout, "`timeout` limits each attempt of `exec`, but this node has no `exec`"),
            Some(_) => {}
        }
    }
    if let (Kind::BatchNode, Some(parallel)) = (kind, node_args.parallel) {
        match &phases.exec {
            Some(exec) if !exec.phase.is_async => errors.at(
                &exec.phase.ident,
                "`parallel` runs the items' `exec` concurrently on this task, which needs `async fn exec`; a synchronous `exec` would run the items one after another anyway, so drop `parallel` or make `exec` async",
            ),
            None => errors.at_span(parallel, "`parallel` runs the items' `exec` concurrently, but this batch node has no `exec`"),
            Some(_) => {}
        }
    }
    match errors.finish() {
        Ok(()) => expand::expand(kind, &node_args, &item, &phases),
        Err(error) => diag::with_original(error, quote::quote!(#item)),
    }
}
