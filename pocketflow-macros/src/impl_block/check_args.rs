//! Checks the arguments of `#[node(..)]`, `#[batch_node(..)]` and `#[batch_flow(..)]`
//! (`max_retries = N`, `wait = "500ms"`, `parallel`, `limit = N`, `distributed = "name"`, ..)
//! into [`NodeArgs`].

use syn::{Expr, Lit, LitInt, LitStr};

use super::Kind;
use super::ir::{Block, NodeArgs};
use crate::diag::Errors;
use crate::duration;

impl Kind {
    /// The keys the attribute accepts, for error messages.
    fn keys(self) -> &'static str {
        match self {
            Kind::Node => "`max_retries`, `wait`, `backoff`, `max_wait`, `timeout` and `actions`",
            Kind::BatchNode => {
                "`max_retries`, `wait`, `backoff`, `max_wait`, `timeout`, `parallel`, `limit`, `distributed` and `actions`"
            }
            Kind::BatchFlow => "`parallel` and `limit`",
        }
    }

    fn accepts(self, key: &str) -> bool {
        match self {
            Kind::Node => matches!(
                key,
                "max_retries" | "wait" | "backoff" | "max_wait" | "timeout" | "actions"
            ),
            Kind::BatchNode => matches!(
                key,
                "max_retries"
                    | "wait"
                    | "backoff"
                    | "max_wait"
                    | "timeout"
                    | "parallel"
                    | "limit"
                    | "distributed"
                    | "actions"
            ),
            Kind::BatchFlow => matches!(key, "parallel" | "limit"),
        }
    }
}

/// The arguments' values, every mistake reported in the order written.
pub(crate) fn check(kind: Kind, block: &Block, errors: &mut Errors) -> NodeArgs {
    let mut checked = NodeArgs {
        max_retries: 1,
        wait_nanos: 0,
        parallel: None,
        limit: None,
        backoff_per_mille: None,
        max_wait_nanos: None,
        timeout: None,
        distributed: None,
        actions: None,
    };
    let mut limit_key = None;
    let mut distributed_key = None;
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in &block.args {
        let name = key.to_string();
        if seen.contains(&name) {
            errors.at(key, format!("`{name}` is set twice; keep one"));
        }
        seen.push(name.clone());
        if !kind.accepts(&name) {
            let hint = match name.as_str() {
                "parallel" | "limit" => {
                    " (`parallel` and `limit` are for #[batch_node] and #[batch_flow])"
                }
                "max_retries" | "wait" => {
                    " (a batch flow retries nothing itself; set retries on the nodes of its sub-flow)"
                }
                "distributed" => {
                    " (`distributed` is for #[batch_node(parallel, ..)]: it sends each item's `exec` to workers)"
                }
                _ => "",
            };
            errors.at(
                key,
                format!(
                    "unknown key `{name}` in {}; the keys are {}{hint}",
                    kind.attribute(),
                    kind.keys()
                ),
            );
            continue;
        }
        match (name.as_str(), value) {
            ("max_retries", Some(value)) => {
                if let Some(n) = max_retries(value, errors) {
                    checked.max_retries = n;
                }
            }
            ("wait", Some(value)) => {
                if let Some(nanos) = duration(&name, value, errors) {
                    checked.wait_nanos = nanos;
                }
            }
            ("max_wait", Some(value)) => {
                checked.max_wait_nanos = duration(&name, value, errors);
            }
            ("timeout", Some(value)) => match duration(&name, value, errors) {
                Some(0) => errors.at(value, "`timeout = \"0s\"` would fail every attempt; give each attempt some time, like `timeout = \"30s\"`"),
                Some(nanos) => checked.timeout = Some((nanos, key.span())),
                None => {}
            },
            ("backoff", Some(value)) => checked.backoff_per_mille = backoff(value, errors),
            ("limit", Some(value)) => {
                limit_key = Some(key.span());
                checked.limit = limit(value, errors);
            }
            ("parallel", None) => checked.parallel = Some(key.span()),
            ("actions", Some(value)) => checked.actions = actions(value, errors),
            ("distributed", Some(value)) => {
                distributed_key = Some(key.span());
                checked.distributed = distributed(value, errors).map(|name| (name, key.span()));
            }
            ("distributed", None) => {
                distributed_key = Some(key.span());
                errors.at(key, "`distributed` needs the name workers register the node under, like `distributed = \"translate\"`");
            }
            ("parallel", Some(value)) => {
                errors.at(value, "`parallel` takes no value; write `parallel` alone, and bound it with `limit = N`");
            }
            (_, None) => errors.at(
                key,
                format!("`{name}` needs a value, like `max_retries = 3`, `wait = \"500ms\"`, `backoff = 2` or `limit = 8`"),
            ),
            (_, Some(value)) => errors.at(value, format!("`{name}` takes no value here")),
        }
    }
    if let Some(error) = &block.args_error {
        errors.push(error.clone());
    }
    if let (Some(span), None) = (limit_key, checked.parallel) {
        errors.at_span(span, "`limit` bounds the items run at once, so it needs `parallel`: write `parallel, limit = N`");
    }
    if let (Some(span), None) = (distributed_key, checked.parallel) {
        errors.at_span(span, "`distributed` sends the items to workers to run concurrently, so it needs `parallel`: write `parallel, distributed = \"name\"`");
    }
    checked
}

/// `distributed = "name"`: the name a worker registers the node under.
///
/// The name is the node's identity across processes: it is written in every queued job and
/// read back by workers built separately, and it appears in their errors and lists of
/// registered nodes. ASCII letters, digits, `_`, `-` and `.` have one spelling everywhere (no
/// spaces, no Unicode lookalikes) and need no quoting in logs.
fn distributed(value: &Expr, errors: &mut Errors) -> Option<String> {
    let Some(literal) = str_literal(value) else {
        errors.at(
            value,
            "`distributed` must be a string literal naming the node for workers, like `distributed = \"translate\"`",
        );
        return None;
    };
    let name = literal.value();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() {
        errors.at(
            literal,
            "`distributed = \"\"` names nothing; give the name workers register the node under, like `distributed = \"translate\"`",
        );
        return None;
    }
    if let Some(bad) = name.chars().find(|&c| !allowed(c)) {
        let cleaned: String = name
            .chars()
            .map(|c| if allowed(c) { c } else { '_' })
            .collect();
        let suggestion = if cleaned.chars().any(|c| c.is_ascii_alphanumeric()) {
            cleaned
        } else {
            "translate".to_owned()
        };
        errors.at(
            literal,
            format!(
                "`distributed` names the node with ASCII letters, digits, `_`, `-` and `.`, but {name:?} has {bad:?}; write it like `distributed = {suggestion:?}`"
            ),
        );
        return None;
    }
    Some(name)
}

fn str_literal(value: &Expr) -> Option<&LitStr> {
    match value {
        Expr::Lit(expr) => match &expr.lit {
            Lit::Str(literal) => Some(literal),
            _ => None,
        },
        _ => None,
    }
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

fn limit(value: &Expr, errors: &mut Errors) -> Option<usize> {
    let Some(literal) = int_literal(value) else {
        errors.at(
            value,
            "`limit` must be a whole number of items in flight, like `limit = 8`",
        );
        return None;
    };
    match literal.base10_parse::<usize>() {
        Ok(0) => {
            errors.at(literal, "`limit = 0` would run nothing; write at least `limit = 1`, or leave `limit` out for no bound");
            None
        }
        Ok(n) => Some(n),
        Err(_) => {
            errors.at(literal, "`limit` must be a whole number, like `limit = 8`");
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

/// A duration string: `wait`, `max_wait` and `timeout`.
fn duration(key: &str, value: &Expr, errors: &mut Errors) -> Option<u64> {
    let Some(literal) = str_literal(value) else {
        errors.at(
            value,
            format!(
                "`{key}` must be a duration string, like `{key} = \"500ms\"` or `{key} = \"2s\"`"
            ),
        );
        return None;
    };
    match duration::parse_nanos(&literal.value()) {
        Ok(nanos) => Some(nanos),
        Err(problem) => {
            errors.at_span(literal.span(), format!("`{key}`: {problem}"));
            None
        }
    }
}

/// `backoff = 2` or `backoff = 1.5`: the factor between successive waits, at least 1.
fn backoff(value: &Expr, errors: &mut Errors) -> Option<u32> {
    let factor = match value {
        Expr::Lit(expr) => match &expr.lit {
            Lit::Int(literal) => literal.base10_parse::<f64>().ok(),
            Lit::Float(literal) => literal.base10_parse::<f64>().ok(),
            _ => None,
        },
        _ => None,
    };
    match factor {
        Some(factor) if (1.0..=1000.0).contains(&factor) => Some((factor * 1000.0).round() as u32),
        Some(_) => {
            errors.at(value, "`backoff` multiplies the wait after each failed attempt, so it is from 1 (a constant wait) to 1000, like `backoff = 2`");
            None
        }
        None => {
            errors.at(
                value,
                "`backoff` must be a number, like `backoff = 2` or `backoff = 1.5`",
            );
            None
        }
    }
}

/// `actions = ["search", "answer"]`: the labels a string-action node's `post` may return, at
/// least one, each once.
fn actions(value: &Expr, errors: &mut Errors) -> Option<Vec<syn::LitStr>> {
    let shape =
        "`actions` lists the labels `post` may return, like `actions = [\"search\", \"answer\"]`";
    let Expr::Array(array) = value else {
        errors.at(value, shape);
        return None;
    };
    let mut labels: Vec<syn::LitStr> = Vec::new();
    for element in &array.elems {
        match element {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(label),
                ..
            }) => {
                if labels.iter().any(|known| known.value() == label.value()) {
                    errors.at(
                        label,
                        format!("`{}` is listed twice; list each action once", label.value()),
                    );
                } else {
                    labels.push(label.clone());
                }
            }
            other => errors.at(other, shape),
        }
    }
    if labels.is_empty() && array.elems.is_empty() {
        errors.at(value, "a node returns at least one action: list them, like `actions = [\"done\"]`, or remove `actions`");
        return None;
    }
    Some(labels)
}
