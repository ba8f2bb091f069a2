// `#[derive(Action)]` next to `#[derive(Default)]`, both reading `#[default]`.
use pocketflow::{ActionType, DefaultAction};

#[derive(pocketflow::Action, Default, Debug, PartialEq)]
enum Review {
    Approve,
    #[default]
    NeedsReview,
    HTTPRetry,
}

fn main() {
    assert_eq!(Review::default(), Review::NeedsReview);
    assert_eq!(Review::default_action(), Review::NeedsReview);
    assert_eq!(Review::Approve.label(), "approve");
    assert_eq!(Review::NeedsReview.label(), "needs_review");
    assert_eq!(Review::HTTPRetry.into_action(), "http_retry");
}
