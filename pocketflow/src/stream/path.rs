//! The paths of events: each distinct path is made once per process and then shared as a
//! plain `&'static` slice, so that an event carries its path without a reference count.
//!
//! A path is made of the step names of `flow!` and the macros, all `&'static str`, so the paths
//! a program can stream are those its flows' nesting allows: a fixed set, whatever the number
//! of runs, kept for the life of the process as `tracing` keeps its call sites. The one way to
//! more is a node written by hand whose `run_in` runs a flow holding that node again: each
//! depth the recursion reaches is a path of its own, kept as the others are.
//!
//! A thread asks the process-wide set only for a path it has not made before: each thread keeps
//! the children it made, by their parent's address and the name's, which the set makes unique.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// The names of the flows' steps down to a node: see [`Event::path`](super::Event::path).
pub(crate) type Path = &'static [&'static str];

/// Every path made so far.
static PATHS: Mutex<BTreeSet<Path>> = Mutex::new(BTreeSet::new());

/// A child path's parent and name, by address: the same key is the same path.
type ChildKey = (usize, usize, usize, usize);

thread_local! {
    /// The children this thread made.
    static CHILDREN: RefCell<HashMap<ChildKey, Path>> = RefCell::new(HashMap::new());
}

/// The path `below` followed by `name`.
pub(crate) fn child(below: Option<Path>, name: &'static str) -> Path {
    let below = below.unwrap_or_default();
    let key = (
        below.as_ptr() as usize,
        below.len(),
        name.as_ptr() as usize,
        name.len(),
    );
    if let Some(made) = CHILDREN.with(|children| children.borrow().get(&key).copied()) {
        return made;
    }
    let made = intern(below, name);
    CHILDREN.with(|children| children.borrow_mut().insert(key, made));
    made
}

/// The one copy of `below` followed by `name`.
fn intern(below: Path, name: &'static str) -> Path {
    let mut path = Vec::with_capacity(below.len() + 1);
    path.extend_from_slice(below);
    path.push(name);
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
        // On another thread, from a name at another address.
        let name = String::from("inner").leak();
        let there = std::thread::spawn(move || child(Some(outer), name));
        assert!(std::ptr::eq(inner, there.join().unwrap()));
    }
}
