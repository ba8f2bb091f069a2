// Every signature form of a phase: sync or async, `&S` or `&mut S`, exec by reference or by
// value, plain or `Result` returns, params, and every post return type.
use pocketflow::prelude::*;

#[derive(Default)]
struct Doc {
    text: String,
    summary: String,
}

struct Job {
    prefix: String,
}

struct ByRef;
#[node(max_retries = 2, wait = "1ms")]
impl ByRef {
    fn prep(&self, doc: &Doc) -> String {
        doc.text.clone()
    }
    async fn exec(&self, text: &String) -> Result<String, std::io::Error> {
        Ok(text.to_uppercase())
    }
    fn exec_fallback(&self, _text: &String, err: pocketflow::Error) -> String {
        err.to_string()
    }
    fn post(&self, doc: &mut Doc, _text: String, summary: String) -> &'static str {
        doc.summary = summary;
        "done"
    }
}

struct ByValue;
#[node]
impl ByValue {
    async fn prep(&self, doc: &mut Doc) -> Result<String, String> {
        Ok(doc.text.clone())
    }
    fn exec(&self, text: String) -> usize {
        text.len()
    }
    async fn post(&self, _doc: &Doc, _text: String, len: usize) -> Option<String> {
        (len > 0).then(|| len.to_string())
    }
}

struct WithParams;
#[node]
impl WithParams {
    fn prep(&self, doc: &Doc, job: &Job) -> String {
        format!("{}{}", job.prefix, doc.text)
    }
    fn post(&self, doc: &mut Doc, text: String, _exec: (), _job: &Job) -> pocketflow::Action {
        doc.summary = text;
        Action::DEFAULT
    }
}

struct Empty;
#[node]
impl Empty {}

fn main() {
    let mut doc = Doc { text: "abc".into(), ..Doc::default() };
    assert_eq!(ByRef.run_blocking(&mut doc).unwrap(), "done");
    assert_eq!(ByValue.run_blocking(&mut doc).unwrap(), "3");
    Empty.run_blocking(&mut doc).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(WithParams.run_with(&mut doc, &Job { prefix: ">".into() })).unwrap();
    assert_eq!(doc.summary, ">abc");
}
