//! Something every thread of a runtime runs inside, and that stops with it:
//! the Tokio bridge (`compat::tokio_bridge`, feature `tokio-compat`) uses it
//! to put Tokio's context on each of the runtime's threads, so Tokio-based
//! crates work inside tasks. The pool knows only this trait.
//!
//! Where a thread runs inside the hook: every pool thread (workers and the
//! threads added for blocking) for its whole life, `LongRunning` threads,
//! a dispatcher's loop, `block_on` on a thread that is none of these, and a
//! pool task's continuation run inline on such a thread.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

/// A context for a runtime's threads (see the module docs).
pub(crate) trait ThreadHook: Send + Sync + 'static {
    /// Runs `f` inside the context.
    fn run(&self, f: &mut dyn FnMut());

    /// The runtime is shutting down: stop what the hook started, by
    /// `deadline` (its threads are joined with the pool's).
    fn shutdown(&self, deadline: Instant);

    /// For the runtime to find the concrete type.
    #[cfg_attr(not(feature = "tokio-compat"), allow(dead_code))]
    fn as_any(&self) -> &dyn std::any::Any;
}

/// Runs `f` inside `hook`, or just runs it.
pub(crate) fn run_in<R>(hook: Option<&Arc<dyn ThreadHook>>, f: impl FnOnce() -> R) -> R {
    match hook {
        None => f(),
        Some(h) => {
            let mut f = Some(f);
            let mut out = None;
            h.run(&mut || {
                if let Some(f) = f.take() {
                    out = Some(f());
                }
            });
            out.expect("a thread hook runs what it is given")
        }
    }
}

thread_local! {
    /// Set on a thread that must never poll a task (a hook's own thread:
    /// the Tokio bridge's driver).
    static NO_TASKS: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as one that never polls a task: a pool task's
/// continuation completed here is queued instead of run inline.
#[cfg_attr(not(feature = "tokio-compat"), allow(dead_code))]
pub(crate) fn refuse_tasks_on_this_thread() {
    NO_TASKS.with(|c| c.set(true));
}

/// True on a thread marked by [`refuse_tasks_on_this_thread`].
pub(crate) fn refuses_tasks() -> bool {
    NO_TASKS.with(Cell::get)
}
