//! Property 2: well-formed flows written out from random graphs are accepted as written.

use proc_macro2::TokenStream;
use proptest::prelude::*;
use proptest::sample::Index;
use quote::quote;

use super::*;

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
    let output = super::super::flow(input.clone());
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
    let names: Vec<String> = graph.nodes.iter().map(|node| node.text()).collect();
    let expected_names: Vec<String> = order.iter().map(|&i| spec.names[i].to_owned()).collect();
    assert_eq!(names, expected_names, "nodes of {input}");

    let got: Vec<(String, String, String)> = graph
        .edges
        .iter()
        .map(|edge| {
            (
                graph.nodes[edge.from].text(),
                label_text(&edge.label),
                graph.nodes[edge.to].text(),
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
