use pocketflow::prelude::*;

struct Load;
#[node]
impl Load {}

struct Save;
#[node]
impl Save {}

struct Report;
#[node]
impl Report {}

fn main() {
    let load = Load;
    let save = Save;
    let report = Report;
    let _flow = flow! {
        load >> save;
        report;
    };
}
