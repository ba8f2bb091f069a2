// Sequential and parallel batch flows, nested, with params read by prep and post.
use pocketflow::prelude::*;

#[derive(Default)]
struct Shared {
    visited: Vec<String>,
}

struct Folders;
#[batch_flow]
impl Folders {
    fn prep(&self, _: &Shared) -> [&'static str; 2] {
        ["a", "b"]
    }
}

struct Files;
#[batch_flow(parallel, limit = 2)]
impl Files {
    fn prep(&self, _: &Shared, folder: &&'static str) -> Vec<String> {
        vec![format!("{folder}/1"), format!("{folder}/2")]
    }
    async fn post(&self, shared: &mut Shared, files: Vec<String>, folder: &&'static str) -> String {
        shared.visited.push(format!("{folder}:{}", files.len()));
        format!("{folder} done")
    }
}

struct Visit;
#[node]
impl Visit {
    async fn post(&self, shared: &mut Shared, _prep: (), _exec: (), file: &String) {
        shared.visited.push(file.clone());
    }
}

fn main() {
    let visit = Visit;
    let files = Files.over(flow! { visit });
    let all = Folders.over(flow! { files });
    let mut shared = Shared::default();
    all.run_blocking(&mut shared).unwrap();
    assert_eq!(shared.visited, ["a/1", "a/2", "a:2", "b/1", "b/2", "b:2"]);
}
