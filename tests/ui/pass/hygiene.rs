// Generated code names nothing the user can shadow: prelude types and the runtime's crates are
// all redefined here, and every macro still expands and runs.
#![deny(unused_qualifications, unsafe_code)]
#![allow(dead_code, non_camel_case_types)]

use pocketflow::prelude::*;

struct Option;
struct Result;
struct Box;
struct Vec;
struct Send;
struct Sync;
struct Clone;
struct Ok;
struct Err;
mod tokio {}
mod futures {}
mod tracing {}
mod core {}
mod std {}

#[derive(pocketflow::Action)]
enum Verdict {
    Approve,
    #[default]
    Revise,
}

struct Shared {
    words: ::std::vec::Vec<::std::string::String>,
    verdicts: u32,
}

struct Split;
#[node(max_retries = 2, wait = "1ms")]
impl Split {
    fn prep(&self, shared: &Shared) -> ::std::string::String {
        shared.words.join(" ")
    }
    async fn exec(&self, text: ::std::string::String) -> ::core::result::Result<usize, ::std::string::String> {
        ::core::result::Result::Ok(text.len())
    }
    fn exec_fallback(&self, _text: &::std::string::String, _err: Error) -> usize {
        0
    }
    fn post(&self, shared: &mut Shared, _text: ::std::string::String, len: usize) -> Verdict {
        shared.verdicts += 1;
        if len > 3 { Verdict::Approve } else { Verdict::Revise }
    }
}

struct Upper;
#[batch_node(parallel, limit = 2)]
impl Upper {
    fn prep(&self, shared: &Shared) -> ::std::vec::Vec<::std::string::String> {
        shared.words.clone()
    }
    async fn exec(&self, word: &str) -> ::std::string::String {
        word.to_uppercase()
    }
    fn post(&self, shared: &mut Shared, _words: ::std::vec::Vec<::std::string::String>, upper: ::std::vec::Vec<::std::string::String>) {
        shared.words = upper;
    }
}

struct Twice;
#[batch_flow]
impl Twice {
    fn prep(&self, _: &Shared) -> [u8; 2] {
        [1, 2]
    }
}

struct Tick;
#[node]
impl Tick {
    fn post(&self, shared: &mut Shared, _prep: (), _exec: (), _round: &u8) {
        shared.verdicts += 10;
    }
}

fn main() {
    let split = Split;
    let upper = Upper;
    let tick = Tick;
    let ticks = Twice.over(flow! { tick });
    let flow = flow! {
        split - Verdict::Approve >> upper;
        split >> ticks;
        upper >> ticks;
    };
    let mut shared = Shared { words: ::std::vec!["ab".into(), "cd".into()], verdicts: 0 };
    flow.run_blocking(&mut shared).unwrap();
    ::std::assert_eq!(shared.words, ["AB", "CD"]);
    ::std::assert_eq!(shared.verdicts, 21);
}
