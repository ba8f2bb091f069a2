// Phases returning `Result` aliases (`io::Result`, a crate alias), `Option` actions, and errors
// of several types.
use pocketflow::prelude::*;

type AppResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Action, Clone, Copy, PartialEq, Debug)]
enum Next {
    Again,
    #[default]
    Stop,
}

struct ReadFile;
#[node]
impl ReadFile {
    fn prep(&self, path: &std::path::PathBuf) -> std::io::Result<String> {
        Ok(path.display().to_string())
    }
    fn exec(&self, text: &str) -> AppResult<usize> {
        Ok(text.len())
    }
    fn post(&self, _path: &mut std::path::PathBuf, _text: String, len: usize) -> Option<Next> {
        (len > 100).then_some(Next::Again)
    }
}

fn main() {
    let read = ReadFile;
    let flow = flow! { read - Next::Again >> read };
    let mut path = std::path::PathBuf::from("/tmp");
    assert_eq!(flow.run_blocking(&mut path).unwrap(), "stop");
    search();
}

/// A struct whose name ends in `Result` is a plain value.
struct SearchResult {
    hits: usize,
}

struct Search;
#[node]
impl Search {
    fn exec(&self) -> SearchResult {
        SearchResult { hits: 2 }
    }
    fn post(&self, hits: &mut usize, _prep: (), found: SearchResult) {
        *hits = found.hits;
    }
}

fn search() {
    let mut hits = 0;
    Search.run_blocking(&mut hits).unwrap();
    assert_eq!(hits, 2);
}
