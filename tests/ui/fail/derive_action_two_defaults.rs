#[derive(pocketflow::Action)]
enum Verdict {
    #[default]
    Approve,
    #[default]
    Reject,
}

fn main() {}
