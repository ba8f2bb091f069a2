//! Reads the phase methods of a `#[node]` / `#[batch_node]` impl block into a small IR: which
//! phases exist, sync or async, what each takes and returns. Every mistake is reported.

use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, ItemImpl, ReceiverKind, ReturnType, Type};

use super::args::Kind;
use crate::diag::Errors;

/// What a phase returns.
pub(crate) enum Output {
    /// No return type: `()`.
    Unit,
    /// A plain value.
    Plain(Type),
    /// `Result<T, E>`, or an alias of one (`io::Result<T>`, `anyhow::Result<T>`).
    Fallible(Type),
}

/// A `&S` / `&mut S` shared-store argument, or a `&P` params argument.
pub(crate) struct RefArg {
    /// `S` or `P`.
    pub(crate) elem: Type,
    pub(crate) mutable: bool,
}

/// The prep value (or batch item) as `exec` and `exec_fallback` take it.
pub(crate) struct Input {
    pub(crate) ty: Type,
    pub(crate) by_ref: bool,
}

pub(crate) struct Phase {
    pub(crate) ident: syn::Ident,
    pub(crate) is_async: bool,
    pub(crate) output: Output,
}

pub(crate) struct Prep {
    pub(crate) phase: Phase,
    pub(crate) shared: Option<RefArg>,
    pub(crate) params: Option<RefArg>,
}

pub(crate) struct Exec {
    pub(crate) phase: Phase,
    pub(crate) input: Option<Input>,
}

pub(crate) struct Fallback {
    pub(crate) phase: Phase,
    pub(crate) input: Input,
}

pub(crate) struct Post {
    pub(crate) phase: Phase,
    pub(crate) shared: Option<RefArg>,
    /// The spans of the argument types of the prep value and the exec value, of those it takes.
    pub(crate) values: Vec<proc_macro2::Span>,
    pub(crate) params: Option<RefArg>,
}

/// The phases of one impl block.
#[derive(Default)]
pub(crate) struct Phases {
    pub(crate) prep: Option<Prep>,
    pub(crate) exec: Option<Exec>,
    pub(crate) fallback: Option<Fallback>,
    pub(crate) post: Option<Post>,
}

impl Phases {
    /// Whether every phase the block defines is a plain `fn`.
    pub(crate) fn all_sync(&self) -> bool {
        [
            self.prep.as_ref().map(|p| &p.phase),
            self.exec.as_ref().map(|e| &e.phase),
            self.fallback.as_ref().map(|f| &f.phase),
            self.post.as_ref().map(|p| &p.phase),
        ]
        .into_iter()
        .flatten()
        .all(|phase| !phase.is_async)
    }
}

fn phase_names(kind: Kind) -> &'static str {
    match kind {
        Kind::Node | Kind::BatchNode => "`prep`, `exec`, `exec_fallback` and `post`",
        Kind::BatchFlow => "`prep` and `post`",
    }
}

pub(crate) fn read(kind: Kind, item: &ItemImpl, errors: &mut Errors) -> Phases {
    let mut phases = Phases::default();
    if let Some((path, _)) = &item.trait_ {
        errors.at(
            path,
            format!(
                "{} goes on an inherent impl block (`impl MyNode {{ .. }}`), not on a trait impl",
                kind.attribute()
            ),
        );
    }
    for impl_item in &item.items {
        let ImplItem::Fn(function) = impl_item else {
            errors.at(
                impl_item,
                format!(
                    "a {} block holds only the phase methods {}; put other items in a separate `impl` block",
                    kind.attribute(),
                    phase_names(kind)
                ),
            );
            continue;
        };
        let name = function.sig.ident.to_string();
        let duplicate = match name.as_str() {
            "prep" => phases.prep.is_some(),
            "exec" => phases.exec.is_some(),
            "exec_fallback" => phases.fallback.is_some(),
            "post" => phases.post.is_some(),
            _ => false,
        };
        if duplicate {
            errors.at(&function.sig.ident, format!("`{name}` is defined twice"));
            continue;
        }
        match name.as_str() {
            "exec" | "exec_fallback" if kind == Kind::BatchFlow => errors.at(
                &function.sig.ident,
                format!("a batch flow has no `{name}`: it runs its sub-flow once per item of `prep`; give the work to the sub-flow's nodes"),
            ),
            "prep" => phases.prep = read_prep(function, errors),
            "exec" => phases.exec = read_exec(function, errors),
            "exec_fallback" => phases.fallback = read_fallback(function, errors),
            "post" => phases.post = read_post(kind, function, errors),
            _ => errors.at(
                &function.sig.ident,
                format!(
                    "`{name}` is not a phase; the phases are {} (put other methods in a separate `impl` block)",
                    phase_names(kind)
                ),
            ),
        }
    }
    if kind != Kind::Node && phases.prep.is_none() {
        errors.at_span(
            item.self_ty.span(),
            format!(
                "a {} needs a `prep` that returns its items, like `fn prep(&self, shared: &S) -> Vec<Item>`",
                kind.attribute()
            ),
        );
    }
    phases
}

/// Checks what every phase shares: `&self`, no generics, not `const`/`unsafe`/`extern`.
/// Returns the arguments after `self`, or `None` when the signature is unusable.
fn common<'f>(
    function: &'f ImplItemFn,
    errors: &mut Errors,
) -> Option<(Phase, Vec<&'f syn::PatType>)> {
    let sig = &function.sig;
    let name = &sig.ident;
    let mut usable = true;
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.at(
            &sig.generics,
            format!("`{name}` cannot be generic; put type parameters on the `impl` block"),
        );
        usable = false;
    }
    if let Some(constness) = &sig.constness {
        errors.at(
            constness,
            format!("`{name}` cannot be `const`; write `fn {name}` or `async fn {name}`"),
        );
    }
    if let syn::Safety::Unsafe(token) = &sig.safety {
        errors.at(token, format!("`{name}` cannot be `unsafe`"));
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, format!("`{name}` cannot have an ABI"));
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, format!("`{name}` cannot be variadic"));
    }
    match sig.receiver() {
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
    let output = match &sig.output {
        ReturnType::Default => Output::Unit,
        ReturnType::Type(_, ty) if is_result(ty) => Output::Fallible((**ty).clone()),
        ReturnType::Type(_, ty) => {
            if let Type::ImplTrait(impl_trait) = &**ty {
                errors.at(
                    impl_trait,
                    format!("`{name}` returns `impl Trait`; to return a future, write `async fn {name}` with the value type"),
                );
                usable = false;
            }
            Output::Plain((**ty).clone())
        }
    };
    let args = sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let phase = Phase {
        ident: name.clone(),
        is_async: sig.asyncness.is_some(),
        output,
    };
    usable.then_some((phase, args))
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
                    quote::ToTokens::to_token_stream(other)
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

fn read_prep(function: &ImplItemFn, errors: &mut Errors) -> Option<Prep> {
    let (phase, args) = common(function, errors)?;
    if args.len() > 2 {
        errors.at(
            args[2],
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

fn read_exec(function: &ImplItemFn, errors: &mut Errors) -> Option<Exec> {
    let (phase, args) = common(function, errors)?;
    if args.len() > 1 {
        errors.at(
            args[1],
            "`exec` takes only the prep value and never sees the shared store; read what it needs in `prep` and return it from there",
        );
        return None;
    }
    if let Some(arg) = args.first() {
        if let Type::Reference(reference) = &*arg.ty {
            if reference.mutability.is_some() {
                errors.at(
                    arg,
                    "`exec` cannot take `&mut`: it is retried on the same prep value, and never sees the shared store; take `&T` or `T`",
                );
                return None;
            }
        }
    }
    Some(Exec {
        phase,
        input: args.first().map(|arg| input(arg)),
    })
}

fn read_fallback(function: &ImplItemFn, errors: &mut Errors) -> Option<Fallback> {
    let (phase, args) = common(function, errors)?;
    if args.len() != 2 {
        errors.at(
            &function.sig.inputs,
            "`exec_fallback` takes the prep value and the error: `fn exec_fallback(&self, prep: &T, error: pocketflow::Error)`",
        );
        return None;
    }
    Some(Fallback {
        phase,
        input: input(args[0]),
    })
}

fn read_post(kind: Kind, function: &ImplItemFn, errors: &mut Errors) -> Option<Post> {
    let (phase, args) = common(function, errors)?;
    // A node's post gets the prep and exec values; a batch flow's only its items.
    let values = if kind == Kind::BatchFlow { 1 } else { 2 };
    if args.len() > values + 2 {
        let signature = if kind == Kind::BatchFlow {
            "the shared store, the items and the params: `fn post(&self, shared: &mut S, items: Vec<Item>, params: &P)`"
        } else {
            "the shared store, the prep value, the exec value and the params: `fn post(&self, shared: &mut S, prep: T, exec: E, params: &P)`"
        };
        errors.at(
            args[values + 2],
            format!("`post` takes at most {signature}"),
        );
        return None;
    }
    let shared = match args.first() {
        Some(arg) => Some(ref_arg(arg, "the shared store argument of `post`", errors)?),
        None => None,
    };
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
        params,
    })
}
