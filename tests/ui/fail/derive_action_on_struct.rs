#[derive(pocketflow::Action)]
struct Verdict {
    approved: bool,
}

fn main() {}
