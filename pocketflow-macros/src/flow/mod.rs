//! `flow! { .. }`: parse the statements, check the graph, expand into a state machine (or,
//! when there are mistakes, report them all in place of a placeholder flow).

mod expand;
mod graph;
mod parse;
#[cfg(test)]
mod proptests;

use proc_macro2::TokenStream;

use crate::diag::Errors;
use crate::private::private;

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

/// The errors, in a block whose value is a placeholder node and flow (for any store and params),
/// so that `let f = flow! { .. }; f.run(..)` reports the errors and nothing else.
fn error_expression(error: syn::Error) -> TokenStream {
    let pf = private();
    let errors = error.into_compile_error();
    quote::quote!({ #errors #pf::Placeholder })
}
