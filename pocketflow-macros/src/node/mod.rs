//! `#[node]` and `#[batch_node]`: parse the attribute and the impl block, validate both,
//! expand (or, when there are mistakes, report them all and emit stubs).

mod calls;
mod distributed;
mod expand;
mod node_impl;
mod shape;
mod validate;

use proc_macro2::TokenStream;

use crate::diag;
use crate::impl_block::{Kind, parse, stub};

pub(crate) fn node(kind: Kind, args: TokenStream, input: TokenStream) -> TokenStream {
    let block = match parse::parse(kind, args, input.clone()) {
        Ok(block) => block,
        Err(error) => return diag::with_original(error, input),
    };
    match validate::validate(kind, &block) {
        Ok((args, phases)) => expand::expand(kind, &args, &block.item, &phases),
        Err(error) => diag::with_original(error, stub::stub(kind, &block)),
    }
}
