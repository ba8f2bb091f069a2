//! The pieces of the expansion `#[node]`, `#[batch_node]` and `#[batch_flow]` share: the user's
//! block re-emitted, the label impl, the types the impls run on, and the calls of the user's
//! phases from the runtime's phase methods.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{ItemImpl, Type};

use super::ir::{Input, NodeArgs, Output, Phase, Phases, Post, RefArg};
use crate::private::{private, private_at};

/// What every impl of one block names: the node's type, its generics, and the shared and params
/// types it runs on.
pub(crate) struct Target<'a> {
    pub(crate) item: &'a ItemImpl,
    /// The block's generics, plus `__S` / `__P` for a shared or params type no phase names.
    pub(crate) run_generics: syn::Generics,
    pub(crate) shared_ty: TokenStream,
    pub(crate) params_ty: TokenStream,
}

impl<'a> Target<'a> {
    pub(crate) fn new(item: &'a ItemImpl, phases: &Phases) -> Target<'a> {
        let pf = private();
        let mut run_generics = item.generics.clone();
        let shared = phases
            .shared()
            .map(|arg| named_lifetimes(&arg.elem, &mut run_generics));
        let shared_ty = match shared {
            Some(ty) => ty.to_token_stream(),
            None => run_type(None, "__S", quote!(#pf::Send), &mut run_generics),
        };
        let params_ty = run_type(phases.params(), "__P", quote!(#pf::Sync), &mut run_generics);
        Target {
            item,
            run_generics,
            shared_ty,
            params_ty,
        }
    }

    /// `impl<..> ::pocketflow::__private::#run_trait<S, P> for Type where ..`: the header of every
    /// impl of a trait generic over the shared and params types.
    pub(crate) fn run_impl(&self, run_trait: TokenStream) -> TokenStream {
        let pf = private();
        let (impl_generics, _, where_clause) = self.run_generics.split_for_impl();
        let (self_ty, shared_ty, params_ty) =
            (&self.item.self_ty, &self.shared_ty, &self.params_ty);
        quote!(impl #impl_generics #pf::#run_trait<#shared_ty, #params_ty> for #self_ty #where_clause)
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
        return arg.elem.to_token_stream();
    }
    let ident = format_ident!("{}", param);
    generics.params.push(syn::parse_quote!(#ident: #bound));
    quote!(#ident)
}

/// `ty` with each elided lifetime (`Doc<'_>`, `&str`) named `'__s`, a lifetime parameter added
/// to `generics` when there is one: the shared type is written in the bound of `run_in`'s
/// context (`C: RunContext<Doc<'__s>>`), where rustc takes no elided lifetime. Lifetimes inside
/// `fn(&str)` and `Fn(&str)` stay as written: elided there, they are the function's own.
fn named_lifetimes(ty: &Type, generics: &mut syn::Generics) -> Type {
    struct NameElided {
        name: syn::Lifetime,
        named: bool,
    }

    impl VisitMut for NameElided {
        fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
            if lifetime.ident == "_" {
                *lifetime = self.name.clone();
                self.named = true;
            }
        }

        fn visit_type_reference_mut(&mut self, reference: &mut syn::TypeReference) {
            if reference.lifetime.is_none() {
                reference.lifetime = Some(self.name.clone());
                self.named = true;
            }
            visit_mut::visit_type_reference_mut(self, reference);
        }

        fn visit_type_fn_ptr_mut(&mut self, _: &mut syn::TypeFnPtr) {}

        fn visit_parenthesized_generic_arguments_mut(
            &mut self,
            _: &mut syn::ParenthesizedGenericArguments,
        ) {
        }
    }

    let mut ty = ty.clone();
    let mut visitor = NameElided {
        name: syn::Lifetime::new("'__s", Span::call_site()),
        named: false,
    };
    visitor.visit_type_mut(&mut ty);
    if visitor.named {
        generics.params.insert(0, syn::parse_quote!('__s));
    }
    ty
}

/// The user's impl block, unchanged but for the lints its fixed signatures would trip.
pub(crate) fn user_block(item: &ItemImpl) -> TokenStream {
    quote! {
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
    }
}

/// `impl NodeInfo`: the node's name and the type of the actions `post` returns (`action`, as
/// made by [`action_type`]).
pub(crate) fn label_impl(item: &ItemImpl, action: &TokenStream) -> TokenStream {
    let pf = private();
    let self_ty = &item.self_ty;
    let name = type_name(self_ty);
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    quote! {
        impl #impl_generics #pf::NodeInfo for #self_ty #where_clause {
            type Action = #action;
            const NAME: &'static str = #name;
        }
    }
}

/// The action type of a node whose `post` returns `output` (`None`: no `post`, the default
/// action), at `span`, where an unsupported return type is reported.
pub(crate) fn action_type(output: Option<(&Output, Span)>) -> TokenStream {
    match output {
        Some((output, span)) => {
            let pf = private_at(span);
            let value = value_type(output);
            quote_spanned!(span=> <#value as #pf::IntoAction>::Action)
        }
        None => {
            let pf = private();
            quote!(#pf::Action)
        }
    }
}

/// The action type of checked phases.
pub(crate) fn phases_action_type(phases: &Phases) -> TokenStream {
    action_type(
        phases
            .post
            .as_ref()
            .map(|post| (&post.phase.output, post_span(post))),
    )
}

/// How many items (of a batch node) or sub-flow runs (of a batch flow) run at once: 1 unless
/// `parallel`, then `limit` or no bound.
pub(crate) fn limit(args: &NodeArgs) -> TokenStream {
    match (args.parallel, args.limit) {
        (None, _) => quote!(1),
        (Some(_), Some(limit)) => quote!(#limit),
        (Some(_), None) => quote!(usize::MAX),
    }
}

/// Whether the phases are adapted to the synchronous traits (every phase is a plain `fn`, so
/// the runtime calls them directly) or to the async ones.
#[derive(Clone, Copy)]
pub(crate) struct Flavor {
    pub(crate) sync: bool,
}

impl Flavor {
    /// The return type of a phase method whose value is `value`.
    pub(crate) fn returns(self, value: TokenStream) -> TokenStream {
        let pf = private();
        if self.sync {
            quote!(#pf::Result<#value, #pf::BoxError>)
        } else {
            quote!(impl #pf::Future<Output = #pf::Result<#value, #pf::BoxError>> + #pf::Send)
        }
    }

    /// The body of a phase method computing `result`.
    pub(crate) fn body(self, result: TokenStream) -> TokenStream {
        if self.sync {
            result
        } else {
            quote!(async move { #result })
        }
    }
}

/// The body of `phase_prep`: the user's `prep`, its value passed through `finish` if given.
pub(crate) fn prep_body(phases: &Phases, finish: Option<TokenStream>) -> TokenStream {
    let Some(prep) = &phases.prep else {
        let pf = private();
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
pub(crate) fn post_body(phases: &Phases, declared: Option<&[syn::LitStr]>) -> TokenStream {
    let Some(post) = &phases.post else {
        let pf = private();
        return quote!(#pf::Ok(#pf::IntoAction::into_action(())));
    };
    // `actions = [..]`: a label outside them fails the step.
    let check = declared.map(|labels| {
        let pf = private();
        quote!(.and_then(|__action| #pf::declared_action(__action, &[#(#labels),*])))
    });
    let shared = post.shared.as_ref().map(shared_arg);
    let values = ["__prep", "__exec"]
        .iter()
        .zip(&post.values)
        .map(|(name, &span)| proc_macro2::Ident::new(name, span));
    let params = post.params.as_ref().map(|_| quote!(__params));
    let result = result_of(&post.phase, quote!(#shared, #(#values,)* #params));
    let span = post_span(post);
    let pf = private_at(span);
    let into_action = quote_spanned!(span=> #pf::IntoAction::into_action);
    quote!(#result.map(#into_action) #check)
}

/// Where `post` says what it returns: its return type, or its name when it returns `()`.
fn post_span(post: &Post) -> Span {
    output_span(&post.phase.output, &post.phase.ident)
}

/// Where a method says what it returns: its return type, or its name when it returns `()`.
pub(crate) fn output_span(output: &Output, ident: &syn::Ident) -> Span {
    match output {
        Output::Plain(ty) | Output::Fallible(ty) => ty.span(),
        Output::Unit => ident.span(),
    }
}

/// `Self::phase(self, args)`, awaited when async, as a `Result<_, BoxError>`.
pub(crate) fn result_of(phase: &Phase, args: TokenStream) -> TokenStream {
    let ident = &phase.ident;
    let call = if phase.is_async {
        quote_spanned!(ident.span()=> Self::#ident(self, #args).await)
    } else {
        quote_spanned!(ident.span()=> Self::#ident(self, #args))
    };
    match &phase.output {
        Output::Unit | Output::Plain(_) => {
            let pf = private();
            quote!(#pf::Result::<_, #pf::BoxError>::Ok(#call))
        }
        Output::Fallible(ty) => {
            let pf = private_at(ty.span());
            quote_spanned!(ty.span()=> #pf::Fallible::into_phase_result(#call))
        }
    }
}

/// The value type of a phase: `T` for `-> T` and `-> Result<T, E>`.
///
/// For `Result<T, ..>` the value type is read off the tokens: then a bad error type is one
/// error, where the conversion is, rather than one in every place the value type appears. An
/// alias without arguments (`fmt::Result`) is asked through `Fallible`.
pub(crate) fn value_type(output: &Output) -> TokenStream {
    match output {
        Output::Unit => quote!(()),
        Output::Plain(ty) => quote!(#ty),
        Output::Fallible(ty) => match first_type_argument(ty) {
            Some(value) => quote!(#value),
            None => {
                let pf = private_at(ty.span());
                quote_spanned!(ty.span()=> <#ty as #pf::Fallible>::Ok)
            }
        },
    }
}

/// The value type of an optional phase: `()` without it.
pub(crate) fn value_of(phase: Option<&Phase>) -> TokenStream {
    phase.map_or(quote!(()), |phase| value_type(&phase.output))
}

/// `<Items as IntoIterator>::Item`: the item type of what `prep` returns, at `prep`'s name.
pub(crate) fn item_type(phases: &Phases) -> TokenStream {
    let items = value_of(phases.prep.as_ref().map(|prep| &prep.phase));
    let span = phases
        .prep
        .as_ref()
        .map_or_else(Span::call_site, |prep| prep.phase.ident.span());
    let pf = private_at(span);
    quote_spanned!(span=> <#items as #pf::IntoIterator>::Item)
}

/// Whether a type is written with a reference or a lifetime (`Vec<&str>`). Values of it cannot
/// be journaled in a durable run (`DeserializeOwned`), and the autoref choice of a journaling
/// driver would take them anyway, since trait selection ignores lifetimes, then fail to
/// compile: so the macros read it off the tokens and leave such a batch one step.
pub(crate) fn borrows(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Punct(punct) => matches!(punct.as_char(), '&' | '\''),
        proc_macro2::TokenTree::Group(group) => borrows(group.stream()),
        _ => false,
    })
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
pub(crate) fn input_arg(input: &Input, value: &str) -> TokenStream {
    let span = input.ty.span();
    let value = proc_macro2::Ident::new(value, span);
    if input.by_ref {
        quote_spanned!(span=> #value)
    } else {
        let pf = private_at(span);
        quote_spanned!(span=> #pf::Clone::clone(#value))
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
