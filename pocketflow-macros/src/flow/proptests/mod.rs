//! Property tests of `flow!`: any tokens give an error or a well-formed graph, never a panic;
//! any well-formed graph written out is accepted as it is (`generated.rs`).

mod generated;
mod groups;

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;

use super::graph::{self, Graph, label_text};
use super::parse::FlowInput;
use crate::diag::Errors;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

fn punct(chars: &str) -> Vec<TokenTree> {
    let last = chars.len() - 1;
    chars
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let spacing = if i < last {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            TokenTree::Punct(Punct::new(c, spacing))
        })
        .collect()
}

// ---- 1. Any tokens of the grammar's alphabet ------------------------------------------------

const NAMES: &[&str] = &[
    "a", "b", "c", "start", "end", "done", "Verdict", "Approve", "self", "Self", "super", "crate",
    "fn", "type", "match", "async", "_", "r#type", "r#end", "r#a", "__Flow", "x1",
];

const STRINGS: &[&str] = &[
    "",
    "done",
    "default",
    "\"",
    "a \"quoted\" label",
    "\\",
    "é",
    "\n",
];

/// One token, or a few that read as one operator (`>>`, `::`), as the parser sees them.
fn leaf() -> impl Strategy<Value = Vec<TokenTree>> {
    let name = prop::sample::select(NAMES).prop_map(|name| vec![TokenTree::Ident(ident(name))]);
    let string = prop_oneof![
        prop::sample::select(STRINGS).prop_map(str::to_owned),
        any::<String>(),
    ]
    .prop_map(|text| vec![TokenTree::Literal(Literal::string(&text))]);
    let integer = any::<u64>().prop_map(|n| vec![TokenTree::Literal(Literal::u64_unsuffixed(n))]);
    let op = prop::sample::select(
        &[
            ">>", ">>", ">>", ">", "-", "-", ";", ";", "::", ",", "=", "!", ".", "->", "=>", ">=",
            ">>=",
        ][..],
    )
    .prop_map(punct);
    // Single characters with either spacing, so that joints fall anywhere.
    let char_op = (
        prop::sample::select(&['>', '-', ';', ':', ',', '=', '!', '.'][..]),
        any::<bool>(),
    )
        .prop_map(|(c, joint)| {
            let spacing = if joint {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            vec![TokenTree::Punct(Punct::new(c, spacing))]
        });
    let path = (prop::sample::select(NAMES), prop::sample::select(NAMES)).prop_map(|(a, b)| {
        let mut tokens = vec![TokenTree::Ident(ident(a))];
        tokens.extend(punct("::"));
        tokens.push(TokenTree::Ident(ident(b)));
        tokens
    });
    prop_oneof![
        8 => name,
        2 => string,
        1 => integer,
        8 => op,
        2 => char_op,
        2 => path,
    ]
}

/// Statements of names and edges, right or nearly so, so that many inputs are accepted.
fn statements() -> impl Strategy<Value = Vec<TokenTree>> {
    // Mostly a few names, so that later statements often start at a node already reached.
    let name = || {
        prop_oneof![
            4 => prop::sample::select(&["a", "b", "c", "r#a"][..]),
            1 => prop::sample::select(NAMES),
        ]
        .prop_map(|name| vec![TokenTree::Ident(ident(name))])
    };
    let label = prop_oneof![
        2 => any::<String>().prop_map(|text| vec![TokenTree::Literal(Literal::string(&text))]),
        1 => prop::sample::select(&["Verdict", "x::Y", "::E", "crate::E"][..]).prop_flat_map(
            |enum_path| {
                prop::sample::select(NAMES).prop_map(move |variant| {
                    let mut tokens: Vec<TokenTree> = enum_path.parse::<TokenStream>().unwrap().into_iter().collect();
                    tokens.extend(punct("::"));
                    tokens.push(TokenTree::Ident(ident(variant)));
                    tokens
                })
            }
        ),
        1 => leaf(),
    ];
    let edge = prop_oneof![
        6 => Just(punct(">>")),
        3 => label.prop_map(|label| {
            let mut tokens = punct("-");
            tokens.extend(label);
            tokens.extend(punct(">>"));
            tokens
        }),
        1 => leaf(),
    ];
    // A target: a name, or now and then a bracketed group of names (empty, of one, of a name
    // twice: the checks see them all).
    let target = || {
        prop_oneof![
            5 => name(),
            1 => prop::collection::vec(name(), 0..4).prop_map(|members| {
                let mut stream = TokenStream::new();
                for (i, member) in members.into_iter().enumerate() {
                    if i > 0 {
                        stream.extend(punct(","));
                    }
                    stream.extend(member);
                }
                vec![TokenTree::Group(Group::new(Delimiter::Bracket, stream))]
            }),
        ]
    };
    let statement =
        (target(), prop::collection::vec((edge, target()), 0..4)).prop_map(|(first, edges)| {
            let mut tokens = first;
            for (edge, to) in edges {
                tokens.extend(edge);
                tokens.extend(to);
            }
            tokens
        });
    (prop::collection::vec(statement, 1..5), any::<bool>()).prop_map(|(statements, trailing)| {
        let count = statements.len();
        let mut tokens = Vec::new();
        for (i, statement) in statements.into_iter().enumerate() {
            tokens.extend(statement);
            if i + 1 < count || trailing {
                tokens.extend(punct(";"));
            }
        }
        tokens
    })
}

/// Any tokens of the alphabet, in groups too.
fn soup() -> impl Strategy<Value = Vec<TokenTree>> {
    let piece = leaf().prop_recursive(3, 48, 6, |inner| {
        (
            prop::sample::select(
                &[Delimiter::Parenthesis, Delimiter::Brace, Delimiter::Bracket][..],
            ),
            prop::collection::vec(inner, 0..6),
        )
            .prop_map(|(delimiter, pieces)| {
                let stream: TokenStream = pieces.into_iter().flatten().collect();
                vec![TokenTree::Group(Group::new(delimiter, stream))]
            })
    });
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.into_iter().flatten().collect())
}

/// `flow!`'s output is an expression whether or not it reports errors, also once printed.
fn assert_expression(output: &TokenStream) {
    if let Err(error) = syn::parse2::<syn::Expr>(output.clone()) {
        panic!("the expansion is not an expression ({error}):\n{output}");
    }
    let printed: TokenStream = output
        .to_string()
        .parse()
        .expect("the expansion prints as tokens");
    if let Err(error) = syn::parse2::<syn::Expr>(printed) {
        panic!("the printed expansion is not an expression ({error}):\n{output}");
    }
}

/// What a checked graph promises `expand`: distinct names that are variables (a group's
/// members among them, each once), the first target the start step, groups of two or more
/// with plain edges out, every edge between its steps and listed once under its source, every
/// step reachable from the start.
fn assert_well_formed(input: &TokenStream, graph: &Graph) {
    let names: Vec<Ident> = graph.names().cloned().collect();
    assert!(!names.is_empty(), "no nodes for {input}");
    match input.clone().into_iter().next() {
        Some(TokenTree::Ident(first)) => {
            assert_eq!(first, *graph.nodes[0].variant(), "start node of {input}");
            assert!(!graph.nodes[0].is_group(), "start of {input}");
        }
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Bracket => {
            assert!(graph.nodes[0].is_group(), "start group of {input}");
        }
        other => panic!("{input} was accepted though it starts with {other:?}"),
    }
    let unraw: Vec<Ident> = names.iter().map(IdentExt::unraw).collect();
    for (i, name) in unraw.iter().enumerate() {
        assert!(
            !unraw[..i].contains(name),
            "`{name}` twice among the nodes of {input}"
        );
        let raw = &names[i];
        assert!(
            syn::parse2::<Ident>(raw.to_token_stream()).is_ok(),
            "`{raw}` is not a variable name, in {input}"
        );
    }
    let mut listed = vec![false; graph.edges.len()];
    for (i, step) in graph.nodes.iter().enumerate() {
        if step.is_group() {
            assert!(
                step.nodes().len() >= 2,
                "a group of {} in {input}",
                step.nodes().len()
            );
        }
        let mut previous = None;
        for &edge in &step.out {
            let edge_of = &graph.edges[edge];
            assert_eq!(edge_of.from, i, "edge {edge} of {input}");
            assert!(edge_of.to < graph.nodes.len(), "edge {edge} of {input}");
            if step.is_group() {
                assert_eq!(
                    label_text(&edge_of.label),
                    "default",
                    "group edge in {input}"
                );
            }
            assert!(!listed[edge], "edge {edge} listed twice in {input}");
            assert!(previous < Some(edge), "edges out of order in {input}");
            listed[edge] = true;
            previous = Some(edge);
        }
    }
    assert!(
        listed.iter().all(|&l| l),
        "an edge of {input} under no node"
    );
    let mut reached = vec![false; graph.nodes.len()];
    reached[0] = true;
    let mut pending = vec![0];
    while let Some(from) = pending.pop() {
        for edge in graph.edges.iter().filter(|edge| edge.from == from) {
            if !reached[edge.to] {
                reached[edge.to] = true;
                pending.push(edge.to);
            }
        }
    }
    assert!(reached.iter().all(|&r| r), "an unreachable step in {input}");
}

fn check_any(input: TokenStream) {
    let output = super::flow(input.clone());
    assert_expression(&output);
    let is_error = output.to_string().contains("compile_error");
    match syn::parse2::<FlowInput>(input.clone()) {
        Err(_) => assert!(is_error, "a parse error but no compile_error for {input}"),
        Ok(parsed) => {
            let mut errors = Errors::default();
            let graph = graph::build(parsed, &mut errors);
            match errors.finish() {
                Err(_) => assert!(is_error, "graph errors but no compile_error for {input}"),
                Ok(()) => {
                    assert!(!is_error, "compile_error for an accepted graph {input}");
                    assert_well_formed(&input, &graph);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_tokens_give_an_error_or_a_well_formed_graph(tokens in soup()) {
        check_any(tokens.into_iter().collect());
    }

    #[test]
    fn near_flows_give_an_error_or_a_well_formed_graph(tokens in statements()) {
        check_any(tokens.into_iter().collect());
    }
}

#[test]
fn empty_input_is_an_error() {
    check_any(TokenStream::new());
}

// ---- What the properties found --------------------------------------------------------------

fn graph_of(input: TokenStream) -> Result<Graph, String> {
    let parsed: FlowInput = syn::parse2(input).map_err(|error| error.to_string())?;
    let mut errors = Errors::default();
    let graph = graph::build(parsed, &mut errors);
    errors.finish().map_err(|error| error.to_string())?;
    Ok(graph)
}

/// `Self`, `fn` and `_` were taken for node names, and the expansion did not parse.
#[test]
fn keywords_are_not_node_names() {
    let a = ident("a");
    for keyword in ["fn", "Self", "_", "match"] {
        let keyword = ident(keyword);
        let error = graph_of(quote!(#a >> #keyword)).err().unwrap();
        assert!(error.starts_with("expected the name of a node"), "{error}");
        let error = graph_of(quote!(#keyword >> #a)).err().unwrap();
        assert!(error.starts_with("expected the name of a node"), "{error}");
    }
    assert_eq!(
        graph_of(quote!(a >> fn)).err().unwrap(),
        "expected the name of a node (a local variable), found the keyword `fn`; a variable named so is written `r#fn`"
    );
    check_any(quote!(a >> r#fn));
    check_any(quote!(Self));
}

/// `r#a` and `a` are one variable: they were two nodes, and two fields named `a`.
#[test]
fn a_raw_name_is_the_same_node() {
    let graph = graph_of(quote!(a >> r#a; r#a - "x" >> b)).unwrap();
    let names: Vec<String> = graph.nodes.iter().map(|n| n.text()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(graph.nodes[0].out, [0, 1]);
    check_any(quote!(a >> r#a; r#a - "x" >> b));
}
