//! Action labels: what `post` returns and what flow edges are labelled with.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// The label of a flow edge, as returned by a node's `post`.
///
/// An `Action` is a cheap string label: built from a `&'static str` it never allocates, and
/// cloning one built from a `String` only bumps a reference count. [`Action::DEFAULT`]
/// (`"default"`) is what a plain `a >> b` edge follows. Unlike Python PocketFlow, the empty
/// string is an ordinary label, not "default".
///
/// ```
/// use pocketflow::Action;
///
/// let done = Action::new("done");
/// assert_eq!(done, "done");
/// assert_eq!(done.to_string(), "done");
/// assert_eq!(Action::from(String::from("done")), done);
/// assert!(Action::default().is_default());
/// assert!(!Action::new("").is_default());
/// assert_eq!(done.len(), 4); // derefs to `str`
/// ```
#[derive(Clone)]
pub struct Action(Label);

#[derive(Clone)]
enum Label {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Action {
    /// The action a plain `a >> b` edge follows, and what `()` and `None` mean: `"default"`.
    pub const DEFAULT: Action = Action(Label::Static("default"));

    /// An action with a label known at compile time; never allocates.
    ///
    /// ```
    /// const RETRY: pocketflow::Action = pocketflow::Action::new("retry");
    /// assert_eq!(RETRY.as_str(), "retry");
    /// ```
    pub const fn new(label: &'static str) -> Action {
        Action(Label::Static(label))
    }

    /// The label as a string slice.
    ///
    /// ```
    /// assert_eq!(pocketflow::Action::DEFAULT.as_str(), "default");
    /// ```
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Label::Static(label) => label,
            Label::Shared(label) => label,
        }
    }

    /// Whether this is [`Action::DEFAULT`].
    ///
    /// ```
    /// assert!(pocketflow::Action::from("default").is_default());
    /// ```
    pub fn is_default(&self) -> bool {
        self.as_str() == "default"
    }
}

impl Default for Action {
    fn default() -> Self {
        Action::DEFAULT
    }
}

impl Deref for Action {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Action {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Action {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Action {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Action {}

impl Hash for Action {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for Action {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Action {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Action {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Action> for &str {
    fn eq(&self, other: &Action) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Action> for String {
    fn eq(&self, other: &Action) -> bool {
        self == other.as_str()
    }
}

impl From<&'static str> for Action {
    fn from(label: &'static str) -> Self {
        Action::new(label)
    }
}

impl From<String> for Action {
    fn from(label: String) -> Self {
        Action(Label::Shared(label.into()))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Action({:?})", self.as_str())
    }
}

/// The type of the actions a node returns: [`Action`], or an enum with `#[derive(Action)]`.
///
/// You do not implement this by hand: `#[derive(Action)]` does it.
///
/// ```
/// use pocketflow::{Action, ActionType};
///
/// #[derive(pocketflow::Action, Debug, Clone, Copy, PartialEq)]
/// enum Verdict { Approve, NeedsReview }
///
/// assert_eq!(Verdict::NeedsReview.label(), "needs_review");
/// assert_eq!(Verdict::Approve.into_action(), Action::new("approve"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an action type",
    label = "not an action type",
    note = "actions are `pocketflow::Action` or an enum with `#[derive(Action)]`"
)]
pub trait ActionType: Send + Sync + 'static {
    /// The label flows match string edges against and print in warnings.
    fn label(&self) -> &str;
    /// The label as an [`Action`], which is what a flow returns.
    fn into_action(self) -> Action;
    /// Whether this is the action a plain `a >> b` edge follows (always `false` for an enum
    /// without a `#[default]` variant).
    fn is_default(&self) -> bool;

    /// The label as an [`Action`], without giving up the value: what a streamed run's
    /// `Finished` event reports. A clone for `Action`, a `&'static str` for an enum.
    #[doc(hidden)]
    fn to_action(&self) -> Action {
        Action::from(self.label().to_owned())
    }
}

impl ActionType for Action {
    fn label(&self) -> &str {
        self.as_str()
    }
    fn to_action(&self) -> Action {
        self.clone()
    }
    fn into_action(self) -> Action {
        self
    }
    fn is_default(&self) -> bool {
        Action::is_default(self)
    }
}

/// An action type with a default action: the one a plain `a >> b` edge follows and that
/// `()` or `None` stand for.
///
/// [`Action`] has one ([`Action::DEFAULT`]); an enum with `#[derive(Action)]` has one when a
/// variant is marked `#[default]`.
///
/// ```
/// use pocketflow::{Action, DefaultAction};
///
/// #[derive(pocketflow::Action, Debug, PartialEq)]
/// enum Review { Approve, #[default] Revise }
///
/// assert_eq!(Review::default_action(), Review::Revise);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no default action",
    label = "this needs a default action of `{Self}`",
    note = "mark one variant of `{Self}` with `#[default]`, or label every edge from this node, like `node - {Self}::Variant >> next`"
)]
pub trait DefaultAction: ActionType {
    /// The default action.
    fn default_action() -> Self;
}

impl DefaultAction for Action {
    fn default_action() -> Self {
        Action::DEFAULT
    }
}

/// Implemented by `#[derive(Action)]` enums: the action types whose edges are labelled with
/// variants. `flow!` uses it to reject a string label or a plain edge that cannot match.
pub trait TypedActions: ActionType {}

/// What `post` may return: `()`, `&'static str`, `String`, [`Action`], an enum with
/// `#[derive(Action)]`, or an `Option` of those (`None` is the default action).
///
/// ```
/// use pocketflow::{Action, IntoAction};
///
/// assert_eq!(().into_action(), Action::DEFAULT);
/// assert_eq!("next".into_action(), "next");
/// assert_eq!(None::<&'static str>.into_action(), Action::DEFAULT);
/// assert_eq!(Some(String::from("x")).into_action(), "x");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from `post` as an action",
    label = "`post` returns `{Self}` here",
    note = "return `()`, `&'static str`, `String`, `pocketflow::Action`, an enum with `#[derive(Action)]`, or an `Option` of one of those"
)]
pub trait IntoAction {
    /// The action type this converts into; it decides how a flow matches the node's edges.
    type Action: ActionType;
    /// Converts the value.
    fn into_action(self) -> Self::Action;
}

impl IntoAction for () {
    type Action = Action;
    fn into_action(self) -> Action {
        Action::DEFAULT
    }
}

impl IntoAction for &'static str {
    type Action = Action;
    fn into_action(self) -> Action {
        Action::new(self)
    }
}

impl IntoAction for String {
    type Action = Action;
    fn into_action(self) -> Action {
        Action::from(self)
    }
}

impl IntoAction for Action {
    type Action = Action;
    fn into_action(self) -> Action {
        self
    }
}

impl<T: IntoAction> IntoAction for Option<T>
where
    T::Action: DefaultAction,
{
    type Action = T::Action;
    fn into_action(self) -> T::Action {
        match self {
            Some(action) => action.into_action(),
            None => T::Action::default_action(),
        }
    }
}

/// Implemented by [`Action`] alone: the action types whose edges are labelled with strings.
/// `flow!` checks it for every `a - "label" >> b` edge.
#[diagnostic::on_unimplemented(
    message = "this node's actions are `{Self}`, not strings",
    label = "a string label on a node whose actions are `{Self}`",
    note = "label the edge with a variant instead, like `node - {Self}::Variant >> next`"
)]
pub trait StringLabels: ActionType {}

impl StringLabels for Action {}

/// The error of parsing text as a `#[derive(Action)]` enum (its `FromStr`): the text, as
/// written, and the labels the enum accepts. How an LLM's choice becomes a checked action:
///
/// ```
/// use pocketflow::prelude::*;
///
/// #[derive(Action, Debug, PartialEq)]
/// enum Next { Search, Answer }
///
/// // Surrounding whitespace is ignored; anything else must be a label as written.
/// assert_eq!(" answer\n".parse::<Next>(), Ok(Next::Answer));
/// let error = "Serch".parse::<Next>().unwrap_err();
/// assert_eq!(error.text(), "Serch");
/// assert_eq!(error.labels(), ["search", "answer"]);
/// assert_eq!(error.to_string(), "`Serch` is not one of the actions `search`, `answer`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseActionError {
    text: String,
    labels: &'static [&'static str],
}

impl ParseActionError {
    /// The error of `text`, which is none of `labels`.
    #[doc(hidden)]
    pub fn new(text: &str, labels: &'static [&'static str]) -> ParseActionError {
        ParseActionError {
            text: text.to_owned(),
            labels,
        }
    }

    /// The text that was parsed, as it was.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The labels the enum accepts, in variant order.
    pub fn labels(&self) -> &'static [&'static str] {
        self.labels
    }
}

impl fmt::Display for ParseActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not one of the actions ", self.text)?;
        for (index, label) in self.labels.iter().enumerate() {
            let comma = if index == 0 { "" } else { ", " };
            write!(f, "{comma}`{label}`")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseActionError {}
