//! Expansion snapshots: what `#[node]`, `#[batch_node(parallel)]`,
//! `#[batch_node(parallel, distributed = "..")]`, `#[batch_flow]` and `flow!` expand to,
//! pretty-printed with `prettyplease` and compared exactly with the files under
//! `tests/snapshots/`. A change of the expansion fails here; when it is meant, regenerate the
//! files with `UPDATE_SNAPSHOTS=1 cargo test -p pocketflow-macros` and read their diff.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;

use crate::impl_block::Kind;

/// Pretty-prints attribute output (items) or `flow!` output (an expression).
fn pretty(tokens: TokenStream) -> String {
    let file = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => file,
        Err(_) => syn::parse_quote! {
            fn expansion() {
                let _ = #tokens;
            }
        },
    };
    if !file.items.iter().any(|item| gated(item).is_some()) {
        return prettyplease::unparse(&file);
    }
    let mut out = String::new();
    let mut plain = Vec::new();
    for item in file.items {
        let Some((path, key, items)) = gated(&item) else {
            plain.push(item);
            continue;
        };
        out += &unparse_items(std::mem::take(&mut plain));
        let inner = unparse_items(items);
        let inner: String = inner
            .lines()
            .map(|line| format!("        {line}\n"))
            .collect();
        out += &format!("{path}! {{\n    {key} {{\n{inner}    }}\n}}\n");
    }
    out + &unparse_items(plain)
}

fn unparse_items(items: Vec<syn::Item>) -> String {
    prettyplease::unparse(&syn::parse_quote!(#(#items)*))
}

/// The path, key and items of an item-level `if_distributed! { key { items } }`: prettyplease
/// leaves a macro's tokens on long unformatted lines, so the snapshot prints its items itself.
fn gated(item: &syn::Item) -> Option<(String, syn::Ident, Vec<syn::Item>)> {
    let syn::Item::Macro(item) = item else {
        return None;
    };
    let path = &item.mac.path;
    if path.segments.last()?.ident != "if_distributed" {
        return None;
    }
    let (key, items) = item
        .mac
        .parse_body_with(|input: syn::parse::ParseStream| {
            let key: syn::Ident = input.parse()?;
            let body;
            syn::braced!(body in input);
            let file: syn::File = body.parse()?;
            Ok((key, file.items))
        })
        .ok()?;
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let leading = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    Some((format!("{leading}{}", segments.join("::")), key, items))
}

fn check(name: &str, tokens: TokenStream) {
    let actual = pretty(tokens);
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "snapshots", name]
        .iter()
        .collect();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|value| value != "0") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read {} ({error}); write it with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
        panic!(
            "the expansion differs from {} from line {}:\n--- expected\n{}\n--- actual\n{}\n\
             if the change is meant, regenerate with UPDATE_SNAPSHOTS=1 and read the diff",
            path.display(),
            line + 1,
            expected
                .lines()
                .skip(line)
                .take(8)
                .collect::<Vec<_>>()
                .join("\n"),
            actual
                .lines()
                .skip(line)
                .take(8)
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}

#[test]
fn node() {
    let expansion = crate::node::node(
        Kind::Node,
        quote!(max_retries = 3, wait = "500ms"),
        quote! {
            impl Summarize {
                fn prep(&self, shared: &Doc) -> String { shared.text.clone() }
                async fn exec(&self, text: &String) -> Result<String, MyError> { call(text).await }
                fn exec_fallback(&self, _text: &String, err: pocketflow::Error) -> String {
                    format!("(no summary: {err})")
                }
                fn post(&self, shared: &mut Doc, _text: String, summary: String) -> &'static str {
                    shared.summary = summary;
                    "done"
                }
            }
        },
    );
    check("node.expanded.rs", expansion);
}

#[test]
fn sync_node() {
    let expansion = crate::node::node(
        Kind::Node,
        quote!(),
        quote! {
            impl Count {
                fn post(&self, count: &mut u32) { *count += 1; }
            }
        },
    );
    check("sync_node.expanded.rs", expansion);
}

#[test]
fn parallel_batch_node() {
    let expansion = crate::node::node(
        Kind::BatchNode,
        quote!(parallel, limit = 8, max_retries = 2),
        quote! {
            impl Translate {
                fn prep(&self, s: &Shared) -> Vec<(String, String)> { s.pairs.clone() }
                async fn exec(&self, (text, lang): &(String, String)) -> Result<String, HttpError> {
                    translate(text, lang).await
                }
                fn post(&self, s: &mut Shared, _pairs: Vec<(String, String)>, out: Vec<String>) {
                    s.translations = out;
                }
            }
        },
    );
    check("parallel_batch_node.expanded.rs", expansion);
}

/// Its `Distributed` impl, a `Node` impl run by `drive_distributed_batch` with no
/// `run_durable`, and the check that its items and results are `Portable`, inside
/// `if_distributed!`.
#[test]
fn distributed_batch_node() {
    let expansion = crate::node::node(
        Kind::BatchNode,
        quote!(parallel, limit = 64, distributed = "translate"),
        quote! {
            impl Translate {
                fn prep(&self, book: &Book) -> Vec<Page> { book.pages.clone() }
                async fn exec(&self, page: &Page) -> Result<String, HttpError> {
                    translate(page).await
                }
                fn exec_fallback(&self, page: &Page, _err: pocketflow::Error) -> String {
                    page.text.clone()
                }
                fn post(&self, book: &mut Book, _pages: Vec<Page>, out: Vec<String>) {
                    book.translated = out;
                }
            }
        },
    );
    check("distributed_batch_node.expanded.rs", expansion);
}

#[test]
fn batch_flow() {
    let expansion = crate::batch_flow::batch_flow(
        quote!(parallel, limit = 4),
        quote! {
            impl EachImage {
                fn prep(&self, s: &Shared, filter: &Filter) -> Vec<Job> { s.jobs(filter) }
                fn post(&self, s: &mut Shared, jobs: Vec<Job>) { s.done = jobs.len(); }
            }
        },
    );
    check("batch_flow.expanded.rs", expansion);
}

#[test]
fn flow() {
    let expansion = crate::flow::flow(quote! {
        decide - "search" >> search;
        decide - "answer" >> answer;
        search >> decide;
        answer - Verdict::Revise >> decide;
    });
    check("flow.expanded.rs", expansion);
}

#[test]
fn flow_with_a_group() {
    let expansion = crate::flow::flow(quote! {
        plan >> [web, docs] >> write;
        write - "again" >> plan;
    });
    check("flow_with_a_group.expanded.rs", expansion);
}

#[test]
fn node_with_mistakes() {
    let expansion = crate::node::node(
        Kind::Node,
        quote!(retries = 2),
        quote! {
            impl Broken {
                fn prep(&self, shared: Doc) -> u32 { 1 }
                fn post(&self, shared: &mut Doc, _: u32, _: ()) -> Verdict { Verdict::Done }
            }
        },
    );
    check("node_with_mistakes.expanded.rs", expansion);
}

#[test]
fn flow_with_mistakes() {
    let expansion = crate::flow::flow(quote!(a > b));
    check("flow_with_mistakes.expanded.rs", expansion);
}
