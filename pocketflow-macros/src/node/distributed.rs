//! The impls of a batch node with `distributed = "name"`: `Distributed` (`REGISTERED_AS`,
//! `Item`, `Output`, `remote_exec` and, with an `exec_fallback`, `remote_exec_fallback`, which
//! call the user's `exec` and `exec_fallback` as `phase_exec` and `phase_exec_fallback` do),
//! and its `Node` impl, run by `drive_distributed_batch` and never journaled: its items run
//! on workers, so the batch is one durable step. Both sit in
//! `if_distributed! { distributed { .. } }`, which keeps them when pocketflow has workers and is
//! an error at the user's `distributed` otherwise.
//!
//! ```text
//! if_distributed! { distributed {
//!     impl Distributed for Translate where <Vec<Page> as IntoIterator>::Item: CheckPortable, String: CheckPortable {
//!         const REGISTERED_AS: &str = "translate";
//!         type Item = <<Vec<Page> as IntoIterator>::Item as CheckPortable>::Checked;
//!         type Output = <String as CheckPortable>::Checked;
//!         fn remote_exec(&self, __input: &Self::Item) -> impl Future<..> {
//!             let __input = <.. as CheckPortable>::from_checked(__input);
//!             async move { Fallible::into_phase_result(Self::exec(self, __input).await).map(<String as CheckPortable>::into_checked) }
//!         }
//!     }
//!     impl<__P: Sync> Node<Book, __P> for Translate where ..: CheckPortable<Checked = ..>, String: CheckPortable<Checked = String> {
//!         fn run_node(..) { Node::run_in(self, store, params, Plain) }
//!         fn run_in(.., cx) { drive_distributed_batch(self, cx, store, params) }
//!     }
//! } }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

use super::calls::{Checked, exec_body, fallback_method};
use super::node_impl::node_impl;
use super::shape::Shape;
use crate::impl_block::emit::{self, Target};
use crate::impl_block::ir::Phases;
use crate::private::{private, private_at};

/// A distributed batch node's `impl Distributed` and its `Node` impl (run by
/// `drive_distributed_batch`), both in `if_distributed!`, whose invocation is spanned at the
/// user's `distributed` key so that, without pocketflow's `distributed` feature, its error is
/// there. `Distributed` is not generic over the store and params: a worker runs `exec` alone.
///
/// `Item` and `Output` must be `Portable`, and a type that is not should be one error, in
/// `Portable`'s words, on the type the user wrote. Written plainly (`type Item = Page`), rustc
/// checks `type Item: Portable` through `Portable`'s supertraits instead: two errors in serde's
/// words. So both impls require `T: CheckPortable` (which has `Portable`'s message) of each
/// type `T`, and `Item` is `<T as CheckPortable>::Checked`, `Portable` by that trait's bound:
/// rustc checks a where clause without type parameters where it is written, reports it there,
/// and inside the impl assumes it, so nothing fails again. The `Node` impl's clause also says
/// `Checked = T`, for the driver's `Item = <Self as BatchPhases>::Item`; both clauses span `T`
/// alike, so rustc prints one error. Where `T` names the block's type parameters, the clauses
/// make both impls conditional: a use with a type that is not `Portable` is the error.
pub(super) fn impls(
    target: &Target,
    shape: &Shape,
    phases: &Phases,
    name: &str,
    key: Span,
) -> TokenStream {
    let pf = private();
    let item = target.item;
    let self_ty = &item.self_ty;
    let item_ty = portable_item_type(phases);
    let exec_value = emit::value_of(phases.exec.as_ref().map(|exec| &exec.phase));
    let mut generics = item.generics.clone();
    let mut run_generics = target.run_generics.clone();
    for ty in [&item_ty, &exec_value] {
        let (check, check_same) = check_portable(ty);
        generics.make_where_clause().predicates.push(check);
        run_generics.make_where_clause().predicates.push(check_same);
    }
    let node = node_impl(
        &Target {
            item,
            run_generics,
            shared_ty: target.shared_ty.clone(),
            params_ty: target.params_ty.clone(),
        },
        shape,
    );
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let returns = shape.flavor.returns(quote!(Self::Output));
    let checked = Checked {
        item: &item_ty,
        output: &exec_value,
    };
    let exec_body = exec_body(phases, shape.flavor, Some(&checked));
    let fallback = fallback_method(
        quote!(remote_exec_fallback),
        phases,
        shape.flavor,
        &quote!(Self::Item),
        &quote!(Self::Output),
        Some(&checked),
    );
    let impls = quote! {
        impl #impl_generics #pf::Distributed for #self_ty #where_clause {
            const REGISTERED_AS: &'static str = #name;
            type Item = <#item_ty as #pf::CheckPortable>::Checked;
            type Output = <#exec_value as #pf::CheckPortable>::Checked;

            fn remote_exec(&self, __input: &Self::Item) -> #returns {
                #exec_body
            }

            #fallback
        }

        #node
    };
    let key_ident = syn::Ident::new("distributed", key);
    let pf_key = private_at(key);
    quote_spanned!(key=> #pf_key::if_distributed! { #key_ident { #impls } })
}

/// `T: CheckPortable` and `T: CheckPortable<Checked = T>`, each spanning `T` exactly (the
/// generated tokens at its first or last token): where rustc reports a `T` that is not
/// `Portable`, and the same span for both so that it reports it once.
fn check_portable(ty: &TokenStream) -> (syn::WherePredicate, syn::WherePredicate) {
    let (_, last) = ends(ty);
    let pf = private_at(last);
    let bound = quote_spanned!(last=> #pf::CheckPortable);
    let checked = syn::Ident::new("Checked", last);
    let close = quote_spanned!(last=> >);
    (
        syn::parse_quote!(#ty: #bound),
        syn::parse_quote!(#ty: #bound<#checked = #ty #close),
    )
}

/// The spans of the first and last tokens of `tokens`: a generated token at the first and one
/// at the last make rustc underline all of `tokens`.
fn ends(tokens: &TokenStream) -> (Span, Span) {
    let mut tokens = tokens.clone().into_iter();
    let first = tokens
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let last = tokens.last().map_or(first, |token| token.span());
    (first, last)
}

/// `<Items as IntoIterator>::Item` of what `prep` returns, spanning the user's `Items` (not
/// `prep`'s name, as [`emit::item_type`] has it), so that an error about the item type
/// underlines the type the user wrote.
fn portable_item_type(phases: &Phases) -> TokenStream {
    let Some(prep) = &phases.prep else {
        return emit::item_type(phases);
    };
    let items = emit::value_type(&prep.phase.output);
    let (first, last) = ends(&items);
    let open = quote_spanned!(first=> <);
    let pf = private_at(last);
    let close = quote_spanned!(last=> as #pf::IntoIterator>::Item);
    quote!(#open #items #close)
}
