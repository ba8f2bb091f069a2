//! What a block with mistakes expands to, besides the errors: the user's block and stub impls
//! that make the type a node again, so that its uses (in `flow!`, `.run()`, `.over()`) type-check
//! and the mistakes are the only errors of the compile.
//!
//! Input: `#[node] impl Broken { fn prep(&self, shared: Doc) {} fn post(&self) -> Verdict { .. } }`
//!
//! Output: the impl block unchanged, plus
//!
//! ```text
//! impl NodeInfo for Broken { type Action = <Verdict as IntoAction>::Action; const NAME = "Broken"; }
//! impl Configure for Broken { const POLICY = RetryPolicy::new(1, Duration::ZERO); }
//! impl BatchNode for Broken {}                                           // #[batch_node] only
//! impl<__T> Emits<__T> for Broken {}
//! impl<__S: Send, __P: Sync> Node<__S, __P> for Broken { fn run_node(..) { Placeholder::pending() } }
//! impl Broken { pub fn over<__F>(self, sub_flow: __F) -> Placeholder { Placeholder } }  // #[batch_flow] only
//! ```
//!
//! The action type is the one `post` declares when it could be read, else `Action`; the node
//! runs on any store and params. The stub never runs: the errors stop the compile.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Type;

use super::Kind;
use super::emit;
use super::ir::{Block, Member, Output};
use crate::private::private;

pub(crate) fn stub(kind: Kind, block: &Block) -> TokenStream {
    let pf = private();
    let item = &block.item;
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let mut run_generics = item.generics.clone();
    run_generics.params.push(syn::parse_quote!(__S: #pf::Send));
    run_generics.params.push(syn::parse_quote!(__P: #pf::Sync));
    let (run_impl_generics, _, run_where_clause) = run_generics.split_for_impl();
    let mut emits_generics = item.generics.clone();
    emits_generics.params.push(syn::parse_quote!(__T));
    let (emits_impl_generics, _, emits_where_clause) = emits_generics.split_for_impl();

    let user_block = emit::user_block(item);
    let label = emit::label_impl(item, &declared_action(block));
    let policy = (kind != Kind::BatchFlow).then(|| {
        quote! {
            impl #impl_generics #pf::Configure for #self_ty #where_clause {
                const POLICY: #pf::RetryPolicy = #pf::RetryPolicy::new(1, #pf::Duration::ZERO);
            }
        }
    });
    let batch_marker = (kind == Kind::BatchNode)
        .then(|| quote!(impl #impl_generics #pf::BatchNode for #self_ty #where_clause {}));
    let over = (kind == Kind::BatchFlow).then(|| {
        quote! {
            impl #impl_generics #self_ty #where_clause {
                /// Stands for the batch flow this block would make.
                pub fn over<__F>(self, _sub_flow: __F) -> #pf::Placeholder {
                    #pf::Placeholder
                }
            }
        }
    });
    quote! {
        #user_block
        #label
        #policy
        #batch_marker
        impl #emits_impl_generics #pf::Emits<__T> for #self_ty #emits_where_clause {}

        impl #run_impl_generics #pf::Node<__S, __P> for #self_ty #run_where_clause {
            fn run_node<'__a>(
                &'__a self,
                _: #pf::Store<'__a, __S>,
                _: &'__a __P,
            ) -> impl #pf::Future<Output = #pf::Result<Self::Action>> + #pf::Send + '__a {
                #pf::Placeholder::pending()
            }
        }

        #over
    }
}

/// The action type `post` declares, if there is a `post` whose return type could be read;
/// else `Action`.
fn declared_action(block: &Block) -> TokenStream {
    let post = block.members.iter().find_map(|member| match member {
        Member::Method(method) if method.ident == "post" => Some(method),
        _ => None,
    });
    match post {
        Some(post) if !matches!(post.output, Output::Plain(Type::ImplTrait(_))) => {
            let span = emit::output_span(&post.output, &post.ident);
            emit::action_type(Some((&post.output, span)))
        }
        _ => emit::action_type(None),
    }
}
