//! `#[node]` and `#[batch_node]`: parse the attribute and the impl block, check both, expand.

mod args;
mod expand;
mod phases;

use proc_macro2::TokenStream;

pub(crate) use args::Kind;

use crate::diag::{self, Errors};

pub(crate) fn node(kind: Kind, args: TokenStream, input: TokenStream) -> TokenStream {
    let item: syn::ItemImpl = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(error) => {
            let hint = syn::Error::new(
                error.span(),
                format!(
                    "{} goes on an `impl` block: `{} impl MyNode {{ fn exec(&self) {{ .. }} }}`",
                    kind.attribute(),
                    kind.attribute()
                ),
            );
            let mut combined = hint;
            combined.combine(error);
            return diag::with_original(combined, input);
        }
    };
    let mut errors = Errors::default();
    let node_args = args::parse(kind, args, &mut errors);
    let phases = phases::read(kind, &item, &mut errors);
    match errors.finish() {
        Ok(()) => expand::expand(kind, &node_args, &item, &phases),
        Err(error) => diag::with_original(error, quote::quote!(#item)),
    }
}
