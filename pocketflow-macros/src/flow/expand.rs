//! Writes a flow as a struct holding its nodes and a `Node` impl that runs them as a loop over
//! a local state enum: static dispatch, no allocation per transition.
//!
//! Input: `flow! { decide - "search" >> search; search >> decide }`
//!
//! Output:
//!
//! ```text
//! {
//!     struct __Flow<__N0, __N1> { decide: __N0, search: __N1, __max_steps: u64 }
//!     impl NodeInfo for __Flow<..> { type Action = Action; .. }
//!     impl Flow for __Flow<..> { fn with_max_steps(..) }
//!     impl<__S, __P, __N0, __N1> Node<__S, __P> for __Flow<__N0, __N1>
//!     where __N0: Node<__S, __P> + Sync, __N1: Node<__S, __P> + Sync, ..
//!     {
//!         fn run_node(..) { Node::run_in(self, store, params, Plain) }
//!         fn run_in<__C: RunContext<__S>>(.., mut cx: __C) { async move {
//!             enum __Step { decide, search }
//!             let (depth, resume) = cx.enter(&["decide", "search"])?;  // a durable run may resume inside
//!             let mut __at = match resume { Some(1) => __Step::search, _ => __Step::decide };
//!             loop {
//!                 __at = match __at {
//!                     __Step::decide => {
//!                         cx.at(depth, 0, "decide");
//!                         let __action = self.decide.run_in(store.reborrow(), params, cx.child()).await?;
//!                         cx.note(depth, &__action);     // cx.failed(depth, &error) on an error
//!                         let next = match label(&__action) { "search" => __Step::search, _ => return unmatched(..) };
//!                         cx.commit(depth, next as u32, &mut store).await?;   // a checkpoint, in a durable run
//!                         next
//!                     }
//!                     __Step::search => { .. if is_default(&__action) { __Step::decide } else { return unmatched(..) } }
//!                 }
//!             }
//!         } }
//!         fn commits_each_post() -> bool { true && N0::commits_each_post() && N1::commits_each_post() }
//!     }
//!     assert_node(&decide); (&&&labels_of(&decide)).string_edge(); (&&&labels_of(&search)).default_edge();
//!     __Flow { decide, search, __max_steps: u64::MAX }
//! }
//! ```
//! (every path goes through `::pocketflow::__private`).
//!
//! A group `plan >> [web, docs] >> write` is one step, under its first member's name (named
//! nowhere else), whose run is the runtime's group driver over a list of the members:
//!
//! ```text
//! __Step::web => {
//!     cx.at(depth, 1, "[web, docs]");
//!     let __action = match drive_group(&(Member(&self.web, "web"), (Member(&self.docs, "docs"), End)),
//!                                      "[web, docs]", group_codec(), store.reborrow(), params, cx.child()).await {
//!         Ok(()) => Action::DEFAULT,
//!         Err(error) => return Err(error),                // it names the member that failed
//!     };
//!     ..                                                  // the default edge, as any step
//! }
//! ```

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::graph::{Graph, GraphNode, Labels, label_text};
use super::parse::{Label, Target};
use crate::private::{private, private_at};

pub(crate) fn expand(graph: &Graph) -> TokenStream {
    let pf = private();
    // The flow's fields: every node, the groups' members included.
    let names: Vec<&Ident> = graph.names().collect();
    let params: Vec<_> = (0..names.len())
        .map(|i| format_ident!("__N{}", i))
        .collect();
    // The state machine's steps: a node, or a group under its first member's name.
    let variants: Vec<&Ident> = graph.nodes.iter().map(GraphNode::variant).collect();
    let start = variants[0];
    // The steps by index, as the durable layer resumes them by name.
    let step_names: Vec<String> = graph.nodes.iter().map(GraphNode::text).collect();

    let bounds = names.iter().zip(&params).map(|(name, param)| {
        let mut bound = quote!(#param: #pf::Node<__S, __P> + #pf::Sync,);
        let labels = graph
            .nodes
            .iter()
            .find(|node| !node.is_group() && node.variant() == *name)
            .map(|node| &node.labels);
        if let Some(Labels::Enum(path)) = labels {
            bound.extend(quote!(#param: #pf::NodeInfo<Action = #path>,));
        }
        bound
    });
    let steps = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(index, node)| step(graph, index, node));
    let resume = variants.iter().enumerate().map(|(index, variant)| {
        let index = index as u32;
        quote!(#pf::Option::Some(#index) => __Step::#variant,)
    });
    let checks = checks(graph);
    let describe = describe_steps(graph);
    // A group's members post with no checkpoint of the flow's after each, unless the run
    // follows the group; inside a parallel run it cannot (it runs as one step), so a flow with
    // a group never promises a checkpoint after every post.
    let commits = if graph.nodes.iter().any(GraphNode::is_group) {
        quote!(false)
    } else {
        quote!(true #(&& <#params as #pf::Node<__S, __P>>::commits_each_post())*)
    };

    quote! {{
        #[allow(non_camel_case_types)]
        struct __Flow<#(#params),*> {
            #(#names: #params,)*
            __max_steps: u64,
        }

        #[diagnostic::do_not_recommend]
        impl<#(#params: #pf::NodeInfo),*> #pf::NodeInfo for __Flow<#(#params),*> {
            type Action = #pf::Action;
            const NAME: &'static str = "flow";
            const IS_FLOW: bool = true;

            fn describe(&self, __mermaid: &mut #pf::Mermaid, __id: &str, __name: &str) {
                __mermaid.flow(__id, __name, |__mermaid| {
                    #describe
                });
            }
        }

        // A flow emits `T` when each of its nodes emits `T` or nothing.
        impl<__T, #(#params: #pf::Emits<__T>),*> #pf::Emits<__T> for __Flow<#(#params),*> {}

        impl<#(#params: #pf::NodeInfo),*> #pf::Flow for __Flow<#(#params),*> {
            fn with_max_steps(mut self, limit: u64) -> Self {
                self.__max_steps = limit;
                self
            }
        }

        impl<__S: #pf::Send, __P: #pf::Sync, #(#params),*> #pf::Node<__S, __P> for __Flow<#(#params),*>
        where
            #(#bounds)*
        {
            fn run_node<'__a>(
                &'__a self,
                __store: #pf::Store<'__a, __S>,
                __params: &'__a __P,
            ) -> impl #pf::Future<Output = #pf::Result<#pf::Action>> + #pf::Send + '__a {
                #pf::Node::run_in(self, __store, __params, #pf::Plain)
            }

            // A flow whose every step ends it (a lone node) never loops back.
            #[allow(unreachable_code)]
            fn run_in<'__a, __C: #pf::RunContext<__S> + '__a>(
                &'__a self,
                mut __store: #pf::Store<'__a, __S>,
                __params: &'__a __P,
                mut __cx: __C,
            ) -> impl #pf::Future<Output = #pf::Result<#pf::Action>> + #pf::Send + '__a {
                async move {
                    #[allow(non_camel_case_types)]
                    #[derive(Clone, Copy)]
                    enum __Step { #(#variants),* }
                    // A plain run makes none of the context's calls: its flows are the state
                    // machine alone.
                    let (__depth, __resume) = if __C::FOLLOWS { __cx.enter(&[#(#step_names),*])? } else { (0, #pf::Option::None) };
                    let mut __steps = #pf::StepCounter::new(self.__max_steps);
                    let mut __at = match __resume {
                        #(#resume)*
                        _ => __Step::#start,
                    };
                    loop {
                        __at = match __at {
                            #(#steps)*
                        };
                    }
                }
            }

            fn commits_each_post() -> bool {
                #commits
            }
        }

        #checks
        __Flow { #(#names,)* __max_steps: u64::MAX }
    }}
}

/// The flow's steps as `NodeInfo::describe` draws them: every node, then every edge in source
/// order, their ids inside the flow's own `__id`.
fn describe_steps(graph: &Graph) -> TokenStream {
    let pf = private();
    let id = |name: &Ident| format_ident!("__id_{}", name.unraw());
    let names: Vec<&Ident> = graph.names().collect();
    let ids: Vec<_> = names.iter().map(|name| id(name)).collect();
    let texts: Vec<_> = names.iter().map(|name| name.to_string()).collect();
    // An edge into a group forks to each member; one out of a group joins from each.
    let edges = graph.edges.iter().flat_map(|edge| {
        let label = match &edge.label {
            Label::Default => quote!(#pf::Option::None),
            Label::Str(text) => quote!(#pf::Option::Some(#text)),
            Label::Variant(path) => quote!(#pf::Option::Some(#pf::ActionType::label(&#path))),
        };
        let targets = graph.nodes[edge.to].nodes();
        graph.nodes[edge.from].nodes().iter().flat_map(move |from| {
            let (from, label) = (id(from), label.clone());
            targets.iter().map(move |to| {
                let to = id(to);
                quote!(__mermaid.edge(&#from, #label, &#to);)
            })
        })
    });
    quote! {
        #(let #ids = #pf::child_id(__id, #texts);)*
        #(#pf::NodeInfo::describe(&self.#names, __mermaid, &#ids, #texts);)*
        #(#edges)*
    }
}

/// The match arm that runs one step (a node, or a group's members) and picks the next step
/// from its action.
fn step(graph: &Graph, index: usize, node: &GraphNode) -> TokenStream {
    let pf = private();
    let name = node.variant();
    let name_text = node.text();
    let edge_texts = node
        .out
        .iter()
        .map(|&edge| label_text(&graph.edges[edge].label));
    let unmatched = quote! {
        return #pf::Ok(#pf::unmatched(#name_text, __action, &[#(#edge_texts),*]))
    };
    let default_target = node
        .out
        .iter()
        .map(|&edge| &graph.edges[edge])
        .find(|edge| matches!(edge.label, Label::Default))
        .map(|edge| graph.nodes[edge.to].variant());
    let labelled = node
        .out
        .iter()
        .map(|&edge| &graph.edges[edge])
        .filter_map(|edge| {
            let to = graph.nodes[edge.to].variant();
            match &edge.label {
                Label::Default => None,
                Label::Str(text) => Some(quote!(#text => __Step::#to,)),
                Label::Variant(path) => Some(quote!(#path => __Step::#to,)),
            }
        });
    let default_arm = default_target
        .map(|to| quote!(__action if #pf::ActionType::is_default(&__action) => __Step::#to,));
    let dispatch = match (&node.labels, node.out.is_empty()) {
        (_, true) => quote!(return #pf::Ok(#pf::ActionType::into_action(__action))),
        (Labels::Untyped, false) => quote! {
            match __action {
                #default_arm
                __action => #unmatched,
            }
        },
        (Labels::Strings, false) => quote! {
            match #pf::ActionType::label(&__action) {
                #(#labelled)*
                _ => match __action {
                    #default_arm
                    __action => #unmatched,
                },
            }
        },
        (Labels::Enum(_), false) => quote! {
            match __action {
                #(#labelled)*
                #default_arm
                __action => #unmatched,
            }
        },
    };
    let index = index as u32;
    // A step with no edge ends the flow: the flow around it (or the run) commits its post.
    let commit = if node.out.is_empty() {
        dispatch
    } else {
        quote! {
            let __next = #dispatch;
            if __C::FOLLOWS {
                __cx.commit(__depth, __next as u32, &mut __store).await?;
            }
            __next
        }
    };
    let run = match &node.target {
        Target::Node(_) => quote! {
            match #pf::Node::<__S, __P>::run_in(&self.#name, __store.reborrow(), __params, __cx.child()).await {
                #pf::Ok(__action) => __action,
                #pf::Err(__error) => {
                    if __C::FOLLOWS {
                        __cx.failed(__depth, &__error);
                    }
                    return #pf::Err(#pf::failed_at(#name_text, __error));
                }
            }
        },
        // The error names the member that failed, not the group.
        Target::Group { members, .. } => {
            let list = members.iter().rev().fold(quote!(#pf::End), |rest, member| {
                let text = member.to_string();
                quote!((#pf::Member(&self.#member, #text), #rest))
            });
            quote! {
                match #pf::drive_group(&#list, #name_text, #pf::group_codec(), __store.reborrow(), __params, __cx.child()).await {
                    #pf::Ok(()) => #pf::Action::DEFAULT,
                    #pf::Err(__error) => {
                        if __C::FOLLOWS {
                            __cx.failed(__depth, &__error);
                        }
                        return #pf::Err(__error);
                    }
                }
            }
        }
    };
    quote! {
        __Step::#name => {
            if __C::FOLLOWS {
                __cx.at(__depth, #index, #name_text);
            }
            if __steps.step(#name_text)? {
                #pf::spend_budget().await;
            }
            let __action = #run;
            if __C::FOLLOWS {
                __cx.note(__depth, &__action);
            }
            #commit
        }
    }
}

/// Calls that check that the nodes agree on what they emit: for each node `a` the macros made
/// (its emitted type known) and each node `b` after it, `b` emits the same or nothing; the
/// error lands on `b`. A flow of silent nodes, or of one emitting node, passes.
fn emits_checks(graph: &Graph) -> TokenStream {
    let pf = private();
    let mut checks = quote! {
        #[allow(unused_imports)]
        use #pf::emits_checks::Unknown as _;
    };
    // One way per pair: `b` against `a` before it says all there is.
    let names: Vec<&Ident> = graph.names().collect();
    for (index, a) in names.iter().enumerate() {
        for b in &names[index + 1..] {
            let pf = private_at(b.span());
            checks
                .extend(quote_spanned!(b.span()=> #pf::emits_checks::pair(&#a, &#b).same_emits();));
        }
    }
    checks
}

/// Calls that type-check each name and label where the user wrote it, so that a mistake is an
/// error at that token rather than an unsatisfied bound at `.run()`.
fn checks(graph: &Graph) -> TokenStream {
    let pf = private();
    let mut checks = quote! {
        #[allow(unused_imports)]
        use #pf::edge_checks::{
            KnownDeclared as _, KnownDefault as _, KnownStrings as _, TypedDefault as _,
            TypedStrings as _, UnknownDeclared as _, UnknownDefault as _, UnknownStrings as _,
        };
    };
    for name in graph.names() {
        let pf = private_at(name.span());
        checks.extend(quote_spanned!(name.span()=> #pf::assert_node(&#name);));
    }
    checks.extend(emits_checks(graph));
    // A group's edges are plain and its action is the default: nothing to check.
    for edge in graph
        .edges
        .iter()
        .filter(|edge| !graph.nodes[edge.from].is_group())
    {
        let from = graph.nodes[edge.from].variant();
        // The whole check carries the label's span (the runtime path too: an interpolated
        // token keeps its own), so that an error lands on the label alone.
        let span = match &edge.label {
            Label::Default => edge.arrow,
            Label::Str(text) => text.span(),
            Label::Variant(path) => path.span(),
        };
        let pf = private_at(span);
        checks.extend(match &edge.label {
            Label::Default => quote_spanned! {span=>
                (&&&#pf::edge_checks::labels_of(&#from)).default_edge();
            },
            // And one of the node's declared actions, when it declares them.
            Label::Str(text) => quote_spanned! {span=>
                (&&&#pf::edge_checks::labels_of(&#from)).string_edge();
                (&&#pf::edge_checks::declared_of(&#from)).declared_edge::<{ #pf::label_hash(#text) }>();
            },
            Label::Variant(path) => quote_spanned! {span=>
                #pf::edge_checks::labels_of(&#from).typed_edge(#path);
            },
        });
    }
    checks
}
