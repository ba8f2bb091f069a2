//! Property tests of `flow!`: any tokens give an error or a well-formed graph, never a panic;
//! any well-formed graph written out is accepted as it is.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::sample::Index;
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
    let statement =
        (name(), prop::collection::vec((edge, name()), 0..4)).prop_map(|(first, edges)| {
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

/// What a checked graph promises `expand`: distinct names that are variables, the first token
/// the start node, every edge between its nodes and listed once under its source, every node
/// reachable from the start.
fn assert_well_formed(input: &TokenStream, graph: &Graph) {
    let names: Vec<Ident> = graph.nodes.iter().map(|node| node.name.clone()).collect();
    assert!(!names.is_empty(), "no nodes for {input}");
    match input.clone().into_iter().next() {
        Some(TokenTree::Ident(first)) => assert_eq!(first, names[0], "start node of {input}"),
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
    let position = |name: &Ident| {
        unraw
            .iter()
            .position(|known| *known == name.unraw())
            .unwrap_or_else(|| panic!("edge endpoint `{name}` is not a node of {input}"))
    };
    let mut listed = vec![false; graph.edges.len()];
    for (i, node) in graph.nodes.iter().enumerate() {
        let mut previous = None;
        for &edge in &node.out {
            assert_eq!(
                position(&graph.edges[edge].from),
                i,
                "edge {edge} of {input}"
            );
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
    let mut reached = vec![false; names.len()];
    reached[0] = true;
    let mut pending = vec![0];
    while let Some(from) = pending.pop() {
        for edge in &graph.edges {
            let (source, target) = (position(&edge.from), position(&edge.to));
            if source == from && !reached[target] {
                reached[target] = true;
                pending.push(target);
            }
        }
    }
    assert!(reached.iter().all(|&r| r), "an unreachable node in {input}");
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

// ---- 2. Well-formed flows from random graphs ------------------------------------------------

const NODE_NAMES: &[&str] = &[
    "a", "b", "c", "start", "end", "decide", "search", "answer", "review", "r#type", "r#match",
    "node_2", "Publish", "x",
];

const VARIANTS: &[&str] = &[
    "Approve", "Revise", "Done", "Retry", "Search", "Answer", "Default", "Start", "Stop", "Next",
    "Back", "r#loop",
];

const ENUMS: &[&str] = &[
    "Verdict",
    "Choice",
    "crate::Verdict",
    "actions::Step",
    "::x::Y",
];

/// One node's outgoing edges as generated: its targets, whether the first is a plain edge, and
/// how the others are labelled.
#[derive(Clone, Debug)]
enum Kind {
    Strings(Vec<String>),
    Enum(&'static str, Vec<&'static str>),
}

#[derive(Clone, Debug)]
struct Spec {
    n: usize,
    names: Vec<&'static str>,
    parents: Vec<Index>,
    extra: Vec<(Index, Index)>,
    kinds: Vec<Kind>,
    first_plain: Vec<bool>,
    order: Vec<Index>,
    chain: Vec<bool>,
    lone: Vec<Index>,
    lone_first: bool,
    trailing_semicolon: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..=6).prop_flat_map(|n| {
        let label_text = prop_oneof![
            prop::sample::select(STRINGS).prop_map(str::to_owned),
            ".{0,4}",
        ];
        let strings = prop::collection::btree_set(label_text, 6..=12).prop_map(|set| {
            set.into_iter()
                .filter(|s| s != "default")
                .collect::<Vec<_>>()
        });
        let variants = prop::sample::subsequence(VARIANTS, VARIANTS.len()).prop_shuffle();
        let kind = prop_oneof![
            strings.prop_map(Kind::Strings),
            (prop::sample::select(ENUMS), variants).prop_map(|(e, v)| Kind::Enum(e, v)),
        ];
        (
            prop::sample::subsequence(NODE_NAMES, n).prop_shuffle(),
            prop::collection::vec(any::<Index>(), n - 1),
            prop::collection::vec(any::<(Index, Index)>(), 0..6),
            prop::collection::vec(kind, n),
            prop::collection::vec(any::<bool>(), n),
            prop::collection::vec(any::<Index>(), 12),
            prop::collection::vec(any::<bool>(), 12),
            prop::collection::vec(any::<Index>(), 0..3),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                move |(
                    names,
                    parents,
                    extra,
                    kinds,
                    first_plain,
                    order,
                    chain,
                    lone,
                    lone_first,
                    trailing_semicolon,
                )| Spec {
                    n,
                    names,
                    parents,
                    extra,
                    kinds,
                    first_plain,
                    order,
                    chain,
                    lone,
                    lone_first,
                    trailing_semicolon,
                },
            )
    })
}

#[derive(Clone)]
enum GenLabel {
    Default,
    Str(String),
    Variant(syn::Path),
}

struct GenEdge {
    from: usize,
    label: GenLabel,
    to: usize,
}

/// The edges of a spec: a spanning tree from node 0 (each node `i` an edge from a node before
/// it) plus extra edges, each node's labelled by its kind, with no label twice.
fn edges(spec: &Spec) -> Vec<GenEdge> {
    let mut pairs: Vec<(usize, usize)> = (1..spec.n)
        .map(|i| (spec.parents[i - 1].index(i), i))
        .collect();
    pairs.extend(
        spec.extra
            .iter()
            .map(|(from, to)| (from.index(spec.n), to.index(spec.n))),
    );
    let mut used = vec![0usize; spec.n];
    let mut edges = Vec::new();
    for (from, to) in pairs {
        let k = used[from];
        used[from] += 1;
        let label = if k == 0 && spec.first_plain[from] {
            GenLabel::Default
        } else {
            let k = k - usize::from(spec.first_plain[from]);
            match &spec.kinds[from] {
                Kind::Strings(texts) => match texts.get(k) {
                    Some(text) => GenLabel::Str(text.clone()),
                    None => continue,
                },
                Kind::Enum(name, variants) => match variants.get(k) {
                    Some(variant) => {
                        let path: TokenStream = name.parse().unwrap();
                        let variant = ident(variant);
                        GenLabel::Variant(syn::parse_quote!(#path::#variant))
                    }
                    None => continue,
                },
            }
        };
        edges.push(GenEdge { from, label, to });
    }
    edges
}

/// Writes the edges in a shuffled order, the start node first, following chains where one
/// edge starts where the last ended, with lone statements of names here and there. Returns
/// the tokens, the edges in the order written and the names in order of first appearance.
fn write(spec: &Spec, mut edges: Vec<GenEdge>) -> (TokenStream, Vec<GenEdge>, Vec<usize>) {
    // A shuffle from the spec's indices.
    for i in (1..edges.len()).rev() {
        let j = spec.order[i % spec.order.len()].index(i + 1);
        edges.swap(i, j);
    }
    let lone_first = spec.lone_first || edges.is_empty();
    if !lone_first {
        let first = edges.iter().position(|edge| edge.from == 0).unwrap();
        edges.swap(0, first);
    }
    let name = |i: usize| ident(spec.names[i]);
    // Each statement with the nodes it names, in order.
    let mut statements: Vec<(TokenStream, Vec<usize>)> = Vec::new();
    if lone_first {
        let start = name(0);
        statements.push((quote!(#start), vec![0]));
    }
    let mut k = 0;
    while k < edges.len() {
        let from = name(edges[k].from);
        let mut statement = quote!(#from);
        let mut named = vec![edges[k].from];
        loop {
            named.push(edges[k].to);
            let to = name(edges[k].to);
            statement.extend(match &edges[k].label {
                GenLabel::Default => quote!(>> #to),
                GenLabel::Str(text) => quote!(- #text >> #to),
                GenLabel::Variant(path) => quote!(- #path >> #to),
            });
            k += 1;
            let chained = k < edges.len()
                && edges[k].from == edges[k - 1].to
                && spec.chain[k % spec.chain.len()];
            if !chained {
                break;
            }
        }
        statements.push((statement, named));
    }
    for (i, lone) in spec.lone.iter().enumerate() {
        let at = 1 + (i * 7 + lone.index(spec.n)) % statements.len();
        let node = lone.index(spec.n);
        let lone = name(node);
        statements.insert(at.min(statements.len()), (quote!(#lone), vec![node]));
    }
    let mut tokens = TokenStream::new();
    let mut order = Vec::new();
    for (i, (statement, named)) in statements.iter().enumerate() {
        tokens.extend(statement.clone());
        if i + 1 < statements.len() || spec.trailing_semicolon {
            tokens.extend(quote!(;));
        }
        for &node in named {
            if !order.contains(&node) {
                order.push(node);
            }
        }
    }
    (tokens, edges, order)
}

fn expected_label(label: &GenLabel) -> String {
    match label {
        GenLabel::Default => "default".to_owned(),
        GenLabel::Str(text) => text.clone(),
        GenLabel::Variant(path) => path.to_token_stream().to_string().replace(' ', ""),
    }
}

fn check_generated(spec: &Spec) {
    let (input, edges, order) = write(spec, edges(spec));
    let output = super::flow(input.clone());
    assert!(
        !output.to_string().contains("compile_error"),
        "a well-formed flow was refused: {input}\n{output}"
    );
    assert_expression(&output);

    let parsed: FlowInput = syn::parse2(input.clone()).unwrap();
    let mut errors = Errors::default();
    let graph = graph::build(parsed, &mut errors);
    assert!(errors.finish().is_ok(), "errors for {input}");
    assert_well_formed(&input, &graph);

    assert_eq!(order.len(), spec.n, "the writer lost a node of {input}");
    let names: Vec<String> = graph
        .nodes
        .iter()
        .map(|node| node.name.to_string())
        .collect();
    let expected_names: Vec<String> = order.iter().map(|&i| spec.names[i].to_owned()).collect();
    assert_eq!(names, expected_names, "nodes of {input}");

    let got: Vec<(String, String, String)> = graph
        .edges
        .iter()
        .map(|edge| {
            (
                edge.from.to_string(),
                label_text(&edge.label),
                edge.to.to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = edges
        .iter()
        .map(|edge| {
            (
                spec.names[edge.from].to_owned(),
                expected_label(&edge.label),
                spec.names[edge.to].to_owned(),
            )
        })
        .collect();
    assert_eq!(got, want, "edges of {input}");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn well_formed_graphs_are_accepted_as_written(spec in spec()) {
        check_generated(&spec);
    }
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
    let names: Vec<String> = graph.nodes.iter().map(|n| n.name.to_string()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(graph.nodes[0].out, [0, 1]);
    check_any(quote!(a >> r#a; r#a - "x" >> b));
}
