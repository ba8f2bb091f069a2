//! The `Node` impl of a `#[node]` or `#[batch_node]`: `run_in` through the driver of its shape,
//! `run_node` as `run_in` with the plain context.

use proc_macro2::TokenStream;
use quote::quote;

use super::shape::Shape;
use crate::impl_block::emit::{self, Target};
use crate::impl_block::ir::Phases;
use crate::private::private;

/// `impl Node`: `run_in` runs the phases through the driver of the node's shape in the run's
/// context (a batch node journaling its items when that run is durable and they are serde
/// types), `run_node` is `run_in` with the plain context.
pub(super) fn node_impl(target: &Target, shape: &Shape, phases: &Phases) -> TokenStream {
    let pf = private();
    let Target {
        shared_ty,
        params_ty,
        ..
    } = target;
    let header = target.run_impl(quote!(Node));
    let run = run_in_body(shape, phases);
    quote! {
        #header {
            fn run_node<'__a>(
                &'__a self,
                __store: #pf::Store<'__a, #shared_ty>,
                __params: &'__a #params_ty,
            ) -> impl #pf::Future<Output = #pf::Result<Self::Action>> + #pf::Send + '__a {
                #pf::Node::run_in(self, __store, __params, #pf::Plain)
            }

            fn run_in<'__a, __C: #pf::RunContext<#shared_ty> + '__a>(
                &'__a self,
                __store: #pf::Store<'__a, #shared_ty>,
                __params: &'__a #params_ty,
                __cx: __C,
            ) -> impl #pf::Future<Output = #pf::Result<Self::Action>> + #pf::Send + '__a {
                #run
            }

            fn commits_each_post() -> bool {
                true
            }
        }
    }
}

/// Whether the items or results are written with a reference or a lifetime (`Vec<&str>`): such
/// a batch is left one step (see [`emit::borrows`]).
fn borrows_in_batch(phases: &Phases) -> bool {
    let prep = emit::value_of(phases.prep.as_ref().map(|prep| &prep.phase));
    let exec = emit::value_of(phases.exec.as_ref().map(|exec| &exec.phase));
    emit::borrows(prep) || emit::borrows(exec)
}

/// The body of `run_in`: the driver of the node's shape. A batch node whose items and results
/// may be serde types picks, when pocketflow has durable runs, between the journaling driver
/// and the plain one by autoref on `Batch<Self>` or `SyncBatch<Self>`; a distributed batch is
/// one step (its results come from workers, not this journal), as is a batch of borrowed
/// items, and every other node.
fn run_in_body(shape: &Shape, phases: &Phases) -> TokenStream {
    let pf = private();
    let driver = shape.driver();
    let plain = quote!(#pf::#driver(self, __cx, __store, __params));
    if !shape.batch || shape.distributed || borrows_in_batch(phases) {
        return plain;
    }
    let chooser = if shape.flavor.sync {
        quote!(SyncBatch)
    } else {
        quote!(Batch)
    };
    quote! {
        #pf::durable_or!({{
            #[allow(unused_imports)]
            use #pf::{Journaled as _, Unjournaled as _};
            (&&#pf::#chooser::<Self>(#pf::PhantomData)).drive(self, __cx, __store, __params)
        }} {
            #plain
        })
    }
}
