//! The arguments of `#[node(..)]` and `#[batch_node(..)]`: `max_retries = N`, `wait = "500ms"`.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Lit, LitInt, LitStr};

use crate::diag::Errors;
use crate::duration;

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Node,
    BatchNode,
}

impl Kind {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Node => "#[node]",
            Kind::BatchNode => "#[batch_node]",
        }
    }
}

/// The validated arguments.
pub(crate) struct NodeArgs {
    pub(crate) max_retries: u32,
    pub(crate) wait_nanos: u64,
}

const KEYS: &str = "`max_retries` and `wait`";

pub(crate) fn parse(kind: Kind, args: TokenStream, errors: &mut Errors) -> NodeArgs {
    let mut parsed = NodeArgs {
        max_retries: 1,
        wait_nanos: 0,
    };
    let mut seen: Vec<String> = Vec::new();
    let parser = |input: ParseStream| {
        while !input.is_empty() {
            let key: syn::Ident = input.call(syn::ext::IdentExt::parse_any)?;
            let name = key.to_string();
            if seen.contains(&name) {
                errors.at(&key, format!("`{name}` is set twice; keep one"));
            }
            seen.push(name.clone());
            let value = if input.peek(syn::Token![=]) {
                input.parse::<syn::Token![=]>()?;
                Some(input.parse::<Expr>()?)
            } else {
                None
            };
            match (name.as_str(), value) {
                ("max_retries", Some(value)) => {
                    if let Some(n) = max_retries(&value, errors) {
                        parsed.max_retries = n;
                    }
                }
                ("wait", Some(value)) => {
                    if let Some(nanos) = wait(&value, errors) {
                        parsed.wait_nanos = nanos;
                    }
                }
                ("max_retries" | "wait", None) => {
                    errors.at(
                        &key,
                        format!(
                            "`{name}` needs a value, like `max_retries = 3` or `wait = \"500ms\"`"
                        ),
                    );
                }
                _ => errors.at(
                    &key,
                    format!(
                        "unknown key `{name}` in {}; the keys are {KEYS}",
                        kind.attribute()
                    ),
                ),
            }
            if input.is_empty() {
                break;
            }
            input.parse::<syn::Token![,]>()?;
        }
        Ok(())
    };
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    parsed
}

fn max_retries(value: &Expr, errors: &mut Errors) -> Option<u32> {
    let Some(literal) = int_literal(value) else {
        errors.at(
            value,
            "`max_retries` must be a whole number of attempts, like `max_retries = 3`",
        );
        return None;
    };
    match literal.base10_parse::<u32>() {
        Ok(0) => {
            errors.at(
                literal,
                "`max_retries = 0` would never run exec; it counts all attempts, so write at least `max_retries = 1`",
            );
            None
        }
        Ok(n) => Some(n),
        Err(_) => {
            errors.at(
                literal,
                "`max_retries` must be a whole number from 1 to 4294967295",
            );
            None
        }
    }
}

fn int_literal(value: &Expr) -> Option<&LitInt> {
    match value {
        Expr::Lit(expr) => match &expr.lit {
            Lit::Int(literal) => Some(literal),
            _ => None,
        },
        _ => None,
    }
}

fn wait(value: &Expr, errors: &mut Errors) -> Option<u64> {
    let literal = match value {
        Expr::Lit(expr) => match &expr.lit {
            Lit::Str(literal) => Some(literal),
            _ => None,
        },
        _ => None,
    };
    let Some(literal): Option<&LitStr> = literal else {
        errors.at(
            value,
            "`wait` must be a duration string, like `wait = \"500ms\"` or `wait = \"2s\"`",
        );
        return None;
    };
    match duration::parse_nanos(&literal.value()) {
        Ok(nanos) => Some(nanos),
        Err(problem) => {
            errors.at_span(literal.span(), format!("`wait`: {problem}"));
            None
        }
    }
}
