//! Property 3: chains of nodes and parallel groups, with a labelled edge into the chain and a
//! loop back, are accepted as written: one step per group, its members in order.

use proptest::prelude::*;
use quote::quote;

use super::*;

const POOL: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "g", "h", "plan", "web", "docs", "write", "r#type", "x1",
];

/// A chain target: how many names it takes (1: a node, 2 to 4: a group).
fn chain() -> impl Strategy<Value = (Vec<usize>, Vec<&'static str>, bool, bool)> {
    prop::collection::vec(prop_oneof![2 => Just(1usize), 1 => 2usize..=4], 1..=4).prop_flat_map(
        |sizes| {
            let total: usize = sizes.iter().sum();
            (
                Just(sizes),
                prop::sample::subsequence(POOL, total.min(POOL.len())).prop_shuffle(),
                any::<bool>(),
                any::<bool>(),
            )
        },
    )
}

fn check_chain(sizes: &[usize], names: &[&str], labelled: bool, looped: bool) {
    if sizes.iter().sum::<usize>() > names.len() {
        return;
    }
    // Each target's names, and the target as tokens and as the graph shows it.
    let mut rest = names;
    let mut targets = Vec::new();
    for &size in sizes {
        let (taken, left) = rest.split_at(size);
        rest = left;
        let idents: Vec<Ident> = taken.iter().map(|name| ident(name)).collect();
        let (tokens, text) = if size == 1 {
            let name = &idents[0];
            (quote!(#name), taken[0].to_owned())
        } else {
            (quote!([#(#idents),*]), format!("[{}]", taken.join(", ")))
        };
        targets.push((tokens, text, size > 1));
    }
    let mut statement = targets[0].0.clone();
    let mut want = Vec::new();
    for (i, (to, to_text, _)) in targets.iter().enumerate().skip(1) {
        let (from_text, from_group) = (&targets[i - 1].1, targets[i - 1].2);
        // The first edge out of a node may be labelled; a group's never are.
        if i == 1 && labelled && !from_group {
            statement.extend(quote!(- "go" >> #to));
            want.push((from_text.clone(), "go".to_owned(), to_text.clone()));
        } else {
            statement.extend(quote!(>> #to));
            want.push((from_text.clone(), "default".to_owned(), to_text.clone()));
        }
    }
    let mut input = statement;
    let (first, last) = (&targets[0], &targets[targets.len() - 1]);
    if looped && sizes.len() > 1 && !first.2 && !last.2 {
        let (from, to) = (&last.0, &first.0);
        input.extend(quote!(; #from - "again" >> #to));
        want.push((last.1.clone(), "again".to_owned(), first.1.clone()));
    }

    let output = super::super::flow(input.clone());
    assert!(
        !output.to_string().contains("compile_error"),
        "a well-formed flow was refused: {input}\n{output}"
    );
    assert_expression(&output);
    let graph = graph_of(input.clone()).unwrap();
    assert_well_formed(&input, &graph);
    let steps: Vec<String> = graph.nodes.iter().map(|step| step.text()).collect();
    let expected: Vec<String> = targets.iter().map(|(_, text, _)| text.clone()).collect();
    assert_eq!(steps, expected, "steps of {input}");
    let got: Vec<(String, String, String)> = graph
        .edges
        .iter()
        .map(|edge| {
            let (from, to) = (&graph.nodes[edge.from], &graph.nodes[edge.to]);
            (from.text(), label_text(&edge.label), to.text())
        })
        .collect();
    assert_eq!(got, want, "edges of {input}");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn chains_with_groups_are_accepted_as_written((sizes, names, labelled, looped) in chain()) {
        check_chain(&sizes, &names, labelled, looped);
    }
}

/// What each group mistake says, where.
#[test]
fn group_mistakes_are_reported_each_once() {
    let error = |input: TokenStream| graph_of(input).err().unwrap();
    assert_eq!(
        error(quote!(a >> [])),
        "an empty group runs nothing; list the nodes that run at the same time, like `[web, docs]`, or remove the brackets"
    );
    assert_eq!(
        error(quote!(a >> [b])),
        "a group of one node is that node; write `b` without brackets, or add the nodes that run beside it, like `[b, other]`"
    );
    assert_eq!(
        error(quote!(a >> [b, c]; c >> a)),
        "`c` is a member of the parallel group `[b, c]` and is named again here; a group member is named once in the whole flow: remove one of the two, or bind the node it stands for to another variable"
    );
    assert_eq!(
        error(quote!([b, c] - "x" >> a)),
        "a parallel group returns the default action, so its edges have no label: write `[b, c] >> next`; a member that must branch is a flow of its own"
    );
    // The first mention is fine wherever it is, in a group or not; each later one is an error.
    check_any(quote!(b >> [a, b]));
    check_any(quote!([a, b] >> [b, a]));
    check_any(quote!([a, r#a]));
}
