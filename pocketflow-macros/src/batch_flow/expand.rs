//! Writes the impls that make a batch flow's checked phases a batch flow.
//!
//! Input:
//!
//! ```text
//! #[batch_flow(parallel, limit = 4)]
//! impl EachImage {
//!     fn prep(&self, shared: &Shared) -> Vec<Job> { .. }
//!     fn post(&self, shared: &mut Shared, jobs: Vec<Job>) { .. }
//! }
//! ```
//!
//! Output: the impl block unchanged, plus
//!
//! ```text
//! impl NodeInfo for EachImage { type Action = <() as IntoAction>::Action; const NAME = "EachImage"; }
//! impl<__P: Sync> BatchFlowPhases<Shared, __P> for EachImage {
//!     type Item = <Vec<Job> as IntoIterator>::Item;
//!     const LIMIT: usize = 4;
//!     fn phase_prep(..) { async move { Ok(Self::prep(self, &*__shared)).map(collect_items) } }
//!     fn phase_post(..) { async move { Ok(Self::post(self, __shared, __prep)).map(IntoAction::into_action) } }
//!     // with pocketflow's `durable` feature, unless the items are written with a reference:
//!     fn item_codec() -> Option<ItemCodec<Self::Item>> { (&&FlowItems::<Self::Item>(PhantomData)).codec() }
//! }
//! impl EachImage { pub fn over<__F>(self, sub_flow: __F) -> BatchFlow<Self, __F> { .. } }
//! ```
//! (every path but `::pocketflow::BatchFlow` goes through `::pocketflow::__private`).

use proc_macro2::TokenStream;
use quote::quote;

use crate::impl_block::emit::{self, Flavor, Target};
use crate::impl_block::ir::{NodeArgs, Phases};
use crate::private::private;

pub(crate) fn expand(args: &NodeArgs, item: &syn::ItemImpl, phases: &Phases) -> TokenStream {
    let target = Target::new(item, phases);
    let user_block = emit::user_block(item);
    let label = emit::label_impl(item, &emit::phases_action_type(phases));
    let phases_impl = phases_impl(&target, args, phases);
    let over = over_method(item);
    quote! {
        #user_block
        #label
        #phases_impl
        #over
    }
}

/// `impl BatchFlowPhases`: the items of `prep`, how many sub-flow runs at once (`LIMIT`, 1 for
/// a sequential batch flow), `post`.
fn phases_impl(target: &Target, args: &NodeArgs, phases: &Phases) -> TokenStream {
    let pf = private();
    let flavor = Flavor { sync: false };
    let Target {
        shared_ty,
        params_ty,
        ..
    } = target;
    let item_ty = emit::item_type(phases);
    let prep_body = flavor.body(emit::prep_body(phases, Some(quote!(#pf::collect_items))));
    let post_body = flavor.body(emit::post_body(phases, None));
    let returns_items = flavor.returns(quote!(#pf::Vec<Self::Item>));
    let returns_action = flavor.returns(quote!(Self::Action));
    let limit = emit::limit(args);
    let header = target.run_impl(quote!(BatchFlowPhases));
    let item_codec = item_codec(phases);
    quote! {
        #header {
            type Item = #item_ty;
            const LIMIT: usize = #limit;

            fn phase_prep(&self, __shared: &mut #shared_ty, __params: &#params_ty) -> #returns_items {
                #prep_body
            }

            fn phase_post(
                &self,
                __shared: &mut #shared_ty,
                __params: &#params_ty,
                __prep: #pf::Vec<Self::Item>,
            ) -> #returns_action {
                #post_body
            }

            #item_codec

            fn describe_item(__item: &Self::Item) -> #pf::Option<::std::string::String> {
                #[allow(unused_imports)]
                use #pf::{DebugItem as _, NoDebugItem as _};
                (&&#pf::ItemText::<Self::Item>(#pf::PhantomData)).text(__item)
            }
        }
    }
}

/// `item_codec`, kept only when pocketflow has durable runs: a codec when the items are serde
/// types (chosen by autoref on `FlowItems<Self::Item>`), so that a sequential batch flow in a
/// durable run resumes at its item; none when they are not, or are written with a reference.
fn item_codec(phases: &Phases) -> TokenStream {
    if emit::borrows(emit::value_of(phases.prep.as_ref().map(|prep| &prep.phase))) {
        return TokenStream::new();
    }
    let pf = private();
    quote! {
        #pf::if_durable! {
            fn item_codec() -> #pf::Option<#pf::ItemCodec<Self::Item>> {
                #[allow(unused_imports)]
                use #pf::{JournaledItems as _, UnjournaledItems as _};
                (&&#pf::FlowItems::<Self::Item>(#pf::PhantomData)).codec()
            }
        }
    }
}

/// `over`: the batch flow of this block and a sub-flow, as a node.
fn over_method(item: &syn::ItemImpl) -> TokenStream {
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    quote! {
        impl #impl_generics #self_ty #where_clause {
            /// Runs `sub_flow` once per item of this batch flow's `prep`, with the item as
            /// the sub-flow's params; the result is a node.
            pub fn over<__F>(self, sub_flow: __F) -> ::pocketflow::BatchFlow<Self, __F> {
                ::pocketflow::BatchFlow::new(self, sub_flow)
            }
        }
    }
}
