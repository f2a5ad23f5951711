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

use super::raw::{RawTask, TaskRef};
use crate::loom::sync::Mutex;
use std::sync::Arc;
use std::task::Waker;

/// One thing to run when the task completes (`run_continuations.rs` says in
/// which order, and where).
pub(crate) enum Continuation {
    /// An awaiter: wake it. The first awaiter that is a tasklane task may
    /// run on the completing thread (.NET's await continuation).
    Waker(Waker),
    /// A `continue_with` continuation to run on the completing thread
    /// (EXECUTE_SYNCHRONOUSLY), unless continuations must run
    /// asynchronously.
    Inline(TaskRef),
    /// A `continue_with` continuation to queue on its home.
    Queue(TaskRef),
    /// A thread blocked in `wait()` from inside the poll of this task (boxed:
    /// rare, and the entry stays three words). Wake the thread; the
    /// wait-for graph reads the task as waiting on this one, so a
    /// dispatcher waiting for that task runs this one's queued work
    /// (`Dispatcher::invoke` from pool work the UI thread waits for).
    Blocked(Box<(Waker, TaskRef)>),
    /// Bookkeeping the completing thread runs inline (`when_all`,
    /// `when_any`): the input at this index completed. C#:
    /// `ITaskCompletionAction`. (A `u32` index keeps the entry at three
    /// words, as a waker's.)
    Action(Arc<dyn CompletionAction>, u32),
}

/// Code a completing task runs on its own thread for a continuation, with
/// the index its registrant gave. C#: `ITaskCompletionAction`.
pub(crate) trait CompletionAction: Send + Sync {
    /// The input registered under `index` completed.
    fn invoke(&self, index: usize);

    /// The task that waits through this action (the wait-for graph follows
    /// it as it follows a waker).
    fn waiting_task(&self) -> Option<RawTask>;
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

    /// Runs `f` under the list's lock if the task has not completed (see
    /// `awaited.rs`: `take_all` cannot pass it).
    pub(crate) fn if_pending(&self, f: impl FnOnce()) {
        let g = crate::loom::lock(&self.inner);
        if !g.completed {
            f();
        }
        drop(g);
    }

    /// Marks the list completed and takes every entry: the first, and the
    /// rest in registration order (holes where entries were removed).
    pub(crate) fn take_all(&self) -> (Option<Continuation>, Vec<Option<Continuation>>) {
        let mut g = crate::loom::lock(&self.inner);
        g.completed = true;
        let first = g.first.take();
        let rest = std::mem::take(&mut g.rest);
        (first, rest)
    }

    /// Calls `f` with every task waiting on this list: the tasks behind
    /// tasklane task wakers, and inline continuation tasks (the joinable
    /// wait follows these edges). Runs under the list lock: `f` may take a
    /// ref of a task it is given (each entry keeps its task alive) but must
    /// not block.
    pub(crate) fn for_each_waiting_task(&self, mut f: impl FnMut(super::raw::RawTask)) {
        let g = crate::loom::lock(&self.inner);
        for c in g.first.iter().chain(g.rest.iter().flatten()) {
            match c {
                Continuation::Waker(w) => {
                    if let Some(task) = super::raw::task_of_waker(w) {
                        f(task);
                    }
                }
                Continuation::Inline(task) | Continuation::Queue(task) => f(task.raw()),
                Continuation::Blocked(blocked) => f(blocked.1.raw()),
                Continuation::Action(action, _) => {
                    if let Some(task) = action.waiting_task() {
                        f(task);
                    }
                }
            }
        }
    }
}
