//! `#[batch_flow]`: parse the attribute and the impl block, validate both, expand (or, when
//! there are mistakes, report them all and emit stubs).

mod expand;

use proc_macro2::TokenStream;

use crate::diag::{self, Errors};
use crate::impl_block::{Kind, check_args, check_phases, parse, stub};

pub(crate) fn batch_flow(args: TokenStream, input: TokenStream) -> TokenStream {
    let block = match parse::parse(Kind::BatchFlow, args, input.clone()) {
        Ok(block) => block,
        Err(error) => return diag::with_original(error, input),
    };
    let mut errors = Errors::default();
    let args = check_args::check(Kind::BatchFlow, &block, &mut errors);
    let phases = check_phases::check(Kind::BatchFlow, &block, &mut errors);
    match errors.finish() {
        Ok(()) => expand::expand(&args, &block.item, &phases),
        Err(error) => diag::with_original(error, stub::stub(Kind::BatchFlow, &block)),
    }
}
