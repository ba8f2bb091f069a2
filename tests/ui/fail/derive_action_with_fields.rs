#[derive(pocketflow::Action)]
enum Verdict {
    Approve,
    Reject(String),
}

fn main() {}
