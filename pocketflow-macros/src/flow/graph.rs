//! Turns the parsed edges into the graph `flow!` expands, checking what can be checked
//! without types: each node's labels are of one kind, no edge is wired twice, every node can
//! be reached from the start.

use proc_macro2::Span;
use quote::ToTokens;
use syn::Ident;
use syn::ext::IdentExt;

use super::parse::{Edge, FlowInput, Label, Target, written};
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

/// One step of the flow: a node, or a parallel group of nodes run at once.
pub(crate) struct GraphNode {
    pub(crate) target: Target,
    pub(crate) labels: Labels,
    /// Indices into `Graph::edges` of the edges leaving this step, in source order.
    pub(crate) out: Vec<usize>,
}

impl GraphNode {
    /// The name of the step's variant in the state machine: the node's, or a group's first
    /// member's (named nowhere else in the flow, so no other step has it).
    pub(crate) fn variant(&self) -> &Ident {
        match &self.target {
            Target::Node(name) => name,
            Target::Group { members, .. } => &members[0],
        }
    }

    /// The nodes the step runs: the node, or the group's members.
    pub(crate) fn nodes(&self) -> &[Ident] {
        match &self.target {
            Target::Node(name) => std::slice::from_ref(name),
            Target::Group { members, .. } => members,
        }
    }

    /// The step as written, which names it in errors, traces and durable records: `a` or
    /// `[a, b]`.
    pub(crate) fn text(&self) -> String {
        written(&self.target)
    }

    pub(crate) fn is_group(&self) -> bool {
        matches!(self.target, Target::Group { .. })
    }
}

pub(crate) struct Graph {
    /// In order of first appearance; the first is the start step.
    pub(crate) nodes: Vec<GraphNode>,
    pub(crate) edges: Vec<Edge>,
}

impl Graph {
    /// Every node of the flow, the groups' members included, in order of first appearance:
    /// the flow's fields.
    pub(crate) fn names(&self) -> impl Iterator<Item = &Ident> {
        self.nodes.iter().flat_map(GraphNode::nodes)
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
    check_mentions(&input, errors);
    let mut graph = Graph {
        nodes: input
            .steps
            .into_iter()
            .map(|target| GraphNode {
                target,
                labels: Labels::Untyped,
                out: Vec::new(),
            })
            .collect(),
        edges: Vec::new(),
    };
    for group in graph.nodes.iter().filter(|node| node.is_group()) {
        check_group(group, errors);
    }
    for edge in input.edges {
        let name = graph.nodes[edge.from].text();
        if graph.nodes[edge.from].is_group() {
            if !matches!(edge.label, Label::Default) {
                errors.at_span(
                    label_span(&edge),
                    format!(
                        "a parallel group returns the default action, so its edges have no label: write `{name} >> next`; a member that must branch is a flow of its own"
                    ),
                );
            }
        } else {
            check_label_kind(&mut graph.nodes[edge.from], &edge, errors);
        }
        let text = label_text(&edge.label);
        if let Some(&earlier) = graph.nodes[edge.from]
            .out
            .iter()
            .find(|&&i| label_text(&graph.edges[i].label) == text)
        {
            let earlier = &graph.edges[earlier];
            let to = graph.nodes[earlier.to].text();
            errors.at_span(
                label_span(&edge),
                format!(
                    "`{name}` already has an edge for action `{text}` (to `{to}`); an action leads to one node, so remove one of the two"
                ),
            );
            errors.at_span(
                label_span(earlier),
                format!("the first edge for `{text}` from `{name}` is here"),
            );
        }
        graph.nodes[edge.from].out.push(graph.edges.len());
        graph.edges.push(edge);
    }
    check_reachable(&graph, errors);
    graph
}

/// A group has at least two members and at most what the runtime runs at once.
fn check_group(group: &GraphNode, errors: &mut Errors) {
    let Target::Group { members, bracket } = &group.target else {
        return;
    };
    match members.as_slice() {
        [] => errors.at_span(
            *bracket,
            "an empty group runs nothing; list the nodes that run at the same time, like `[web, docs]`, or remove the brackets",
        ),
        [only] => errors.at_span(
            *bracket,
            format!(
                "a group of one node is that node; write `{only}` without brackets, or add the nodes that run beside it, like `[{only}, other]`"
            ),
        ),
        _ if members.len() > MAX_MEMBERS => errors.at_span(
            *bracket,
            format!(
                "this group has {} members; a group runs at most {MAX_MEMBERS} at once: split it, or run the work as a parallel batch flow over items",
                members.len()
            ),
        ),
        _ => {}
    }
}

/// `pocketflow::__private::MAX_MEMBERS`, which the macros cannot read.
const MAX_MEMBERS: usize = 64;

/// A group's member is named once in the whole flow: any second mention of it (in a group, or
/// as a node) is an error there.
fn check_mentions(input: &FlowInput, errors: &mut Errors) {
    let members: Vec<(Ident, String)> = input
        .steps
        .iter()
        .filter_map(|step| match step {
            Target::Group { members, .. } => Some((members, written(step))),
            Target::Node(_) => None,
        })
        .flat_map(|(members, group)| members.iter().map(move |m| (m.unraw(), group.clone())))
        .collect();
    for (index, mention) in input.mentions.iter().enumerate() {
        let name = mention.unraw();
        let Some((_, group)) = members.iter().find(|(member, _)| *member == name) else {
            continue;
        };
        if input.mentions[..index]
            .iter()
            .any(|earlier| earlier.unraw() == name)
        {
            errors.at(
                mention,
                format!(
                    "`{mention}` is a member of the parallel group `{group}` and is named again here; a group member is named once in the whole flow: remove one of the two, or bind the node it stands for to another variable"
                ),
            );
        }
    }
}

fn label_span(edge: &Edge) -> Span {
    match &edge.label {
        Label::Default => edge.arrow,
        Label::Str(text) => text.span(),
        Label::Variant(path) => syn::spanned::Spanned::span(path),
    }
}

fn check_label_kind(node: &mut GraphNode, edge: &Edge, errors: &mut Errors) {
    let name = node.text();
    match (&edge.label, &node.labels) {
        (Label::Default, _) => {}
        (Label::Str(_), Labels::Untyped | Labels::Strings) => node.labels = Labels::Strings,
        (Label::Str(text), Labels::Enum(path)) => errors.at(
            text,
            format!(
                "`{}` has typed labels (`{}::..`) and this string label; label all its edges one way",
                name,
                path.to_token_stream().to_string().replace(' ', "")
            ),
        ),
        (Label::Variant(path), Labels::Untyped) => node.labels = Labels::Enum(enum_path(path)),
        (Label::Variant(path), Labels::Strings) => errors.at(
            path,
            format!("`{name}` has string labels and this typed label; label all its edges one way"),
        ),
        (Label::Variant(path), Labels::Enum(known)) => {
            let this = enum_path(path);
            if this.to_token_stream().to_string() != known.to_token_stream().to_string() {
                errors.at(
                    path,
                    format!(
                        "`{}` returns one action type, but its labels name `{}` and `{}`",
                        name,
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
    while let Some(step) = pending.pop() {
        for &edge in &graph.nodes[step].out {
            let to = graph.edges[edge].to;
            if !reached[to] {
                reached[to] = true;
                pending.push(to);
            }
        }
    }
    let start = graph.nodes[0].text();
    for (step, _) in graph
        .nodes
        .iter()
        .zip(reached)
        .filter(|(_, reached)| !reached)
    {
        let name = step.text();
        let message = format!(
            "`{name}` cannot be reached from the start node `{start}`; add an edge to it, like `{start} >> {name}`, or remove it"
        );
        match &step.target {
            Target::Node(node) => errors.at(node, message),
            Target::Group { bracket, .. } => errors.at_span(*bracket, message),
        }
    }
}
