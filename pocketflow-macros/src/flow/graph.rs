//! Turns the parsed edges into the graph `flow!` expands, checking what can be checked
//! without types: each node's labels are of one kind, no edge is wired twice, every node can
//! be reached from the start.

use proc_macro2::Span;
use quote::ToTokens;
use syn::Ident;
use syn::ext::IdentExt;

use super::parse::{Edge, FlowInput, Label};
use crate::diag::Errors;

/// How a node's outgoing edges are labelled, which decides how its actions are matched.
pub(crate) enum Labels {
    /// Only plain edges, or none: any action type with a default.
    Untyped,
    /// String labels: the node's actions are `pocketflow::Action`.
    Strings,
    /// `Enum::Variant` labels: the node's actions are `Enum`.
    Enum(syn::Path),
}

pub(crate) struct GraphNode {
    pub(crate) name: Ident,
    pub(crate) labels: Labels,
    /// Indices into `Graph::edges` of the edges leaving this node, in source order.
    pub(crate) out: Vec<usize>,
}

pub(crate) struct Graph {
    /// In order of first appearance; the first is the start node.
    pub(crate) nodes: Vec<GraphNode>,
    pub(crate) edges: Vec<Edge>,
}

impl Graph {
    pub(crate) fn index_of(&self, name: &Ident) -> usize {
        self.nodes
            .iter()
            .position(|node| node.name.unraw() == name.unraw())
            .unwrap_or(0)
    }
}

/// The text by which a label is shown in warnings and compared for duplicates.
pub(crate) fn label_text(label: &Label) -> String {
    match label {
        Label::Default => "default".to_owned(),
        Label::Str(text) => text.value(),
        Label::Variant(path) => path.to_token_stream().to_string().replace(' ', ""),
    }
}

pub(crate) fn build(input: FlowInput, errors: &mut Errors) -> Graph {
    let mut graph = Graph {
        nodes: input
            .names
            .into_iter()
            .map(|name| GraphNode {
                name,
                labels: Labels::Untyped,
                out: Vec::new(),
            })
            .collect(),
        edges: Vec::new(),
    };
    for edge in input.edges {
        let from = graph.index_of(&edge.from);
        check_label_kind(&mut graph.nodes[from], &edge, errors);
        let text = label_text(&edge.label);
        if let Some(&earlier) = graph.nodes[from]
            .out
            .iter()
            .find(|&&i| label_text(&graph.edges[i].label) == text)
        {
            let earlier = &graph.edges[earlier];
            errors.at_span(
                label_span(&edge),
                format!(
                    "`{}` already has an edge for action `{text}` (to `{}`); an action leads to one node, so remove one of the two",
                    edge.from, earlier.to
                ),
            );
            errors.at_span(
                label_span(earlier),
                format!("the first edge for `{text}` from `{}` is here", edge.from),
            );
        }
        graph.nodes[from].out.push(graph.edges.len());
        graph.edges.push(edge);
    }
    check_reachable(&graph, errors);
    graph
}

fn label_span(edge: &Edge) -> Span {
    match &edge.label {
        Label::Default => edge.arrow,
        Label::Str(text) => text.span(),
        Label::Variant(path) => syn::spanned::Spanned::span(path),
    }
}

fn check_label_kind(node: &mut GraphNode, edge: &Edge, errors: &mut Errors) {
    match (&edge.label, &node.labels) {
        (Label::Default, _) => {}
        (Label::Str(_), Labels::Untyped | Labels::Strings) => node.labels = Labels::Strings,
        (Label::Str(text), Labels::Enum(path)) => errors.at(
            text,
            format!(
                "`{}` has typed labels (`{}::..`) and this string label; label all its edges one way",
                node.name,
                path.to_token_stream().to_string().replace(' ', "")
            ),
        ),
        (Label::Variant(path), Labels::Untyped) => node.labels = Labels::Enum(enum_path(path)),
        (Label::Variant(path), Labels::Strings) => errors.at(
            path,
            format!("`{}` has string labels and this typed label; label all its edges one way", node.name),
        ),
        (Label::Variant(path), Labels::Enum(known)) => {
            let this = enum_path(path);
            if this.to_token_stream().to_string() != known.to_token_stream().to_string() {
                errors.at(
                    path,
                    format!(
                        "`{}` returns one action type, but its labels name `{}` and `{}`",
                        node.name,
                        known.to_token_stream().to_string().replace(' ', ""),
                        this.to_token_stream().to_string().replace(' ', "")
                    ),
                );
            }
        }
    }
}

/// `Verdict::Approve` -> `Verdict`.
fn enum_path(variant: &syn::Path) -> syn::Path {
    let mut path = variant.clone();
    path.segments.pop();
    path.segments.pop_punct();
    path
}

fn check_reachable(graph: &Graph, errors: &mut Errors) {
    let mut reached = vec![false; graph.nodes.len()];
    let mut pending = vec![0];
    reached[0] = true;
    while let Some(node) = pending.pop() {
        for &edge in &graph.nodes[node].out {
            let to = graph.index_of(&graph.edges[edge].to);
            if !reached[to] {
                reached[to] = true;
                pending.push(to);
            }
        }
    }
    for (node, _) in graph
        .nodes
        .iter()
        .zip(reached)
        .filter(|(_, reached)| !reached)
    {
        errors.at(
            &node.name,
            format!(
                "`{}` cannot be reached from the start node `{}`; add an edge to it, like `{} >> {}`, or remove it",
                node.name, graph.nodes[0].name, graph.nodes[0].name, node.name
            ),
        );
    }
}
