//! Writes the trait impls that adapt a node's phase methods to the runtime.
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
//!     type Exec = <Result<String, MyError> as Fallible>::Ok;
//!     fn phase_prep(&self, __shared: &mut Doc, __params: &__P) -> impl Future<..> {
//!         async move { Ok(Self::prep(self, &*__shared)) }
//!     }
//!     fn phase_exec(..)  { async move { Fallible::into_phase_result(Self::exec(self, __input).await) } }
//!     fn phase_post(..)  { async move { Ok(Self::post(self, __shared, __prep, __exec)).map(IntoAction::into_action) } }
//! }
//! impl<__P: Sync> Node<Doc, __P> for Summarize {
//!     fn run_node(..) { drive_node(self, &<Self as Configure>::POLICY, None, store, params) }
//!     fn run_configured(.., policy, progress, ..) { drive_node(self, policy, progress, store, params) }
//! }
//! ```
//! (every path goes through `::pocketflow::__private`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemImpl, Type};

use super::args::{Kind, NodeArgs};
use super::phases::{Input, Output, Phase, Phases, Post, RefArg};

pub(crate) fn expand(kind: Kind, args: &NodeArgs, item: &ItemImpl, phases: &Phases) -> TokenStream {
    let pf = quote!(::pocketflow::__private);
    let self_ty = &item.self_ty;
    let name = type_name(self_ty);
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();

    let mut run_generics = item.generics.clone();
    let shared_ty = run_type(
        phases
            .prep
            .as_ref()
            .and_then(|p| p.shared.as_ref())
            .or(phases.post.as_ref().and_then(|p| p.shared.as_ref())),
        "__S",
        quote!(#pf::Send),
        &mut run_generics,
    );
    let params_ty = run_type(
        phases
            .prep
            .as_ref()
            .and_then(|p| p.params.as_ref())
            .or(phases.post.as_ref().and_then(|p| p.params.as_ref())),
        "__P",
        quote!(#pf::Sync),
        &mut run_generics,
    );
    let (run_impl_generics, _, run_where_clause) = run_generics.split_for_impl();

    let post_value = phases
        .post
        .as_ref()
        .map_or(quote!(()), |post| value_type(&post.phase.output));
    let max_retries = args.max_retries;
    let wait_nanos = args.wait_nanos;
    let backoff_per_mille = args.backoff_per_mille.unwrap_or(1000);
    let some_duration = |nanos: Option<u64>| match nanos {
        Some(nanos) => quote!(#pf::Option::Some(#pf::Duration::from_nanos(#nanos))),
        None => quote!(#pf::Option::None),
    };
    let max_wait = some_duration(args.max_wait_nanos);
    let timeout = some_duration(args.timeout.map(|(nanos, _)| nanos));
    // Parallel work needs futures to interleave, so a parallel batch uses the async traits.
    let flavor = Flavor {
        sync: phases.all_sync() && args.parallel.is_none(),
    };
    let phases_impl = match kind {
        Kind::Node => exec_phases(flavor, None, phases, &shared_ty, &params_ty),
        Kind::BatchNode => exec_phases(flavor, Some(limit(args)), phases, &shared_ty, &params_ty),
        Kind::BatchFlow => batch_flow_phases(args, phases, &shared_ty, &params_ty),
    };
    let action_ty = match &phases.post {
        Some(post) => {
            quote_spanned!(post_span(post)=> <#post_value as ::pocketflow::__private::IntoAction>::Action)
        }
        None => quote!(#pf::Action),
    };
    let label = quote! {
        // The framework fixes these signatures: phases take `&self`, name the shared and params
        // types as `&S` and `&P` (so `&String` or `&u8` there is no mistake), and `post` gets
        // the prep and exec values by value.
        #[allow(
            clippy::ptr_arg,
            clippy::unused_self,
            clippy::trivially_copy_pass_by_ref,
            clippy::needless_pass_by_value
        )]
        #item

        impl #impl_generics #pf::NodeInfo for #self_ty #where_clause {
            type Action = #action_ty;
            const NAME: &'static str = #name;
        }
    };
    let (phases_trait, driver) = match (kind, flavor.sync) {
        (Kind::Node, false) => (quote!(NodePhases), quote!(drive_node)),
        (Kind::Node, true) => (quote!(SyncNodePhases), quote!(drive_sync_node)),
        (Kind::BatchNode, false) => (quote!(BatchPhases), quote!(drive_batch)),
        (Kind::BatchNode, true) => (quote!(SyncBatchPhases), quote!(drive_sync_batch)),
        (Kind::BatchFlow, _) => {
            return quote! {
                #label

                impl #run_impl_generics #pf::BatchFlowPhases<#shared_ty, #params_ty> for #self_ty #run_where_clause {
                    #phases_impl
                }

                impl #impl_generics #self_ty #where_clause {
                    /// Runs `sub_flow` once per item of this batch flow's `prep`, with the item as
                    /// the sub-flow's params; the result is a node.
                    pub fn over<__F>(self, sub_flow: __F) -> ::pocketflow::BatchFlow<Self, __F> {
                        ::pocketflow::BatchFlow::new(self, sub_flow)
                    }
                }
            };
        }
    };
    let batch_marker = (kind == Kind::BatchNode)
        .then(|| quote!(impl #impl_generics #pf::BatchNode for #self_ty #where_clause {}));

    quote! {
        #label

        #batch_marker

        impl #impl_generics #pf::Configure for #self_ty #where_clause {
            const POLICY: #pf::RetryPolicy =
                #pf::RetryPolicy::new(#max_retries, #pf::Duration::from_nanos(#wait_nanos))
                    .with_backoff_per_mille(#backoff_per_mille, #max_wait)
                    .with_timeout(#timeout);
        }

        impl #run_impl_generics #pf::#phases_trait<#shared_ty, #params_ty> for #self_ty #run_where_clause {
            #phases_impl
        }

        impl #run_impl_generics #pf::Node<#shared_ty, #params_ty> for #self_ty #run_where_clause {
            fn run_node<'__a>(
                &'__a self,
                __store: #pf::Store<'__a, #shared_ty>,
                __params: &'__a #params_ty,
            ) -> impl #pf::Future<Output = #pf::Result<Self::Action>> + #pf::Send + '__a {
                #pf::#driver(
                    self,
                    &<Self as #pf::Configure>::POLICY,
                    #pf::Option::None,
                    __store,
                    __params,
                )
            }

            fn run_configured<'__a>(
                &'__a self,
                __policy: &'__a #pf::RetryPolicy,
                __progress: #pf::Option<&'__a #pf::Progress>,
                __store: #pf::Store<'__a, #shared_ty>,
                __params: &'__a #params_ty,
            ) -> impl #pf::Future<Output = #pf::Result<Self::Action>> + #pf::Send + '__a {
                #pf::#driver(self, __policy, __progress, __store, __params)
            }
        }
    }
}

/// The shared or params type the node runs on: the one its phases name, or a new type
/// parameter (with `bound`) when none does.
fn run_type(
    named: Option<&RefArg>,
    param: &str,
    bound: TokenStream,
    generics: &mut syn::Generics,
) -> TokenStream {
    if let Some(arg) = named {
        let elem = &arg.elem;
        return quote!(#elem);
    }
    let ident = format_ident!("{}", param);
    generics.params.push(syn::parse_quote!(#ident: #bound));
    quote!(#ident)
}

/// Whether the phases are adapted to the synchronous traits (every phase is a plain `fn`, so
/// the runtime calls them directly) or to the async ones.
#[derive(Clone, Copy)]
struct Flavor {
    sync: bool,
}

impl Flavor {
    /// The return type of a phase method whose value is `value`.
    fn returns(self, value: TokenStream) -> TokenStream {
        let pf = quote!(::pocketflow::__private);
        if self.sync {
            quote!(#pf::Result<#value, #pf::BoxError>)
        } else {
            quote!(impl #pf::Future<Output = #pf::Result<#value, #pf::BoxError>> + #pf::Send)
        }
    }

    /// The body of a phase method computing `result`.
    fn body(self, result: TokenStream) -> TokenStream {
        if self.sync {
            result
        } else {
            quote!(async move { #result })
        }
    }

    /// `exec_fallback`: the user's fallback, or (from the trait's default) the error handed back.
    fn fallback(
        self,
        input_name: TokenStream,
        input_ty: TokenStream,
        value: TokenStream,
        result: TokenStream,
    ) -> TokenStream {
        let pf = quote!(::pocketflow::__private);
        let returns = self.returns(value);
        let body = self.body(result);
        quote! {
            fn phase_exec_fallback(
                &self,
                #input_name: &#input_ty,
                __error: #pf::Error,
            ) -> #pf::Result<#returns, #pf::Error> {
                #pf::Ok(#body)
            }
        }
    }
}

/// How many items a batch runs at once: 1 unless `parallel`, then `limit` or no bound.
fn limit(args: &NodeArgs) -> TokenStream {
    match (args.parallel, args.limit) {
        (None, _) => quote!(1),
        (Some(_), Some(limit)) => quote!(#limit),
        (Some(_), None) => quote!(usize::MAX),
    }
}

/// The phases impl of a node (`batch_limit: None`, exec runs on the prep value) or of a batch
/// node (`Some(limit)`, exec runs on each item of it, `limit` at a time); the two differ only in
/// their types.
fn exec_phases(
    flavor: Flavor,
    batch_limit: Option<TokenStream>,
    phases: &Phases,
    shared_ty: &TokenStream,
    params_ty: &TokenStream,
) -> TokenStream {
    let pf = quote!(::pocketflow::__private);
    let prep_value = phases
        .prep
        .as_ref()
        .map_or(quote!(()), |prep| value_type(&prep.phase.output));
    let exec_value = phases
        .exec
        .as_ref()
        .map_or(quote!(()), |exec| value_type(&exec.phase.output));
    let batch = batch_limit.is_some();
    let (types, input_ty, output_ty, prepared, executed) = if let Some(limit) = batch_limit {
        let items_span = phases
            .prep
            .as_ref()
            .map_or_else(proc_macro2::Span::call_site, |p| p.phase.ident.span());
        let item_ty = quote_spanned!(items_span=> <#prep_value as #pf::IntoIterator>::Item);
        // The sync batch trait has no limit: a sync exec cannot interleave.
        let limit = (!flavor.sync).then(|| quote!(const LIMIT: usize = #limit;));
        (
            quote!(type Item = #item_ty; type Output = #exec_value; #limit),
            quote!(Self::Item),
            quote!(Self::Output),
            quote!(#pf::Vec<Self::Item>),
            quote!(#pf::Vec<Self::Output>),
        )
    } else {
        (
            quote!(type Prep = #prep_value; type Exec = #exec_value;),
            quote!(Self::Prep),
            quote!(Self::Exec),
            quote!(Self::Prep),
            quote!(Self::Exec),
        )
    };
    let prep_body = flavor.body(prep_body(phases, batch.then(|| quote!(#pf::collect_items))));
    let exec_body = flavor.body(match &phases.exec {
        Some(exec) => {
            let input = exec.input.as_ref().map(|input| input_arg(input, "__input"));
            result_of(&exec.phase, quote!(#input))
        }
        None => quote!(#pf::Ok(())),
    });
    let fallback = phases.fallback.as_ref().map(|fallback| {
        let input = input_arg(&fallback.input, "__input");
        let result = result_of(&fallback.phase, quote!(#input, __error));
        flavor.fallback(quote!(__input), input_ty.clone(), output_ty.clone(), result)
    });
    let post_body = flavor.body(post_body(phases));
    let returns_prep = flavor.returns(prepared.clone());
    let returns_exec = flavor.returns(output_ty);
    let returns_action = flavor.returns(quote!(Self::Action));
    quote! {
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

fn batch_flow_phases(
    args: &NodeArgs,
    phases: &Phases,
    shared_ty: &TokenStream,
    params_ty: &TokenStream,
) -> TokenStream {
    let pf = quote!(::pocketflow::__private);
    let flavor = Flavor { sync: false };
    let items = phases
        .prep
        .as_ref()
        .map_or(quote!(()), |prep| value_type(&prep.phase.output));
    let prep_body = flavor.body(prep_body(phases, Some(quote!(#pf::collect_items))));
    let post_body = flavor.body(post_body(phases));
    let items_span = phases
        .prep
        .as_ref()
        .map_or_else(proc_macro2::Span::call_site, |p| p.phase.ident.span());
    let item_ty = quote_spanned!(items_span=> <#items as #pf::IntoIterator>::Item);
    let returns_items = flavor.returns(quote!(#pf::Vec<Self::Item>));
    let returns_action = flavor.returns(quote!(Self::Action));
    let limit = limit(args);
    quote! {
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
    }
}

/// The body of `phase_prep`: the user's `prep`, its value passed through `finish` if given.
fn prep_body(phases: &Phases, finish: Option<TokenStream>) -> TokenStream {
    let pf = quote!(::pocketflow::__private);
    let Some(prep) = &phases.prep else {
        return quote!(#pf::Ok(()));
    };
    let shared = prep.shared.as_ref().map(shared_arg);
    let params = prep.params.as_ref().map(|_| quote!(__params));
    let result = result_of(&prep.phase, quote!(#shared, #params));
    match finish {
        Some(finish) => quote!(#result.map(#finish)),
        None => result,
    }
}

/// The body of `phase_post`: the user's `post`, its value turned into the node's action.
fn post_body(phases: &Phases) -> TokenStream {
    let pf = quote!(::pocketflow::__private);
    let Some(post) = &phases.post else {
        return quote!(#pf::Ok(#pf::IntoAction::into_action(())));
    };
    let shared = post.shared.as_ref().map(shared_arg);
    let values = ["__prep", "__exec"]
        .iter()
        .zip(&post.values)
        .map(|(name, &span)| proc_macro2::Ident::new(name, span));
    let params = post.params.as_ref().map(|_| quote!(__params));
    let result = result_of(&post.phase, quote!(#shared, #(#values,)* #params));
    let into_action = quote_spanned!(post_span(post)=> #pf::IntoAction::into_action);
    quote!(#result.map(#into_action))
}

/// Where `post` says what it returns: its return type, or its name when it returns `()`.
fn post_span(post: &Post) -> proc_macro2::Span {
    match &post.phase.output {
        Output::Plain(ty) | Output::Fallible(ty) => ty.span(),
        Output::Unit => post.phase.ident.span(),
    }
}

/// `Self::phase(self, args)`, awaited when async, as a `Result<_, BoxError>`.
fn result_of(phase: &Phase, args: TokenStream) -> TokenStream {
    let pf = quote!(::pocketflow::__private);
    let ident = &phase.ident;
    let call = if phase.is_async {
        quote_spanned!(ident.span()=> Self::#ident(self, #args).await)
    } else {
        quote_spanned!(ident.span()=> Self::#ident(self, #args))
    };
    match &phase.output {
        Output::Unit | Output::Plain(_) => quote!(#pf::Result::<_, #pf::BoxError>::Ok(#call)),
        Output::Fallible(ty) => quote_spanned! {ty.span()=>
            ::pocketflow::__private::Fallible::into_phase_result(#call)
        },
    }
}

/// The value type of a phase: `T` for `-> T` and `-> Result<T, E>`.
///
/// For `Result<T, ..>` the value type is read off the tokens: then a bad error type is one
/// error, where the conversion is, rather than one in every place the value type appears. An
/// alias without arguments (`fmt::Result`) is asked through `Fallible`.
fn value_type(output: &Output) -> TokenStream {
    let pf = quote!(::pocketflow::__private);
    match output {
        Output::Unit => quote!(()),
        Output::Plain(ty) => quote!(#ty),
        Output::Fallible(ty) => match first_type_argument(ty) {
            Some(value) => quote!(#value),
            None => quote_spanned!(ty.span()=> <#ty as #pf::Fallible>::Ok),
        },
    }
}

/// `T` of `Result<T, E>`, `io::Result<T>` or `AppResult<T>`.
fn first_type_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let syn::PathArguments::AngleBracketed(arguments) = &path.path.segments.last()?.arguments
    else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        syn::GenericArgument::Type(value) => Some(value),
        _ => None,
    })
}

/// The store as the user's phase takes it: `&S` or `&mut S`.
fn shared_arg(arg: &RefArg) -> TokenStream {
    let span = arg.elem.span();
    let shared = proc_macro2::Ident::new("__shared", span);
    if arg.mutable {
        quote_spanned!(span=> #shared)
    } else {
        quote_spanned!(span=> &*#shared)
    }
}

/// The prep value or item as `exec` takes it: by reference, or cloned for each attempt.
///
/// Every token carries the span of the user's argument type (an interpolated token would keep
/// its own), so that a type mismatch is reported there.
fn input_arg(input: &Input, value: &str) -> TokenStream {
    let span = input.ty.span();
    let value = proc_macro2::Ident::new(value, span);
    if input.by_ref {
        quote_spanned!(span=> #value)
    } else {
        quote_spanned!(span=> ::pocketflow::__private::Clone::clone(#value))
    }
}

/// The node's name in errors and traces: its type's last path segment.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path.path.segments.last().map_or_else(
            || quote!(#ty).to_string(),
            |segment| segment.ident.to_string(),
        ),
        Type::Group(group) => type_name(&group.elem),
        _ => quote!(#ty).to_string(),
    }
}
