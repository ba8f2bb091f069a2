//! How generated methods call the user's `exec` and `exec_fallback`: as `phase_exec` and
//! `phase_exec_fallback` do, or, converted through `CheckPortable`, as a distributed node's
//! `remote_exec` and `remote_exec_fallback` do.

use proc_macro2::TokenStream;
use quote::quote;

use crate::impl_block::emit::{self, Flavor};
use crate::impl_block::ir::Phases;
use crate::private::private;

/// How `remote_exec` and `remote_exec_fallback` call the user's phases: their item and result
/// are `<T as CheckPortable>::Checked` (see `distributed::impls`), which is `T`, but is not known to be
/// when `T` is not `Portable`; converted both ways, the calls add no error then either.
pub(super) struct Checked<'a> {
    pub(super) item: &'a TokenStream,
    pub(super) output: &'a TokenStream,
}

impl Checked<'_> {
    /// The body of a method computing `result` from `__input`: `__input` taken as the user's
    /// item type, the value of `result` given as `Self::Output`.
    pub(super) fn body(&self, flavor: Flavor, result: TokenStream) -> TokenStream {
        let pf = private();
        let (item, output) = (self.item, self.output);
        let body = flavor.body(quote!(#result.map(<#output as #pf::CheckPortable>::into_checked)));
        quote!({
            let __input = <#item as #pf::CheckPortable>::from_checked(__input);
            #body
        })
    }
}

/// The body of `phase_exec` (and, converted, of `remote_exec`): the user's `exec` on `__input`,
/// and `__emitter` when it emits.
pub(super) fn exec_body(phases: &Phases, flavor: Flavor, checked: Option<&Checked>) -> TokenStream {
    let result = match &phases.exec {
        Some(exec) => {
            let input = exec
                .input
                .as_ref()
                .map(|input| emit::input_arg(input, "__input"));
            let emitter = exec.emits.as_ref().map(|_| quote!(__emitter));
            let args = match (input, emitter) {
                (Some(input), Some(emitter)) => quote!(#input, #emitter),
                (input, emitter) => quote!(#input #emitter),
            };
            emit::result_of(&exec.phase, args)
        }
        None => {
            let pf = private();
            quote!(#pf::Ok(()))
        }
    };
    match checked {
        // On a worker nobody streams: an `exec` that emits gets an emitter to nowhere.
        Some(checked)
            if phases
                .exec
                .as_ref()
                .is_some_and(|exec| exec.emits.is_some()) =>
        {
            let pf = private();
            let result = quote!({
                let __emitter = &#pf::Emitter::silent();
                #result
            });
            checked.body(flavor, result)
        }
        Some(checked) => checked.body(flavor, result),
        None => flavor.body(result),
    }
}

/// `phase_exec_fallback` (or `remote_exec_fallback`, as `name` says, converted) calling the
/// user's `exec_fallback`, when the block has one.
pub(super) fn fallback_method(
    name: TokenStream,
    phases: &Phases,
    flavor: Flavor,
    input_ty: &TokenStream,
    output_ty: &TokenStream,
    checked: Option<&Checked>,
) -> Option<TokenStream> {
    let pf = private();
    phases.fallback.as_ref().map(|fallback| {
        let input = emit::input_arg(&fallback.input, "__input");
        let result = emit::result_of(&fallback.phase, quote!(#input, __error));
        let body = match checked {
            Some(checked) => checked.body(flavor, result),
            None => flavor.body(result),
        };
        let returns = flavor.returns(output_ty.clone());
        quote! {
            fn #name(
                &self,
                __input: &#input_ty,
                __error: #pf::Error,
            ) -> #pf::Result<#returns, #pf::Error> {
                #pf::Ok(#body)
            }
        }
    })
}
