//! Parses the body of `flow! { .. }` into statements of nodes and labelled edges.
//!
//! ```text
//! flow      := statement (";" statement)* ";"?
//! statement := target (edge target)*
//! target    := NAME | "[" (NAME ("," NAME)* ","?)? "]"
//! edge      := ">>" | "-" LABEL ">>"
//! LABEL     := "string" | Enum::Variant
//! ```
//!
//! A bracketed list is a parallel group: one step of the flow, whatever its members (checked
//! in `graph`: at least two, each named once).

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Token};

/// An edge label as written.
pub(crate) enum Label {
    /// `a >> b`: the default action.
    Default,
    /// `a - "label" >> b`.
    Str(LitStr),
    /// `a - Enum::Variant >> b`.
    Variant(syn::Path),
}

/// What an edge leaves from or leads to: a node, or a parallel group of them.
pub(crate) enum Target {
    Node(Ident),
    Group {
        members: Vec<Ident>,
        /// The whole `[..]`.
        bracket: Span,
    },
}

/// One `from - label >> to` edge, between steps (indices into `FlowInput::steps`).
pub(crate) struct Edge {
    pub(crate) from: usize,
    pub(crate) label: Label,
    pub(crate) to: usize,
    /// The first `>` of the `>>`, where a plain edge's checks land.
    pub(crate) arrow: Span,
}

/// The whole body of `flow!`: the steps in order of first appearance (a node once, however often
/// it is named; each group where it is written), the edges, and every name as written, in order.
pub(crate) struct FlowInput {
    pub(crate) steps: Vec<Target>,
    pub(crate) edges: Vec<Edge>,
    pub(crate) mentions: Vec<Ident>,
}

impl FlowInput {
    /// The step `target` is, added if it is new.
    fn add_step(&mut self, target: Target) -> usize {
        match &target {
            Target::Node(name) => self.mentions.push(name.clone()),
            Target::Group { members, .. } => self.mentions.extend(members.iter().cloned()),
        }
        // `r#a` and `a` are one variable.
        if let Target::Node(name) = &target {
            let known = self.steps.iter().position(
                |step| matches!(step, Target::Node(known) if known.unraw() == name.unraw()),
            );
            if let Some(known) = known {
                return known;
            }
        }
        self.steps.push(target);
        self.steps.len() - 1
    }
}

impl Parse for FlowInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut flow = FlowInput {
            steps: Vec::new(),
            edges: Vec::new(),
            mentions: Vec::new(),
        };
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "a flow needs at least one node; name the start node first, like `flow! { start >> next }`",
            ));
        }
        while !input.is_empty() {
            let first = target(input)?;
            let mut from_text = written(&first);
            let mut from = flow.add_step(first);
            while !input.is_empty() && !input.peek(Token![;]) {
                let (label, arrow) = edge(input, &from_text)?;
                if input.is_empty() || input.peek(Token![;]) {
                    return Err(syn::Error::new(
                        arrow,
                        format!(
                            "this edge from `{from_text}` goes nowhere; name the node it leads to after `>>`"
                        ),
                    ));
                }
                let to = target(input)?;
                from_text = written(&to);
                let to = flow.add_step(to);
                flow.edges.push(Edge {
                    from,
                    label,
                    to,
                    arrow,
                });
                from = to;
            }
            if !input.is_empty() {
                input.parse::<Token![;]>()?;
            }
        }
        Ok(flow)
    }
}

/// A target as written: `a`, or `[a, b]`.
pub(crate) fn written(target: &Target) -> String {
    match target {
        Target::Node(name) => name.to_string(),
        Target::Group { members, .. } => {
            let names: Vec<String> = members.iter().map(Ident::to_string).collect();
            format!("[{}]", names.join(", "))
        }
    }
}

fn target(input: ParseStream) -> syn::Result<Target> {
    if !input.peek(syn::token::Bracket) {
        return node_name(input).map(Target::Node);
    }
    let content;
    let bracket = syn::bracketed!(content in input);
    let mut members = Vec::new();
    while !content.is_empty() {
        members.push(node_name(&content)?);
        if content.is_empty() {
            break;
        }
        if !content.peek(Token![,]) {
            let found = describe(&content);
            return Err(content.error(format!(
                "expected `,` or `]` after a group member, found {found}; a group lists nodes, like `[web, docs]`"
            )));
        }
        content.parse::<Token![,]>()?;
    }
    Ok(Target::Group {
        members,
        bracket: bracket.span.join(),
    })
}

fn node_name(input: ParseStream) -> syn::Result<Ident> {
    // A keyword or `_` cannot name a local variable; a raw `r#fn` can.
    if input.peek(Ident::peek_any) && !input.peek(Ident) {
        let keyword = input.fork().call(Ident::parse_any)?;
        if !matches!(
            keyword.to_string().as_str(),
            "_" | "self" | "Self" | "super" | "crate"
        ) {
            return Err(input.error(format!(
                "expected the name of a node (a local variable), found the keyword `{keyword}`; a variable named so is written `r#{keyword}`"
            )));
        }
    }
    if input.peek(Ident) {
        let name = input.call(Ident::parse_any)?;
        if input.peek(Token![::]) || input.peek(Token![.]) || input.peek(syn::token::Paren) {
            return Err(syn::Error::new(
                name.span(),
                format!(
                    "`flow!` wires local variables by name; bind this node to a variable first (`let {name} = ..;`) and write `{name}` here"
                ),
            ));
        }
        return Ok(name);
    }
    let found = describe(input);
    Err(input.error(format!(
        "expected the name of a node (a local variable), found {found}"
    )))
}

/// Parses `>>` or `- LABEL >>` after `from`; returns the label and the span of the `>>`.
fn edge(input: ParseStream, from: &str) -> syn::Result<(Label, Span)> {
    if input.peek(Token![>>]) {
        let arrow: Token![>>] = input.parse()?;
        return Ok((Label::Default, arrow.spans[0]));
    }
    if input.peek(Token![-]) && !input.peek(Token![->]) {
        input.parse::<Token![-]>()?;
        let label = label(input)?;
        let arrow = arrow(input)?;
        return Ok((label, arrow));
    }
    if input.peek(Token![>])
        || input.peek(Token![->])
        || input.peek(Token![>=])
        || input.peek(Token![=>])
    {
        let found = describe(input);
        return Err(input.error(format!(
            "{found} is not an edge; write `{from} >> next`, or `{from} - \"label\" >> next`"
        )));
    }
    if input.peek(Ident::peek_any) {
        let found = describe(input);
        return Err(input.error(format!(
            "missing `;` before {found}: end each statement with `;`, or connect `{from}` to it with `>>`"
        )));
    }
    let found = describe(input);
    Err(input.error(format!(
        "expected `>>`, `- \"label\" >>` or `;` after `{from}`, found {found}"
    )))
}

fn label(input: ParseStream) -> syn::Result<Label> {
    if input.peek(LitStr) {
        return Ok(Label::Str(input.parse()?));
    }
    if input.peek(Ident::peek_any) || input.peek(Token![::]) {
        let path = syn::Path::parse_mod_style(input)?;
        if path.segments.len() < 2 {
            return Err(syn::Error::new(
                path.span(),
                "a typed label names its enum too: write `Enum::Variant`, like `Verdict::Approve`",
            ));
        }
        return Ok(Label::Variant(path));
    }
    let found = describe(input);
    Err(input.error(format!(
        "an edge label is a string like \"done\" or an enum variant like `Verdict::Approve`, found {found}"
    )))
}

fn arrow(input: ParseStream) -> syn::Result<Span> {
    if input.peek(Token![>>]) {
        let arrow: Token![>>] = input.parse()?;
        return Ok(arrow.spans[0]);
    }
    let found = describe(input);
    Err(input.error(format!("expected `>>` after the edge label, found {found}")))
}

/// The next token, quoted for an error message.
fn describe(input: ParseStream) -> String {
    match input.cursor().token_tree() {
        Some((token, _)) => format!("`{token}`"),
        None => "the end of the flow".to_owned(),
    }
}
