//! Reads the attribute's arguments and the impl block into the syntax IR. Nothing is checked
//! here beyond what the syntax needs: that the item is an impl block, and that the arguments
//! are `key` or `key = expression`, separated by commas.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, FnArg, ImplItem, ImplItemFn, ReturnType, Type};

use super::Kind;
use super::ir::{Block, Member, Method, Output};

/// The block, or the error to report with the user's item when it is not an impl block.
pub(crate) fn parse(kind: Kind, args: TokenStream, input: TokenStream) -> syn::Result<Block> {
    let item = match syn::parse2::<syn::Item>(input)? {
        syn::Item::Impl(item) => item,
        other => {
            return Err(syn::Error::new(
                syn::spanned::Spanned::span(&other),
                format!(
                    "{} goes on an `impl` block of the node's type, like `{} impl MyNode {{ fn exec(&self) {{ .. }} }}`",
                    kind.attribute(),
                    kind.attribute()
                ),
            ));
        }
    };
    let (args, args_error) = arguments(args);
    let members = item
        .items
        .iter()
        .map(|member| match member {
            ImplItem::Fn(function) => Member::Method(Box::new(method(function))),
            other => Member::Other(other.to_token_stream()),
        })
        .collect();
    Ok(Block {
        item,
        args,
        args_error,
        members,
    })
}

/// `key` or `key = value`, separated by commas: those read before any syntax error, and it.
fn arguments(tokens: TokenStream) -> (Vec<(syn::Ident, Option<Expr>)>, Option<syn::Error>) {
    let mut args = Vec::new();
    let parser = |input: ParseStream| {
        while !input.is_empty() {
            let key: syn::Ident = input.call(syn::ext::IdentExt::parse_any)?;
            let value = if input.peek(syn::Token![=]) {
                input.parse::<syn::Token![=]>()?;
                Some(input.parse::<Expr>()?)
            } else {
                None
            };
            args.push((key, value));
            if input.is_empty() {
                break;
            }
            input.parse::<syn::Token![,]>()?;
        }
        Ok(())
    };
    let error = parser.parse2(tokens).err();
    (args, error)
}

fn method(function: &ImplItemFn) -> Method {
    let sig = &function.sig;
    let has_generics = !sig.generics.params.is_empty() || sig.generics.where_clause.is_some();
    Method {
        ident: sig.ident.clone(),
        is_async: sig.asyncness.is_some(),
        generics: has_generics.then(|| sig.generics.clone()),
        constness: sig.constness,
        unsafety: match &sig.safety {
            syn::Safety::Unsafe(token) => Some(*token),
            _ => None,
        },
        abi: sig.abi.clone(),
        variadic: sig.variadic.clone(),
        receiver: sig.receiver().cloned(),
        args: sig
            .inputs
            .iter()
            .filter_map(|arg| match arg {
                FnArg::Typed(typed) => Some(typed.clone()),
                FnArg::Receiver(_) => None,
            })
            .collect(),
        inputs: sig.inputs.to_token_stream(),
        output: match &sig.output {
            ReturnType::Default => Output::Unit,
            ReturnType::Type(_, ty) if is_result(ty) => Output::Fallible((**ty).clone()),
            ReturnType::Type(_, ty) => Output::Plain((**ty).clone()),
        },
    }
}

/// A return type that reads as a `Result`: its last path segment is `Result` (`Result<T, E>`,
/// `std::io::Result<T>`, `anyhow::Result<T>`), or ends in `Result` and takes generic arguments
/// (`AppResult<T>`, the usual name of a crate's alias). A plain struct named `SearchResult` stays
/// a plain value. The macro sees only the tokens, so an alias named otherwise is a plain value:
/// write `Result<T, E>` for it.
fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().is_some_and(|segment| {
                segment.ident == "Result"
                    || (segment.ident.to_string().ends_with("Result")
                        && matches!(segment.arguments, syn::PathArguments::AngleBracketed(_)))
            })
        }
        Type::Group(group) => is_result(&group.elem),
        Type::Paren(paren) => is_result(&paren.elem),
        _ => false,
    }
}
