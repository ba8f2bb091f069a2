//! Checks the phase methods of the syntax IR into the checked model ([`Phases`]): which phases
//! exist, sync or async, what each takes and returns. Every mistake is reported, in the order
//! of the block.

use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{ReceiverKind, Type};

use super::Kind;
use super::ir::{
    Block, Exec, Fallback, Input, Member, Method, Output, Phase, Phases, Post, Prep, RefArg,
};
use crate::diag::Errors;

fn phase_names(kind: Kind) -> &'static str {
    match kind {
        Kind::Node | Kind::BatchNode => "`prep`, `exec`, `exec_fallback` and `post`",
        Kind::BatchFlow => "`prep` and `post`",
    }
}

pub(crate) fn check(kind: Kind, block: &Block, errors: &mut Errors) -> Phases {
    let mut phases = Phases::default();
    if let Some((path, _)) = &block.item.trait_ {
        errors.at(
            path,
            format!(
                "{} goes on an inherent impl block (`impl MyNode {{ .. }}`), not on a trait impl",
                kind.attribute()
            ),
        );
    }
    for member in &block.members {
        let function = match member {
            Member::Method(method) => method,
            Member::Other(tokens) => {
                errors.at(
                    tokens,
                format!(
                    "a {} block holds only the phase methods {}; put other items in a separate `impl` block",
                    kind.attribute(),
                        phase_names(kind)
                    ),
                );
                continue;
            }
        };
        let name = function.ident.to_string();
        let duplicate = match name.as_str() {
            "prep" => phases.prep.is_some(),
            "exec" => phases.exec.is_some(),
            "exec_fallback" => phases.fallback.is_some(),
            "post" => phases.post.is_some(),
            _ => false,
        };
        if duplicate {
            errors.at(&function.ident, format!("`{name}` is defined twice"));
            continue;
        }
        match name.as_str() {
            "exec" | "exec_fallback" if kind == Kind::BatchFlow => errors.at(
                &function.ident,
                format!("a batch flow has no `{name}`: it runs its sub-flow once per item of `prep`; give the work to the sub-flow's nodes"),
            ),
            "prep" => phases.prep = prep(function, errors),
            "exec" => phases.exec = exec(function, errors),
            "exec_fallback" => phases.fallback = fallback(function, errors),
            "post" => phases.post = post(kind, function, errors),
            _ => errors.at(
                &function.ident,
                format!(
                    "`{name}` is not a phase; the phases are {} (put other methods in a separate `impl` block)",
                    phase_names(kind)
                ),
            ),
        }
    }
    if kind != Kind::Node && phases.prep.is_none() {
        errors.at_span(
            block.item.self_ty.span(),
            format!(
                "a {} needs a `prep` that returns its items, like `fn prep(&self, shared: &S) -> Vec<Item>`",
                kind.attribute()
            ),
        );
    }
    phases
}

/// Checks what every phase shares: `&self`, no generics, not `const`/`unsafe`/`extern`.
/// Returns the phase, or `None` when the signature is unusable.
fn common(method: &Method, errors: &mut Errors) -> Option<Phase> {
    let name = &method.ident;
    let mut usable = true;
    if let Some(generics) = &method.generics {
        errors.at(
            generics,
            format!("`{name}` cannot be generic; put type parameters on the `impl` block"),
        );
        usable = false;
    }
    if let Some(constness) = &method.constness {
        errors.at(
            constness,
            format!("`{name}` cannot be `const`; write `fn {name}` or `async fn {name}`"),
        );
    }
    if let Some(token) = &method.unsafety {
        errors.at(token, format!("`{name}` cannot be `unsafe`"));
    }
    if let Some(abi) = &method.abi {
        errors.at(abi, format!("`{name}` cannot have an ABI"));
    }
    if let Some(variadic) = &method.variadic {
        errors.at(variadic, format!("`{name}` cannot be variadic"));
    }
    match &method.receiver {
        Some(receiver) => match &receiver.kind {
            ReceiverKind::Reference(_, _, None) => {}
            ReceiverKind::Reference(_, _, Some(_)) => {
                errors.at(
                    receiver,
                    format!("`{name}` takes `&mut self`, but a node runs through `&self` (it may run many times, even at once); write `&self` and keep mutable state in the shared store"),
                );
            }
            _ => errors.at(
                receiver,
                format!(
                    "`{name}` takes `self` by value, but a node runs through `&self`; write `&self`"
                ),
            ),
        },
        None => {
            errors.at(
                name,
                format!(
                    "`{name}` needs `&self` as its first argument, like `fn {name}(&self, ..)`"
                ),
            );
            usable = false;
        }
    }
    if let Output::Plain(Type::ImplTrait(impl_trait)) = &method.output {
        errors.at(
            impl_trait,
            format!("`{name}` returns `impl Trait`; to return a future, write `async fn {name}` with the value type"),
        );
        usable = false;
    }
    let phase = Phase {
        ident: name.clone(),
        is_async: method.is_async,
        output: method.output.clone(),
    };
    usable.then_some(phase)
}

/// A `&S` / `&mut S` argument; `what` names it in the error.
fn ref_arg(arg: &syn::PatType, what: &str, errors: &mut Errors) -> Option<RefArg> {
    match &*arg.ty {
        Type::Reference(reference) => {
            if let Some(lifetime) = &reference.lifetime {
                let elem = &reference.elem;
                errors.at(
                    lifetime,
                    format!(
                        "{what} takes no lifetime; write `&{}`",
                        quote::quote!(#elem)
                    ),
                );
            }
            Some(RefArg {
                elem: (*reference.elem).clone(),
                mutable: reference.mutability.is_some(),
            })
        }
        other => {
            errors.at(
                other,
                format!(
                    "{what} must be a reference: write `&{}`",
                    other.to_token_stream()
                ),
            );
            None
        }
    }
}

fn input(arg: &syn::PatType) -> Input {
    match &*arg.ty {
        Type::Reference(reference) if reference.mutability.is_none() => Input {
            ty: (*reference.elem).clone(),
            by_ref: true,
        },
        other => Input {
            ty: other.clone(),
            by_ref: false,
        },
    }
}

fn prep(function: &Method, errors: &mut Errors) -> Option<Prep> {
    let phase = common(function, errors)?;
    let args = &function.args;
    if args.len() > 2 {
        errors.at(
            &args[2],
            "`prep` takes at most the shared store and the params: `fn prep(&self, shared: &S, params: &P)`",
        );
        return None;
    }
    let shared = match args.first() {
        Some(arg) => Some(ref_arg(arg, "the shared store argument of `prep`", errors)?),
        None => None,
    };
    let params = match args.get(1) {
        Some(arg) => Some(params_arg(arg, errors)?),
        None => None,
    };
    Some(Prep {
        phase,
        shared,
        params,
    })
}

fn params_arg(arg: &syn::PatType, errors: &mut Errors) -> Option<RefArg> {
    let params = ref_arg(arg, "the params argument", errors)?;
    if params.mutable {
        errors.at(
            arg,
            "params are shared by every node of a flow and cannot be changed; write `params: &P`",
        );
        return None;
    }
    Some(params)
}

fn exec(function: &Method, errors: &mut Errors) -> Option<Exec> {
    let phase = common(function, errors)?;
    let mut args: &[syn::PatType] = &function.args;
    // A last `&Emitter<T>` is how `exec` emits to a streamed run.
    let emits = match args.last().map(|arg| emitter_type(&arg.ty)) {
        Some(Some(Ok(emits))) => {
            args = &args[..args.len() - 1];
            Some(emits)
        }
        Some(Some(Err(message))) => {
            errors.at(args.last()?, message);
            return None;
        }
        _ => None,
    };
    if args.len() > 1 {
        errors.at(
            &args[1],
            "`exec` takes only the prep value (and, to stream, `&Emitter<T>` last) and never sees the shared store; read what it needs in `prep` and return it from there",
        );
        return None;
    }
    if let Some(arg) = args.first()
        && let Type::Reference(reference) = &*arg.ty
        && reference.mutability.is_some()
    {
        errors.at(
            arg,
            "`exec` cannot take `&mut`: it is retried on the same prep value, and never sees the shared store; take `&T` or `T`",
        );
        return None;
    }
    Some(Exec {
        phase,
        input: args.first().map(input),
        emits,
    })
}

/// `T` when `ty` is `&Emitter<T>` (by its last path segment); an error when it is an
/// `Emitter` taken otherwise; `None` when it is no `Emitter`.
fn emitter_type(ty: &Type) -> Option<Result<Type, &'static str>> {
    let (by_ref, mutable, inner) = match ty {
        Type::Reference(reference) => (true, reference.mutability.is_some(), &*reference.elem),
        other => (false, false, other),
    };
    let Type::Path(path) = inner else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "Emitter" {
        return None;
    }
    let emitted = match &segment.arguments {
        syn::PathArguments::AngleBracketed(generic) if generic.args.len() == 1 => {
            match generic.args.first() {
                Some(syn::GenericArgument::Type(emitted)) => Some(emitted.clone()),
                _ => None,
            }
        }
        _ => None,
    };
    Some(match (by_ref && !mutable, emitted) {
        (true, Some(emitted)) => Ok(emitted),
        (_, None) => Err(
            "`exec` emits through `&Emitter<T>`, with the type it emits: write `tokens: &Emitter<String>`",
        ),
        (false, Some(_)) => Err(
            "`exec` takes its emitter by shared reference: write `&Emitter<T>` (emitting needs no `&mut`, and the emitter is not yours to keep)",
        ),
    })
}

fn fallback(function: &Method, errors: &mut Errors) -> Option<Fallback> {
    let phase = common(function, errors)?;
    let args = &function.args;
    if args.len() != 2 {
        errors.at(
            &function.inputs,
            "`exec_fallback` takes the prep value and the error: `fn exec_fallback(&self, prep: &T, error: pocketflow::Error)`",
        );
        return None;
    }
    Some(Fallback {
        phase,
        input: input(&args[0]),
    })
}

fn post(kind: Kind, function: &Method, errors: &mut Errors) -> Option<Post> {
    let phase = common(function, errors)?;
    let args = &function.args;
    // A node's post gets the prep and exec values; a batch flow's only its items.
    let values = if kind == Kind::BatchFlow { 1 } else { 2 };
    if args.len() > values + 2 {
        let signature = if kind == Kind::BatchFlow {
            "the shared store, the items and the params: `fn post(&self, shared: &mut S, items: Vec<Item>, params: &P)`"
        } else {
            "the shared store, the prep value, the exec value and the params: `fn post(&self, shared: &mut S, prep: T, exec: E, params: &P)`"
        };
        errors.at(
            &args[values + 2],
            format!("`post` takes at most {signature}"),
        );
        return None;
    }
    let shared = match args.first() {
        Some(arg) => Some(ref_arg(arg, "the shared store argument of `post`", errors)?),
        None => None,
    };
    // The store and one more: the params (a reference), or one of the two values, which would
    // silently be the prep value where the exec value was meant.
    if values == 2 && args.len() == 2 {
        let arg = &args[1];
        if matches!(*arg.ty, syn::Type::Reference(_)) {
            return Some(Post {
                phase,
                shared,
                values: Vec::new(),
                value_types: Vec::new(),
                params: Some(params_arg(arg, errors)?),
            });
        }
        let name = match &*arg.pat {
            syn::Pat::Ident(name) => name.ident.to_string(),
            _ => "value".to_owned(),
        };
        let ty = quote::ToTokens::to_token_stream(&*arg.ty)
            .to_string()
            .replace(' ', "");
        let message = match kind {
            Kind::BatchNode => format!(
                "`post` takes the items and the results together, or neither; this one argument would be the items, not the results: to take the results, write `_items: Vec<I>, {name}: {ty}` with `Vec<I>` what `prep` returns, or remove it"
            ),
            _ => format!(
                "`post` takes the prep value and the exec value together, or neither; this one argument would be the prep value, not the exec value: to take the exec value, write `_prep: T, {name}: {ty}` with `T` what `prep` returns, or remove it"
            ),
        };
        errors.at(arg, message);
        return None;
    }
    let params = match args.get(values + 1) {
        Some(arg) => Some(params_arg(arg, errors)?),
        None => None,
    };
    Some(Post {
        phase,
        shared,
        values: args
            .iter()
            .skip(1)
            .take(values)
            .map(|arg| arg.ty.span())
            .collect(),
        value_types: args
            .iter()
            .skip(1)
            .take(values)
            .map(|arg| (*arg.ty).clone())
            .collect(),
        params,
    })
}
