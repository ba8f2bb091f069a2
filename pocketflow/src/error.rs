//! The one error type of a run.

use std::fmt;

/// A boxed error from user code: anything that converts into it can be returned from a phase
/// (`anyhow::Error`, `std::io::Error`, `String`, any `std::error::Error + Send + Sync`).
///
/// ```
/// let boxed: pocketflow::BoxError = "no route to host".into();
/// assert_eq!(boxed.to_string(), "no route to host");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error type.
///
/// ```
/// fn run() -> pocketflow::Result<u32> {
///     Ok(1)
/// }
/// assert_eq!(run().unwrap(), 1);
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A phase of a node, as named in an [`Error`] and in `tracing` output.
///
/// ```
/// assert_eq!(pocketflow::Phase::ExecFallback.to_string(), "exec_fallback");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// `prep`: reads the shared store.
    Prep,
    /// `exec`: the retried work.
    Exec,
    /// `exec_fallback`: runs after the last failed `exec` attempt.
    ExecFallback,
    /// `post`: writes back and picks the action.
    Post,
}

impl Phase {
    /// The method name of the phase.
    ///
    /// ```
    /// assert_eq!(pocketflow::Phase::Prep.as_str(), "prep");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prep => "prep",
            Phase::Exec => "exec",
            Phase::ExecFallback => "exec_fallback",
            Phase::Post => "post",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong, in broad strokes; [`Error`]'s accessors give the details.
///
/// ```
/// use pocketflow::ErrorKind;
/// assert_ne!(ErrorKind::Phase, ErrorKind::MaxSteps);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A phase of a node returned an error ([`Error::phase`] says which).
    Phase,
    /// A flow ran more steps than its `with_max_steps` limit.
    MaxSteps,
    /// A run setting is invalid, such as `with_max_retries(0)`.
    InvalidConfig,
    /// The async runtime cannot give the run what it needs: `run_blocking` was called inside
    /// an async task or could not start a runtime, or a node's timeout or retry wait found no
    /// tokio timer (a runtime built without `enable_time()`, or none at all).
    Runtime,
    /// A phase returned an [`Interrupt`](crate::Interrupt): the run waits for a person. A
    /// durable run reports it as `Outcome::Interrupted` instead.
    Interrupted,
    /// A durable run could not read or write its checkpoints, or its checkpoint belongs to a
    /// flow of another shape; `Error::durable_kind` (feature `durable`) says which.
    Durable,
    /// A distributed run could not use its queue (the server went away), or a worker could not
    /// run an item (no node registered under its name); `Error::distributed_kind` says which.
    Distributed,
}

/// What failed in the durable layer, for an error of kind [`ErrorKind::Durable`]: matched on
/// to tell a run another process moved on from a database that went away. Also at
/// `pocketflow::durable::DurableErrorKind`.
///
/// ```
/// use pocketflow::DurableErrorKind;
///
/// let error = pocketflow::Error::durable_with(DurableErrorKind::NotFound, "no run `doc-41`".into());
/// assert_eq!(error.durable_kind(), Some(DurableErrorKind::NotFound));
/// assert_eq!(pocketflow::Error::durable("disk full".into()).durable_kind(), Some(DurableErrorKind::Backend));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DurableErrorKind {
    /// The run was saved by a flow of another shape.
    ShapeChanged,
    /// Another process, or an `update`, moved the run on since this process loaded it: it
    /// stopped without committing; running again goes on from the saved state.
    Conflict,
    /// The saved store, params, items or results no longer read as the current types, or a
    /// value cannot be written as JSON that reads back (a non-finite float); the message names
    /// the type and the JSON path.
    Unreadable,
    /// The database failed or went away.
    Backend,
    /// No such run, or no such step of it.
    NotFound,
}

/// What failed in the distributed layer, for an error of kind [`ErrorKind::Distributed`]:
/// matched on to tell a fleet that lacks a node from a queue server that went away. Also at
/// `pocketflow::distributed::DistributedErrorKind`.
///
/// ```
/// use pocketflow::DistributedErrorKind;
///
/// let error = pocketflow::Error::distributed_with(DistributedErrorKind::Timeout, "no answer".into());
/// assert_eq!(error.distributed_kind(), Some(DistributedErrorKind::Timeout));
/// assert_eq!(pocketflow::Error::distributed("refused".into()).distributed_kind(), Some(DistributedErrorKind::Server));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DistributedErrorKind {
    /// The queue's server failed or went away (connecting, queueing, reading answers).
    Server,
    /// No item of a batch finished for the queue's `item_timeout`: no worker registers the
    /// node, the workers are down, or the server lost the jobs.
    Timeout,
    /// A worker has no node registered under the item's name.
    UnknownNode,
    /// An item, a result, a store or params is not JSON, or does not read back as its type on
    /// the other side (the caller and the workers run different versions).
    Unreadable,
    /// The queue gave a job up: it was started too often without an answer (each start
    /// crashed its worker).
    GivenUp,
    /// The queue or a worker is set up wrong: a URL that is not a queue's, a worker with
    /// nothing registered or with flows but no checkpoints.
    Setup,
}

/// The error of a run: which node failed, in which phase, after how many attempts, with the
/// user's error as [`source()`](std::error::Error::source).
///
/// It is `Send + Sync + 'static`, one pointer wide, and displays on one line, the user's error
/// included:
///
/// ```
/// use pocketflow::prelude::*;
///
/// struct Flaky;
///
/// #[node(max_retries = 2)]
/// impl Flaky {
///     fn exec(&self) -> Result<(), std::io::Error> {
///         Err(std::io::Error::other("connection reset"))
///     }
/// }
///
/// let err = Flaky.run_blocking(&mut ()).unwrap_err();
/// assert_eq!(err.node(), "Flaky");
/// assert_eq!(err.phase(), Some(pocketflow::Phase::Exec));
/// assert_eq!(err.attempts(), 2);
/// assert_eq!(err.to_string(), "node `Flaky` failed in exec after 2 attempts: connection reset");
/// assert!(std::error::Error::source(&err).is_some());
/// ```
pub struct Error(Box<Details>);

struct Details {
    kind: ErrorKind,
    node: &'static str,
    /// Flow step names from the outermost flow inwards, filled in as the error leaves each flow.
    path: Vec<&'static str>,
    phase: Option<Phase>,
    attempts: u32,
    item: Option<usize>,
    /// The run of the innermost batch flow the error left: its item's index, and its `Debug`
    /// form when the item has one.
    flow_item: Option<(usize, Option<String>)>,
    limit: u64,
    durable: Option<DurableErrorKind>,
    distributed: Option<DistributedErrorKind>,
    source: Option<BoxError>,
}

impl Error {
    fn new(kind: ErrorKind, node: &'static str) -> Error {
        Error(Box::new(Details {
            kind,
            node,
            path: Vec::new(),
            phase: None,
            attempts: 0,
            item: None,
            flow_item: None,
            limit: 0,
            durable: None,
            distributed: None,
            source: None,
        }))
    }

    /// A phase of `node` failed with `source`; `attempts` counts `exec` attempts (0 for
    /// `prep` and `post`).
    pub(crate) fn phase_failed(
        node: &'static str,
        phase: Phase,
        attempts: u32,
        source: BoxError,
    ) -> Error {
        let kind = if source.is::<crate::interrupt::Interrupt>() {
            ErrorKind::Interrupted
        } else {
            ErrorKind::Phase
        };
        let mut error = Error::new(kind, node);
        error.0.phase = Some(phase);
        error.0.attempts = attempts;
        error.0.source = Some(source);
        error
    }

    pub(crate) fn max_steps(limit: u64, step: &'static str) -> Error {
        let mut error = Error::new(ErrorKind::MaxSteps, step);
        error.0.limit = limit;
        error
    }

    pub(crate) fn invalid_config(node: &'static str, problem: &'static str) -> Error {
        let mut error = Error::new(ErrorKind::InvalidConfig, node);
        error.0.source = Some(problem.into());
        error
    }

    /// The error of a durable run's storage: a `durable::Checkpoints`
    /// backend returns this when it cannot read or write, with the cause as `source()`.
    ///
    /// ```
    /// let error = pocketflow::Error::durable("disk full".into());
    /// assert_eq!(error.kind(), pocketflow::ErrorKind::Durable);
    /// assert_eq!(error.to_string(), "durable run: disk full");
    /// ```
    pub fn durable(problem: BoxError) -> Error {
        Error::durable_with(DurableErrorKind::Backend, problem)
    }

    /// An error of kind [`ErrorKind::Durable`] with a [`DurableErrorKind`] other than
    /// `Backend`: a backend returns `NotFound` for a run it does not have.
    ///
    /// ```
    /// use pocketflow::DurableErrorKind;
    /// let error = pocketflow::Error::durable_with(DurableErrorKind::NotFound, "no run `x`".into());
    /// assert_eq!(error.to_string(), "durable run: no run `x`");
    /// ```
    pub fn durable_with(kind: DurableErrorKind, problem: BoxError) -> Error {
        let mut error = Error::new(ErrorKind::Durable, "");
        error.0.durable = Some(kind);
        error.0.source = Some(problem);
        error
    }

    /// What failed in the durable layer, for an error of kind [`ErrorKind::Durable`]; `None`
    /// for every other kind.
    ///
    /// ```
    /// use pocketflow::DurableErrorKind;
    /// let conflict = pocketflow::Error::durable_with(DurableErrorKind::Conflict, "moved on".into());
    /// assert_eq!(conflict.durable_kind(), Some(DurableErrorKind::Conflict));
    /// assert_eq!(pocketflow::Error::distributed("gone".into()).durable_kind(), None);
    /// ```
    pub fn durable_kind(&self) -> Option<DurableErrorKind> {
        self.0.durable
    }

    /// An error of kind [`ErrorKind::Distributed`]: the queue or a worker could not do its part,
    /// with the cause as `source()`.
    ///
    /// ```
    /// let error = pocketflow::Error::distributed("connection refused".into());
    /// assert_eq!(error.kind(), pocketflow::ErrorKind::Distributed);
    /// assert_eq!(error.to_string(), "distributed run: connection refused");
    /// ```
    pub fn distributed(problem: BoxError) -> Error {
        Error::distributed_with(DistributedErrorKind::Server, problem)
    }

    /// An error of kind [`ErrorKind::Distributed`] with a [`DistributedErrorKind`] other than
    /// `Server`.
    ///
    /// ```
    /// use pocketflow::DistributedErrorKind;
    /// let error = pocketflow::Error::distributed_with(DistributedErrorKind::UnknownNode, "no `shout`".into());
    /// assert_eq!(error.to_string(), "distributed run: no `shout`");
    /// ```
    pub fn distributed_with(kind: DistributedErrorKind, problem: BoxError) -> Error {
        let mut error = Error::new(ErrorKind::Distributed, "");
        error.0.distributed = Some(kind);
        error.0.source = Some(problem);
        error
    }

    /// What failed in the distributed layer, for an error of kind [`ErrorKind::Distributed`];
    /// `None` for every other kind.
    ///
    /// ```
    /// use pocketflow::DistributedErrorKind;
    /// let error = pocketflow::Error::distributed_with(DistributedErrorKind::GivenUp, "26 starts".into());
    /// assert_eq!(error.distributed_kind(), Some(DistributedErrorKind::GivenUp));
    /// assert_eq!(pocketflow::Error::durable("gone".into()).distributed_kind(), None);
    /// ```
    pub fn distributed_kind(&self) -> Option<DistributedErrorKind> {
        self.0.distributed
    }

    /// The [`Interrupt`](crate::Interrupt) a phase returned, for an error of kind
    /// [`ErrorKind::Interrupted`].
    ///
    /// ```
    /// # use pocketflow::prelude::*;
    /// struct Ask;
    /// #[node]
    /// impl Ask {
    ///     fn post(&self, _: &mut ()) -> Result<(), pocketflow::Interrupt> {
    ///         Err(pocketflow::Interrupt::new("approve the draft"))
    ///     }
    /// }
    /// let err = Ask.run_blocking(&mut ()).unwrap_err();
    /// assert_eq!(err.kind(), pocketflow::ErrorKind::Interrupted);
    /// assert_eq!(err.interrupt().unwrap().reason(), "approve the draft");
    /// assert_eq!(err.to_string(), "node `Ask` was interrupted in post: approve the draft");
    /// ```
    pub fn interrupt(&self) -> Option<&crate::interrupt::Interrupt> {
        self.0.source.as_ref()?.downcast_ref()
    }

    pub(crate) fn runtime(problem: BoxError) -> Error {
        Error::runtime_at("", problem)
    }

    /// A [`ErrorKind::Runtime`] error met while running node `node`.
    pub(crate) fn runtime_at(node: &'static str, problem: BoxError) -> Error {
        let mut error = Error::new(ErrorKind::Runtime, node);
        error.0.source = Some(problem);
        error
    }

    /// Marks the error as leaving the run of a batch flow's item `index`, shown as `text`;
    /// an inner batch flow's run, already marked, stays.
    pub(crate) fn in_flow_item(mut self, index: usize, text: Option<String>) -> Error {
        if self.0.flow_item.is_none() {
            self.0.flow_item = Some((index, text));
        }
        self
    }

    /// Marks the error as raised while running batch item `index`.
    pub(crate) fn on_item(mut self, index: usize) -> Error {
        self.0.item = Some(index);
        self
    }

    /// Records that the error left a flow through its step `step`.
    pub(crate) fn at_step(mut self, step: &'static str) -> Error {
        self.0.path.insert(0, step);
        self
    }

    /// What kind of failure this is.
    ///
    /// ```
    /// # use pocketflow::prelude::*;
    /// # struct Boom;
    /// # #[node] impl Boom { fn prep(&self, _: &()) -> Result<(), String> { Err("no".into()) } }
    /// let err = Boom.run_blocking(&mut ()).unwrap_err();
    /// assert_eq!(err.kind(), pocketflow::ErrorKind::Phase);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The type name of the node that failed (empty for [`ErrorKind::Runtime`]).
    ///
    /// ```
    /// # use pocketflow::prelude::*;
    /// # struct Boom;
    /// # #[node] impl Boom { fn prep(&self, _: &()) -> Result<(), String> { Err("no".into()) } }
    /// assert_eq!(Boom.run_blocking(&mut ()).unwrap_err().node(), "Boom");
    /// ```
    pub fn node(&self) -> &str {
        self.0.node
    }

    /// The names of the flow steps the error passed through, outermost first: for a node held
    /// in variable `search` inside a flow held in variable `agent` of an outer flow,
    /// `["agent", "search"]`. Empty when the node ran on its own.
    ///
    /// ```
    /// # use pocketflow::prelude::*;
    /// # struct Boom;
    /// # #[node] impl Boom { fn prep(&self, _: &()) -> Result<(), String> { Err("no".into()) } }
    /// let boom = Boom;
    /// let flow = flow! { boom };
    /// assert_eq!(flow.run_blocking(&mut ()).unwrap_err().path(), ["boom"]);
    /// ```
    pub fn path(&self) -> &[&'static str] {
        &self.0.path
    }

    /// The phase that failed, for [`ErrorKind::Phase`].
    ///
    /// ```
    /// # use pocketflow::prelude::*;
    /// # struct Boom;
    /// # #[node] impl Boom { fn prep(&self, _: &()) -> Result<(), String> { Err("no".into()) } }
    /// assert_eq!(Boom.run_blocking(&mut ()).unwrap_err().phase(), Some(Phase::Prep));
    /// ```
    pub fn phase(&self) -> Option<Phase> {
        self.0.phase
    }

    /// How many `exec` attempts were made before the failure (0 when `prep` or `post` failed).
    ///
    /// ```
    /// # use pocketflow::prelude::*;
    /// # struct Boom;
    /// # #[node] impl Boom { fn prep(&self, _: &()) -> Result<(), String> { Err("no".into()) } }
    /// assert_eq!(Boom.run_blocking(&mut ()).unwrap_err().attempts(), 0);
    /// ```
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// The index of the batch item whose `exec` failed, for batch nodes.
    ///
    /// ```
    /// # use pocketflow::prelude::*;
    /// struct Halve;
    /// #[batch_node]
    /// impl Halve {
    ///     fn prep(&self, _: &()) -> Vec<u32> { vec![4, 3] }
    ///     fn exec(&self, n: &u32) -> Result<u32, String> {
    ///         if n % 2 == 0 { Ok(n / 2) } else { Err(format!("{n} is odd")) }
    ///     }
    /// }
    /// assert_eq!(Halve.run_blocking(&mut ()).unwrap_err().item(), Some(1));
    /// ```
    pub fn item(&self) -> Option<usize> {
        self.0.item
    }

    /// The index of the item whose sub-flow run failed, for an error from inside a batch
    /// flow (the innermost one, when they nest); [`flow_item_text`](Self::flow_item_text) is
    /// the item itself, when its type has a `Debug` form.
    ///
    /// ```
    /// # use pocketflow::prelude::*;
    /// #[derive(Debug)]
    /// struct Page { number: u32 }
    ///
    /// struct Pages;
    /// #[batch_flow]
    /// impl Pages {
    ///     fn prep(&self, _: &()) -> Vec<Page> { vec![Page { number: 1 }, Page { number: 13 }] }
    /// }
    /// struct Print;
    /// #[node]
    /// impl Print {
    ///     fn prep(&self, _: &(), page: &Page) -> Result<(), String> {
    ///         if page.number == 13 { Err("unlucky".into()) } else { Ok(()) }
    ///     }
    /// }
    ///
    /// let print = Print;
    /// let error = Pages.over(flow! { print }).run_blocking(&mut ()).unwrap_err();
    /// assert_eq!(error.flow_item(), Some(1));
    /// assert_eq!(error.flow_item_text(), Some("Page { number: 13 }"));
    /// assert_eq!(
    ///     error.to_string(),
    ///     "step `print` (node `Print`) failed in prep, in the run for item 1 (Page { number: 13 }): unlucky"
    /// );
    /// ```
    pub fn flow_item(&self) -> Option<usize> {
        self.0.flow_item.as_ref().map(|(index, _)| *index)
    }

    /// The `Debug` form of the item whose sub-flow run failed (see
    /// [`flow_item`](Self::flow_item)), when its type has one.
    pub fn flow_item_text(&self) -> Option<&str> {
        self.0
            .flow_item
            .as_ref()
            .and_then(|(_, text)| text.as_deref())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let details = &self.0;
        match details.kind {
            ErrorKind::MaxSteps => {
                return write!(
                    f,
                    "flow stopped after {} steps (its max_steps) before running step `{}`",
                    details.limit, details.node
                );
            }
            ErrorKind::Runtime if details.node.is_empty() => {
                return write!(f, "cannot run: {}", self.source_text());
            }
            ErrorKind::Runtime => {
                return write!(
                    f,
                    "node `{}` cannot run: {}",
                    details.node,
                    self.source_text()
                );
            }
            ErrorKind::InvalidConfig => {
                return write!(
                    f,
                    "node `{}` is misconfigured: {}",
                    details.node,
                    self.source_text()
                );
            }
            ErrorKind::Durable => return write!(f, "durable run: {}", self.source_text()),
            ErrorKind::Distributed => {
                return write!(f, "distributed run: {}", self.source_text());
            }
            ErrorKind::Interrupted => {
                write!(f, "node `{}` was interrupted", details.node)?;
                if let Some(phase) = details.phase {
                    write!(f, " in {phase}")?;
                }
                return write!(f, ": {}", self.source_text());
            }
            ErrorKind::Phase => {}
        }
        if details.path.is_empty() {
            write!(f, "node `{}`", details.node)?;
        } else {
            write!(
                f,
                "step `{}` (node `{}`)",
                details.path.join("."),
                details.node
            )?;
        }
        let phase = details.phase.map_or("run", Phase::as_str);
        write!(f, " failed in {phase}")?;
        if let Some(item) = details.item {
            write!(f, " on item {item}")?;
        }
        if matches!(details.phase, Some(Phase::Exec | Phase::ExecFallback)) {
            let plural = if details.attempts == 1 { "" } else { "s" };
            write!(f, " after {} attempt{plural}", details.attempts)?;
        }
        match &details.flow_item {
            Some((index, Some(text))) => write!(f, ", in the run for item {index} ({text})")?,
            Some((index, None)) => write!(f, ", in the run for item {index}")?,
            None => {}
        }
        write!(f, ": {}", self.source_text())
    }
}

impl Error {
    /// The source's text on one line, so that the error `Display`s in one line (SPEC 8)
    /// whatever the user's error says: its lines are joined. `source()` keeps them.
    fn source_text(&self) -> String {
        let text = self
            .0
            .source
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        if !text.contains(['\n', '\r']) {
            return text;
        }
        let lines = text.split(['\n', '\r']).map(str::trim);
        lines
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `{:?}` is the one-line message, so that `fn main() -> pocketflow::Result<()>` prints it
/// readably; `{:#?}` shows every field.
///
/// ```
/// # use pocketflow::prelude::*;
/// # struct Boom;
/// # #[node] impl Boom { fn prep(&self, _: &()) -> Result<(), String> { Err("no".into()) } }
/// let err = Boom.run_blocking(&mut ()).unwrap_err();
/// assert_eq!(format!("{err:?}"), "node `Boom` failed in prep: no");
/// assert!(format!("{err:#?}").contains("phase: Some(\n        Prep,\n    )"));
/// ```
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        let details = &self.0;
        f.debug_struct("Error")
            .field("kind", &details.kind)
            .field("node", &details.node)
            .field("path", &details.path)
            .field("phase", &details.phase)
            .field("attempts", &details.attempts)
            .field("item", &details.item)
            .field("flow_item", &details.flow_item)
            .field("durable", &details.durable)
            .field("distributed", &details.distributed)
            .field("source", &details.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.source {
            Some(source) if self.0.kind == ErrorKind::Phase => Some(&**source),
            _ => None,
        }
    }
}
