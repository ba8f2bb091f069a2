//! Writes the trait impls that adapt a node's or batch node's checked phases to the runtime.
//!
//! Input:
//!
//! ```text
//! #[node(max_retries = 3)]
//! impl Summarize {
//!     fn prep(&self, shared: &Doc) -> String { .. }
//!     async fn exec(&self, text: &String) -> Result<String, MyError> { .. }
//!     fn post(&self, shared: &mut Doc, _: String, summary: String) -> &'static str { .. }
//! }
//! ```
//!
//! Output: the impl block unchanged, plus
//!
//! ```text
//! impl NodeInfo for Summarize { type Action = <&'static str as IntoAction>::Action; const NAME = "Summarize"; }
//! impl Configure for Summarize { const POLICY = RetryPolicy::new(3, ..); }
//! impl<__P: Sync> NodePhases<Doc, __P> for Summarize {
//!     type Prep = String;
//!     type Exec = String;
//!     fn phase_prep(&self, __shared: &mut Doc, __params: &__P) -> impl Future<..> {
//!         async move { Ok(Self::prep(self, &*__shared)) }
//!     }
//!     fn phase_exec(..)  { async move { Fallible::into_phase_result(Self::exec(self, __input).await) } }
//!     fn phase_exec_fallback(..) { Ok(async move { Ok(Self::exec_fallback(self, __input, __error)) }) }
//!     fn phase_post(..)  { async move { Ok(Self::post(self, __shared, __prep, __exec)).map(IntoAction::into_action) } }
//! }
//! impl<__P: Sync> Node<Doc, __P> for Summarize {
//!     fn run_node(&self, store, params) { Node::run_in(self, store, params, Plain) }
//!     fn run_in<__C: RunContext<Doc>>(&self, store, params, cx: __C) { drive_node(self, cx, store, params) }
//!     fn commits_each_post() -> bool { true }
//! }
//! ```
//!
//! A batch node also gets `impl BatchNode` (the marker `with_progress` needs) and `BatchPhases`
//! with `Item`/`Output` instead of `Prep`/`Exec` and `const LIMIT` (1 for a sequential batch, N
//! for `parallel, limit = N`, `usize::MAX` for `parallel` alone), run by `drive_batch`. A node
//! whose phases are all plain `fn`s (and not parallel) implements `SyncNodePhases` /
//! `SyncBatchPhases` (no `LIMIT`: a sync `exec` cannot interleave) and runs through
//! `drive_sync_node` / `drive_sync_batch`. A batch node whose items and results may be serde
//! types also gets `batch_codec`, by which its driver journals them in a durable run. Every path
//! goes through `::pocketflow::__private`.
//!
//! A batch node with `distributed = "name"` (always `parallel`, so async) also implements
//! `Distributed`, and its `Node` impl runs through `drive_distributed_batch`: see
//! [`distributed`](super::distributed).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::calls::{exec_body, fallback_method};
use super::distributed;
use super::node_impl::node_impl;
use super::shape::Shape;
use crate::impl_block::Kind;
use crate::impl_block::emit::{self, Target};
use crate::impl_block::ir::{NodeArgs, Phases};
use crate::private::{private, private_at};

pub(crate) fn expand(
    kind: Kind,
    args: &NodeArgs,
    item: &syn::ItemImpl,
    phases: &Phases,
) -> TokenStream {
    let target = Target::new(item, phases);
    let shape = Shape::of(kind, args, phases);
    let user_block = emit::user_block(item);
    let label = emit::label_impl(item, &emit::phases_action_type(phases));
    let batch_marker = shape.batch.then(|| batch_marker(item));
    let policy = policy_impl(item, args);
    let phases_impl = phases_impl(&target, &shape, phases, args.actions.as_deref());
    let emits = emits_impl(item, phases);
    let declared = args
        .actions
        .as_deref()
        .map(|labels| declared_impls(item, labels));
    let node = match &args.distributed {
        Some((name, key)) => distributed::impls(&target, &shape, phases, name, *key),
        None => node_impl(&target, &shape),
    };
    quote! {
        #user_block
        #label
        #batch_marker
        #policy
        #phases_impl
        #emits
        #declared
        #node
    }
}

/// `actions = [..]`: the node declares its actions, each label as a type (its hash) that
/// `flow!` checks a string edge's label against.
fn declared_impls(item: &syn::ItemImpl, labels: &[syn::LitStr]) -> TokenStream {
    let pf = private();
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    // The default action, which a plain edge follows, is always one of them.
    let default = (!labels.iter().any(|label| label.value() == "default"))
        .then(|| syn::LitStr::new("default", proc_macro2::Span::call_site()));
    let labels = labels.iter().chain(default.as_ref());
    quote! {
        impl #impl_generics #pf::DeclaredActions for #self_ty #where_clause {}
        #(
            // Not listed in the error for an undeclared label: their names are hashes.
            #[diagnostic::do_not_recommend]
            impl #impl_generics #pf::Declares<#pf::Label<{ #pf::label_hash(#labels) }>>
                for #self_ty #where_clause {}
        )*
    }
}

/// `impl BatchNode`: the marker that gives a batch node `with_progress`.
fn batch_marker(item: &syn::ItemImpl) -> TokenStream {
    let pf = private();
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    quote!(impl #impl_generics #pf::BatchNode for #self_ty #where_clause {})
}

/// `impl Configure`: the retry policy of the attribute's arguments.
fn policy_impl(item: &syn::ItemImpl, args: &NodeArgs) -> TokenStream {
    let pf = private();
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let max_retries = args.max_retries;
    let wait_nanos = args.wait_nanos;
    let backoff_per_mille = args.backoff_per_mille.unwrap_or(1000);
    let some_duration = |nanos: Option<u64>| match nanos {
        Some(nanos) => quote!(#pf::Option::Some(#pf::Duration::from_nanos(#nanos))),
        None => quote!(#pf::Option::None),
    };
    let max_wait = some_duration(args.max_wait_nanos);
    let timeout = some_duration(args.timeout.map(|(nanos, _)| nanos));
    quote! {
        impl #impl_generics #pf::Configure for #self_ty #where_clause {
            const POLICY: #pf::RetryPolicy =
                #pf::RetryPolicy::new(#max_retries, #pf::Duration::from_nanos(#wait_nanos))
                    .with_backoff_per_mille(#backoff_per_mille, #max_wait)
                    .with_timeout(#timeout);
        }
    }
}

/// The phases impl of a node (exec runs on the prep value) or of a batch node (exec runs on
/// each item of it); the two differ only in their types.
fn phases_impl(
    target: &Target,
    shape: &Shape,
    phases: &Phases,
    declared: Option<&[syn::LitStr]>,
) -> TokenStream {
    let pf = private();
    let flavor = shape.flavor;
    let Target {
        shared_ty,
        params_ty,
        ..
    } = target;
    let header = target.run_impl(shape.phases_trait());
    let exec_value = emit::value_of(phases.exec.as_ref().map(|exec| &exec.phase));
    let (types, input_ty, output_ty, prepared, executed) = if shape.batch {
        let item_ty = emit::item_type(phases);
        // The sync batch trait has no limit: a sync exec cannot interleave.
        let limit = &shape.limit;
        let limit = (!flavor.sync).then(|| quote!(const LIMIT: usize = #limit;));
        (
            quote!(type Item = #item_ty; type Output = #exec_value; #limit),
            quote!(Self::Item),
            quote!(Self::Output),
            quote!(#pf::Vec<Self::Item>),
            quote!(#pf::Vec<Self::Output>),
        )
    } else {
        let prep_value = emit::value_of(phases.prep.as_ref().map(|prep| &prep.phase));
        (
            quote!(type Prep = #prep_value; type Exec = #exec_value;),
            quote!(Self::Prep),
            quote!(Self::Exec),
            quote!(Self::Prep),
            quote!(Self::Exec),
        )
    };
    let finish = shape.batch.then(|| quote!(#pf::collect_items));
    let prep_body = flavor.body(emit::prep_body(phases, finish));
    let exec_body = exec_body(phases, flavor, None);
    let fallback = fallback_method(
        quote!(phase_exec_fallback),
        phases,
        flavor,
        &input_ty,
        &output_ty,
        None,
    );
    let post_body = flavor.body(emit::post_body(phases, declared));
    let value_checks = post_value_checks(phases, &prepared, &executed);
    let batch_codec = batch_codec(shape, phases);
    let emitted = emitted_type(phases);
    let returns_prep = flavor.returns(prepared.clone());
    let returns_exec = flavor.returns(output_ty);
    let returns_action = flavor.returns(quote!(Self::Action));
    quote! {
        #header {
            #types
            type Emitted = #emitted;

            fn phase_prep(&self, __shared: &mut #shared_ty, __params: &#params_ty) -> #returns_prep {
                #prep_body
            }

            fn phase_exec(
                &self,
                __input: &#input_ty,
                __emitter: &#pf::Emitter<Self::Emitted>,
            ) -> #returns_exec {
                #exec_body
            }

            #fallback

            fn phase_post(
                &self,
                __shared: &mut #shared_ty,
                __params: &#params_ty,
                __prep: #prepared,
                __exec: #executed,
            ) -> #returns_action {
                #value_checks
                #post_body
            }

            #batch_codec
        }
    }
}

/// What `exec` emits: the `T` of its `&Emitter<T>`, or `Silent`.
fn emitted_type(phases: &Phases) -> TokenStream {
    match phases.exec.as_ref().and_then(|exec| exec.emits.as_ref()) {
        Some(emitted) => quote!(#emitted),
        None => {
            let pf = private();
            quote!(#pf::Silent)
        }
    }
}

/// `impl Emits`: an emitting node can be streamed as what it emits (and says what that is,
/// `EmittedBy`, for `flow!`'s check); one that emits nothing, as anything.
fn emits_impl(item: &syn::ItemImpl, phases: &Phases) -> TokenStream {
    let pf = private();
    let self_ty = &item.self_ty;
    match phases.exec.as_ref().and_then(|exec| exec.emits.as_ref()) {
        Some(emitted) => {
            let (impl_generics, _, where_clause) = item.generics.split_for_impl();
            // One `Emits` impl only: `stream_with(&mut s, &params)` then infers what a flow of
            // this node emits. `EmittedBy` lets `flow!` compare it with its other nodes.
            quote! {
                impl #impl_generics #pf::Emits<#emitted> for #self_ty #where_clause {}
                impl #impl_generics #pf::EmittedBy for #self_ty #where_clause {
                    type Emitted = #emitted;
                }
            }
        }
        None => {
            let mut generics = item.generics.clone();
            generics.params.push(syn::parse_quote!(__T));
            let (impl_generics, _, where_clause) = generics.split_for_impl();
            quote! {
                impl #impl_generics #pf::Emits<__T> for #self_ty #where_clause {}
            }
        }
    }
}

/// `batch_codec`, kept only when pocketflow has durable runs: a codec when the items and
/// results are serde types (chosen by autoref on `NodeItems<Self::Item, Self::Output>`), so that
/// a batch node in a durable run journals them and resumes at its first item with no result;
/// none when they are not, or are written with a reference (`Vec<&str>`, see
/// [`emit::borrows`]). A distributed batch has none: its results come from workers.
fn batch_codec(shape: &Shape, phases: &Phases) -> Option<TokenStream> {
    let prep = emit::value_of(phases.prep.as_ref().map(|prep| &prep.phase));
    let exec = emit::value_of(phases.exec.as_ref().map(|exec| &exec.phase));
    if !shape.batch || shape.distributed || emit::borrows(prep) || emit::borrows(exec) {
        return None;
    }
    let pf = private();
    Some(quote! {
        #pf::if_durable! {
            fn batch_codec() -> #pf::Option<#pf::BatchCodec<Self::Item, Self::Output>> {
                #[allow(unused_imports)]
                use #pf::{JournaledItems as _, UnjournaledItems as _};
                (&&#pf::NodeItems::<Self::Item, Self::Output>(#pf::PhantomData)).codec()
            }
        }
    })
}

/// Checks, at each value `post` takes, that it is the type of that position, so that a swapped
/// pair is an error saying which value goes where, beside the call's own mismatch.
fn post_value_checks(
    phases: &Phases,
    prepared: &TokenStream,
    executed: &TokenStream,
) -> TokenStream {
    let Some([prep_ty, exec_ty]) = phases
        .post
        .as_ref()
        .map(|post| post.value_types.as_slice())
        .and_then(|types| <&[syn::Type; 2]>::try_from(types).ok())
    else {
        return TokenStream::new();
    };
    let (prep_span, exec_span) = (prep_ty.span(), exec_ty.span());
    let (pf_prep, pf_exec) = (private_at(prep_span), private_at(exec_span));
    // Lifetimes left to inference: the call allows a longer-lived value than the one written.
    let (prep_ty, exec_ty) = (&any_lifetimes(prep_ty), &any_lifetimes(exec_ty));
    // The whole check at the user's type, the position's type too: the error lands there.
    let (prepared, executed) = (respan(prepared, prep_span), respan(executed, exec_span));
    let prep_check =
        quote_spanned!(prep_span=> #pf_prep::post_prep_value::<#prepared, #prep_ty>(););
    let exec_check =
        quote_spanned!(exec_span=> #pf_exec::post_exec_value::<#executed, #exec_ty>(););
    quote!(#prep_check #exec_check)
}

/// `tokens`, every one of them at `span`.
fn respan(tokens: &TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(&group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            }
            token.set_span(span);
            token
        })
        .collect()
}

/// `ty` with every lifetime `'_`, so that a check of it against a type does not ask more than
/// the call it stands beside (which takes a `&'static str` where `&'a str` is written).
fn any_lifetimes(ty: &syn::Type) -> syn::Type {
    struct Elide;
    impl syn::visit_mut::VisitMut for Elide {
        fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
            lifetime.ident = syn::Ident::new("_", lifetime.ident.span());
        }
    }
    let mut ty = ty.clone();
    syn::visit_mut::VisitMut::visit_type_mut(&mut Elide, &mut ty);
    ty
}
