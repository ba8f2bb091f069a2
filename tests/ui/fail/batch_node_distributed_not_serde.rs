use pocketflow::prelude::*;

struct Page {
    text: String,
}

struct Translate;

#[batch_node(parallel, distributed = "translate")]
impl Translate {
    fn prep(&self, _: &()) -> Vec<Page> {
        vec![Page { text: "une page".into() }]
    }
    async fn exec(&self, page: &Page) -> String {
        page.text.to_uppercase()
    }
}

#[derive(serde::Serialize, serde::Deserialize, Clone)]
struct Chapter {
    pages: Vec<String>,
}

struct Summary(String);

struct Summarize;

#[batch_node(parallel, distributed = "summarize")]
impl Summarize {
    fn prep(&self, _: &()) -> Vec<Chapter> {
        Vec::new()
    }
    async fn exec(&self, chapter: &Chapter) -> Result<Summary, String> {
        Ok(Summary(chapter.pages.join(" ")))
    }
}

fn main() {
    // Used in a flow: the mistakes above are the only errors.
    let translate = Translate;
    let summarize = Summarize;
    let _flow = flow! { translate >> summarize };
}
