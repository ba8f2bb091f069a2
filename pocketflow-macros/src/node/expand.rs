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
//! `drive_sync_node` / `drive_sync_batch`. Every path goes through `::pocketflow::__private`.
//!
//! A batch node with `distributed = "name"` (always `parallel`, so async) also implements
//! `Distributed`, and its `Node` impl runs through `drive_distributed_batch`: see
//! [`distributed`](super::distributed).

use proc_macro2::TokenStream;
use quote::quote;

use super::distributed::{self, Checked};
use crate::impl_block::Kind;
use crate::impl_block::emit::{self, Flavor, Target};
use crate::impl_block::ir::{NodeArgs, Phases};
use crate::private::private;

/// The node's phases shape: which phases trait it implements and which driver runs it.
pub(super) struct Shape {
    /// Batch node (`exec` per item) or node.
    batch: bool,
    pub(super) flavor: Flavor,
    /// How many items an async batch runs at once.
    limit: TokenStream,
    /// `distributed = "name"`: run by `drive_distributed_batch`.
    distributed: bool,
}

impl Shape {
    fn of(kind: Kind, args: &NodeArgs, phases: &Phases) -> Shape {
        Shape {
            batch: kind == Kind::BatchNode,
            // Parallel work needs futures to interleave, so a parallel batch uses the async
            // traits.
            flavor: Flavor {
                sync: phases.all_sync() && args.parallel.is_none(),
            },
            limit: emit::limit(args),
            distributed: args.distributed.is_some(),
        }
    }

    fn phases_trait(&self) -> TokenStream {
        match (self.batch, self.flavor.sync) {
            (false, false) => quote!(NodePhases),
            (false, true) => quote!(SyncNodePhases),
            (true, false) => quote!(BatchPhases),
            (true, true) => quote!(SyncBatchPhases),
        }
    }

    fn driver(&self) -> TokenStream {
        if self.distributed {
            return quote!(drive_distributed_batch);
        }
        match (self.batch, self.flavor.sync) {
            (false, false) => quote!(drive_node),
            (false, true) => quote!(drive_sync_node),
            (true, false) => quote!(drive_batch),
            (true, true) => quote!(drive_sync_batch),
        }
    }
}

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
    let phases_impl = phases_impl(&target, &shape, phases);
    let node = match &args.distributed {
        Some((name, key)) => distributed::impls(&target, &shape, phases, name, *key),
        None => node_impl(&target, &shape, phases),
    };
    quote! {
        #user_block
        #label
        #batch_marker
        #policy
        #phases_impl
        #node
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
fn phases_impl(target: &Target, shape: &Shape, phases: &Phases) -> TokenStream {
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
    let post_body = flavor.body(emit::post_body(phases));
    let returns_prep = flavor.returns(prepared.clone());
    let returns_exec = flavor.returns(output_ty);
    let returns_action = flavor.returns(quote!(Self::Action));
    quote! {
        #header {
            #types

            fn phase_prep(&self, __shared: &mut #shared_ty, __params: &#params_ty) -> #returns_prep {
                #prep_body
            }

            fn phase_exec(&self, __input: &#input_ty) -> #returns_exec {
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
                #post_body
            }
        }
    }
}

/// The body of `phase_exec` (and, converted, of `remote_exec`): the user's `exec` on `__input`.
pub(super) fn exec_body(phases: &Phases, flavor: Flavor, checked: Option<&Checked>) -> TokenStream {
    let result = match &phases.exec {
        Some(exec) => {
            let input = exec
                .input
                .as_ref()
                .map(|input| emit::input_arg(input, "__input"));
            emit::result_of(&exec.phase, quote!(#input))
        }
        None => {
            let pf = private();
            quote!(#pf::Ok(()))
        }
    };
    match checked {
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
