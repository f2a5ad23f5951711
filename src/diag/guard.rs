//! The panic guard: every call the runtime makes into user code at a point
//! where nobody can take the panic (a destructor, a waker, a handler, the
//! worker loop itself) goes through [`contain`], which stops the unwind,
//! reports the panic through the unhandled-error path
//! ([`crate::diag::set_unhandled_error_handler`]) with the task and spawn
//! location involved, and lets the thread go on.
//!
//! Calls whose panic has an owner are not guarded here: a task body's
//! panic faults its task, a cancellation callback's panic is returned by
//! `cancel()`, a posted closure's goes to its dispatcher's handler.
//!
//! C#: none — .NET crashes the process for an exception thrown on a pool
//! thread outside any task (`AppDomain.UnhandledException`, then exit).

use super::unhandled::{ErrorOrigin, UnhandledError};
use crate::task::TaskError;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};

/// What a contained panic is reported with: what failed, and the task and
/// place it belongs to. Built only when a panic happened.
pub(crate) struct Site {
    pub(crate) origin: ErrorOrigin,
    pub(crate) location: &'static Location<'static>,
    pub(crate) task_id: Option<u64>,
}

impl Site {
    /// A site with no task: user code reached from `location`.
    pub(crate) fn at(origin: ErrorOrigin, location: &'static Location<'static>) -> Site {
        Site {
            origin,
            location,
            task_id: None,
        }
    }
}

/// Runs `f`; if it panics, reports the panic (described by `site`, called
/// only then) and returns `None`.
#[inline]
pub(crate) fn contain<R>(site: impl FnOnce() -> Site, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(panic) => {
            let site = site();
            let error = TaskError::from_panic_in(panic, site.origin.what_panicked());
            report(site, error);
            None
        }
    }
}

/// Reports a panic already caught (its payload turned into `error`).
pub(crate) fn report(site: Site, error: TaskError) {
    super::unhandled::report(&UnhandledError {
        error,
        origin: site.origin,
        location: site.location,
        task_id: site.task_id,
        context: None,
    });
}
