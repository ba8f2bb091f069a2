//! Flows as Mermaid flowcharts: `flow.to_mermaid()`.

use std::fmt::Write;

/// Writes a flowchart: nodes named by their variable names, edges in source order, nested flows
/// (and the sub-flows of batch flows) as subgraphs. Used by the code `flow!` generates.
#[derive(Debug)]
pub struct Mermaid {
    out: String,
    depth: usize,
}

impl Mermaid {
    pub(crate) fn new() -> Mermaid {
        Mermaid {
            out: String::from("flowchart TD\n"),
            depth: 1,
        }
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }

    fn line(&mut self, text: std::fmt::Arguments<'_>) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
        // Writing to a `String` cannot fail.
        let _ = self.out.write_fmt(text);
        self.out.push('\n');
    }

    /// A plain node: `id["name"]`.
    pub fn node(&mut self, id: &str, name: &str) {
        self.line(format_args!("{id}[\"{}\"]", escape(name)));
    }

    /// A subgraph `id` titled `title`, holding what `body` writes.
    pub fn subgraph(&mut self, id: &str, title: &str, body: impl FnOnce(&mut Mermaid)) {
        self.line(format_args!("subgraph {id} [\"{}\"]", escape(title)));
        self.depth += 1;
        body(self);
        self.depth -= 1;
        self.line(format_args!("end"));
    }

    /// A flow: its steps drawn by `body` inside a subgraph `id` titled `name`, or as the whole
    /// chart when `id` is empty (the flow `to_mermaid` was called on).
    pub fn flow(&mut self, id: &str, name: &str, body: impl FnOnce(&mut Mermaid)) {
        if id.is_empty() {
            body(self);
        } else {
            self.subgraph(id, name, body);
        }
    }

    /// An edge; `label` is `None` for the default action.
    pub fn edge(&mut self, from: &str, label: Option<&str>, to: &str) {
        match label {
            Some(label) => self.line(format_args!("{from} -- \"{}\" --> {to}", escape(label))),
            None => self.line(format_args!("{from} --> {to}")),
        }
    }
}

/// Mermaid labels are quoted; a quote inside one is written as its entity.
fn escape(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// Renders `flow` (anything that can describe itself as a flowchart).
pub(crate) fn render(describe: impl FnOnce(&mut Mermaid)) -> String {
    let mut mermaid = Mermaid::new();
    describe(&mut mermaid);
    mermaid.finish()
}

/// The id of `name` inside a subgraph `prefix` (`""` at the top level): Mermaid ids are global,
/// and a few words (`end` above all) are Mermaid's keywords, so those get a trailing `_`.
pub fn child_id(prefix: &str, name: &str) -> String {
    const KEYWORDS: [&str; 9] = [
        "end",
        "subgraph",
        "graph",
        "flowchart",
        "style",
        "class",
        "classDef",
        "click",
        "linkStyle",
    ];
    let id = if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}_{name}")
    };
    if KEYWORDS.contains(&id.as_str()) {
        id + "_"
    } else {
        id
    }
}
