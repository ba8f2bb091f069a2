//! The two IRs of an attributed impl block.
//!
//! The syntax IR ([`Block`]) is what [`parse`](super::parse) reads: every argument and method as
//! written, nothing checked beyond what the syntax needs. The checked model ([`NodeArgs`],
//! [`Phases`]) is what [`check_args`](super::check_args) and
//! [`check_phases`](super::check_phases) make of it and what the expansions read.

use proc_macro2::{Span, TokenStream};
use syn::{Expr, Ident, ItemImpl, Type};

/// One attributed impl block, as written.
pub(crate) struct Block {
    /// The user's impl block, re-emitted unchanged.
    pub(crate) item: ItemImpl,
    /// `key` or `key = value`, in order.
    pub(crate) args: Vec<(Ident, Option<Expr>)>,
    /// Where reading the arguments stopped, if it did: their tokens were not `key = value, ..`.
    pub(crate) args_error: Option<syn::Error>,
    /// The items of the block, in order.
    pub(crate) members: Vec<Member>,
}

/// An item of the block.
pub(crate) enum Member {
    Method(Box<Method>),
    /// Anything but a method (a `const`, a `type`, a macro call): its tokens.
    Other(TokenStream),
}

/// One method's signature, as written.
pub(crate) struct Method {
    pub(crate) ident: Ident,
    pub(crate) is_async: bool,
    /// Its generics, when it has any (or a `where` clause).
    pub(crate) generics: Option<syn::Generics>,
    pub(crate) constness: Option<syn::Token![const]>,
    pub(crate) unsafety: Option<syn::Token![unsafe]>,
    pub(crate) abi: Option<syn::Abi>,
    pub(crate) variadic: Option<syn::Variadic>,
    pub(crate) receiver: Option<syn::Receiver>,
    /// The arguments after the receiver.
    pub(crate) args: Vec<syn::PatType>,
    /// All the arguments' tokens, where an error about their number lands.
    pub(crate) inputs: TokenStream,
    pub(crate) output: Output,
}

/// What a phase returns.
#[derive(Clone)]
pub(crate) enum Output {
    /// No return type: `()`.
    Unit,
    /// A plain value.
    Plain(Type),
    /// `Result<T, E>`, or an alias of one (`io::Result<T>`, `anyhow::Result<T>`).
    Fallible(Type),
}

/// The checked arguments.
pub(crate) struct NodeArgs {
    pub(crate) max_retries: u32,
    pub(crate) wait_nanos: u64,
    /// `parallel`, where it was written.
    pub(crate) parallel: Option<Span>,
    /// `limit = N`: at most N items in flight (unbounded without it).
    pub(crate) limit: Option<usize>,
    /// `backoff = 2` or `1.5`, in thousandths.
    pub(crate) backoff_per_mille: Option<u32>,
    pub(crate) max_wait_nanos: Option<u64>,
    /// `timeout = "30s"`, where it was written.
    pub(crate) timeout: Option<(u64, Span)>,
    /// `distributed = "name"`: the name workers register the batch node under, and where the
    /// key was written.
    pub(crate) distributed: Option<(String, Span)>,
    /// `actions = [..]`: the labels `post` may return.
    pub(crate) actions: Option<Vec<syn::LitStr>>,
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

/// What every checked phase has.
pub(crate) struct Phase {
    pub(crate) ident: Ident,
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
    /// `T` of a last argument `&Emitter<T>`: what `exec` emits to a streamed run.
    pub(crate) emits: Option<Type>,
}

pub(crate) struct Fallback {
    pub(crate) phase: Phase,
    pub(crate) input: Input,
}

pub(crate) struct Post {
    pub(crate) phase: Phase,
    pub(crate) shared: Option<RefArg>,
    /// The spans of the argument types of the prep value and the exec value (a batch flow's:
    /// the items), of those it takes.
    pub(crate) values: Vec<Span>,
    /// Their types, as written.
    pub(crate) value_types: Vec<Type>,
    pub(crate) params: Option<RefArg>,
}

/// The checked phases of one impl block.
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

    /// The shared store type the phases name (`prep`'s, else `post`'s).
    pub(crate) fn shared(&self) -> Option<&RefArg> {
        let prep = self.prep.as_ref().and_then(|p| p.shared.as_ref());
        prep.or(self.post.as_ref().and_then(|p| p.shared.as_ref()))
    }

    /// The params type the phases name (`prep`'s, else `post`'s).
    pub(crate) fn params(&self) -> Option<&RefArg> {
        let prep = self.prep.as_ref().and_then(|p| p.params.as_ref());
        prep.or(self.post.as_ref().and_then(|p| p.params.as_ref()))
    }
}
