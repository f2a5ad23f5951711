//! The continuation list of a task: what runs when it completes.
//!
//! Storage moves one way, as in .NET: empty → one → many → completed. Each
//! registration gets a key so an awaiter that is polled again replaces its
//! own waker instead of adding a second one, and can remove it when dropped.
//!
//! The completer and registrants meet on the HAS_CONTINUATIONS bit of the
//! state word (see `task/README.md`, "Continuations"): a registrant sets it
//! after pushing; the completer sets COMPLETE. Both are read-modify-writes on
//! one word, so at least one side sees the other, and exactly one drains.

use super::raw::TaskRef;
use crate::loom::sync::Mutex;
use std::task::Waker;

/// One thing to run when the task completes.
pub(crate) enum Continuation {
    /// An awaiter: wake it.
    Waker(Waker),
    /// A continuation task to run on the completing thread
    /// (ExecuteSynchronously), unless continuations must run asynchronously.
    Inline(TaskRef),
}

struct Inner {
    completed: bool,
    first: Option<Continuation>,
    rest: Vec<Option<Continuation>>,
}

pub(crate) struct ContinuationList {
    inner: Mutex<Inner>,
}

/// The result of a registration.
pub(crate) enum Registered {
    /// Stored under this key.
    Stored(usize),
    /// Stored, but the task completed without seeing it: the caller must
    /// drain the list (which includes its own continuation).
    MustDrain,
    /// The task already completed; the continuation was not stored.
    Completed(Continuation),
}

impl ContinuationList {
    pub(crate) fn new() -> ContinuationList {
        ContinuationList {
            inner: Mutex::new(Inner {
                completed: false,
                first: None,
                rest: Vec::new(),
            }),
        }
    }

    /// Stores `cont` (replacing the entry at `key` if given), then calls
    /// `publish` while still holding the lock; `publish` sets
    /// HAS_CONTINUATIONS and returns true if the task was already complete.
    pub(crate) fn register(
        &self,
        key: Option<usize>,
        cont: Continuation,
        publish: impl FnOnce() -> bool,
    ) -> Registered {
        let mut g = crate::loom::lock(&self.inner);
        if g.completed {
            return Registered::Completed(cont);
        }
        let key = match key {
            Some(0) => {
                g.first = Some(cont);
                0
            }
            Some(k) if k <= g.rest.len() => {
                g.rest[k - 1] = Some(cont);
                k
            }
            _ => {
                if g.first.is_none() && g.rest.is_empty() {
                    g.first = Some(cont);
                    0
                } else {
                    g.rest.push(Some(cont));
                    g.rest.len()
                }
            }
        };
        if publish() {
            return Registered::MustDrain;
        }
        Registered::Stored(key)
    }

    /// Replaces the waker under `key` only if it would wake something else.
    /// Returns false if the task completed meanwhile (the caller re-checks).
    pub(crate) fn update_waker(&self, key: usize, waker: &Waker) -> bool {
        let mut g = crate::loom::lock(&self.inner);
        if g.completed {
            return false;
        }
        let slot = if key == 0 {
            &mut g.first
        } else {
            match g.rest.get_mut(key - 1) {
                Some(s) => s,
                None => return false,
            }
        };
        match slot {
            Some(Continuation::Waker(w)) if w.will_wake(waker) => {}
            _ => *slot = Some(Continuation::Waker(waker.clone())),
        }
        true
    }

    /// Removes the entry under `key` (an awaiter dropped before completion).
    pub(crate) fn remove(&self, key: usize) -> Option<Continuation> {
        let mut g = crate::loom::lock(&self.inner);
        if g.completed {
            return None;
        }
        if key == 0 {
            g.first.take()
        } else {
            g.rest.get_mut(key - 1).and_then(Option::take)
        }
    }

    /// Marks the list completed and takes every entry, in registration order.
    pub(crate) fn take_all(&self) -> impl Iterator<Item = Continuation> + use<> {
        let mut g = crate::loom::lock(&self.inner);
        g.completed = true;
        let first = g.first.take();
        let rest = std::mem::take(&mut g.rest);
        drop(g);
        first.into_iter().chain(rest.into_iter().flatten())
    }

    /// How many continuations are waiting (diagnostics).
    #[allow(dead_code)] // Not called yet: kept for the contexts and diagnostics issues.
    pub(crate) fn len(&self) -> usize {
        let g = crate::loom::lock(&self.inner);
        usize::from(g.first.is_some()) + g.rest.iter().filter(|c| c.is_some()).count()
    }
}
