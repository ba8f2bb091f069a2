//! The `Node` impl of a `#[node]` or `#[batch_node]`: `run_in` through the driver of its shape,
//! `run_node` as `run_in` with the plain context.

use proc_macro2::TokenStream;
use quote::quote;

use super::shape::Shape;
use crate::impl_block::emit::Target;
use crate::private::private;

/// `impl Node`: `run_in` runs the phases through the driver of the node's shape in the run's
/// context, `run_node` is `run_in` with the plain context.
pub(super) fn node_impl(target: &Target, shape: &Shape) -> TokenStream {
    let pf = private();
    let Target {
        shared_ty,
        params_ty,
        ..
    } = target;
    let header = target.run_impl(quote!(Node));
    let driver = shape.driver();
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
                #pf::#driver(self, __cx, __store, __params)
            }

            fn commits_each_post() -> bool {
                true
            }
        }
    }
}
