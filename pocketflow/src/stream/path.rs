//! The paths of events: each distinct path is made once per process and then shared as a
//! plain `&'static` slice, so that an event carries its path without a reference count.
//!
//! A path is made of the step names of `flow!` and the macros, all `&'static str`, so the paths
//! a program can stream are those its flows' nesting allows: a fixed set, whatever the number
//! of runs. Each is kept for the life of the process, as `tracing` keeps its call sites. A run
//! asks for a path once per step of each flow it is inside (see `Level` in `context.rs`), not
//! once per event.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// The names of the flows' steps down to a node: see [`Event::path`](super::Event::path).
pub(crate) type Path = &'static [&'static str];

/// Every path made so far.
static PATHS: Mutex<BTreeSet<Path>> = Mutex::new(BTreeSet::new());

/// The path `below` followed by `name`.
pub(crate) fn child(below: Option<Path>, name: &'static str) -> Path {
    let below = below.unwrap_or_default();
    let mut path = Vec::with_capacity(below.len() + 1);
    path.extend_from_slice(below);
    path.push(name);
    intern(path)
}

/// The one copy of `path`.
fn intern(path: Vec<&'static str>) -> Path {
    let mut paths = PATHS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&made) = paths.get(path.as_slice()) {
        return made;
    }
    let made: Path = Vec::leak(path);
    paths.insert(made);
    made
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_made_once_whoever_asks() {
        let outer = child(None, "outer");
        let inner = child(Some(outer), "inner");
        assert_eq!(inner, ["outer", "inner"]);
        // Built again from other copies of the same names: the same slice.
        let again = child(Some(child(None, "outer")), "inner");
        assert!(std::ptr::eq(inner, again));
        assert!(!std::ptr::eq(inner, child(Some(outer), "other")));
    }
}
