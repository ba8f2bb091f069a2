//! `flow! { .. }`: parse the statements, check the graph, expand into a state machine.

mod expand;
mod graph;
mod parse;

use proc_macro2::TokenStream;

use crate::diag::Errors;

pub(crate) fn flow(input: TokenStream) -> TokenStream {
    let parsed: parse::FlowInput = match syn::parse2(input) {
        Ok(parsed) => parsed,
        Err(error) => return error_expression(error),
    };
    let mut errors = Errors::default();
    let graph = graph::build(parsed, &mut errors);
    match errors.finish() {
        Ok(()) => expand::expand(&graph),
        Err(error) => error_expression(error),
    }
}

/// The errors as one expression, so that `let f = flow! { .. };` reports them and nothing else.
fn error_expression(error: syn::Error) -> TokenStream {
    let errors = error.into_compile_error();
    quote::quote!({ #errors })
}
