//! Unobserved faults: a faulted task nobody awaited, waited on or inspected
//! is reported exactly once, when its last handle drops.
//!
//! C#: `TaskScheduler.UnobservedTaskException` — raised there at some later
//! garbage collection; here deterministically.

use crate::task::AggregateError;
use crate::task::raw::RawTask;
use std::fmt;
use std::panic::Location;
use std::sync::{Arc, RwLock};

/// A faulted task whose errors nobody observed. C#:
/// `UnobservedTaskExceptionEventArgs`.
#[derive(Clone, Debug)]
pub struct UnobservedFault {
    /// The task's id.
    pub task_id: u64,
    /// Where the task (or its completion source) was created.
    pub location: &'static Location<'static>,
    /// Every error the task ended with.
    pub errors: AggregateError,
}

impl fmt::Display for UnobservedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task {} created at {} faulted and nobody observed it: {}",
            self.task_id, self.location, self.errors
        )
    }
}

/// A handler for unobserved faults. C#: an
/// `EventHandler<UnobservedTaskExceptionEventArgs>` on
/// `TaskScheduler.UnobservedTaskException`.
pub type UnobservedFaultHandler = Arc<dyn Fn(&UnobservedFault) + Send + Sync>;

type Handler = UnobservedFaultHandler;

static HANDLER: RwLock<Option<Handler>> = RwLock::new(None);

/// Installs the process-wide handler for unobserved faults, returning the
/// previous one; `None` restores the default (an error event through
/// `tracing`, also printed to stderr when no tracing subscriber is set). C#:
/// `TaskScheduler.UnobservedTaskException += …`.
#[allow(clippy::type_complexity)] // The handler type, spelled out for the docs.
pub fn set_unobserved_fault_handler(
    handler: Option<UnobservedFaultHandler>,
) -> Option<UnobservedFaultHandler> {
    let mut h = HANDLER.write().unwrap_or_else(|p| p.into_inner());
    std::mem::replace(&mut *h, handler)
}

fn default_handler(fault: &UnobservedFault) {
    tracing::error!(
        task.id = fault.task_id,
        task.location = %fault.location,
        error = %fault.errors,
        "unobserved task fault"
    );
    if !tracing::dispatcher::has_been_set() {
        eprintln!("tasklane: {fault}");
    }
}

/// Reports a completed, faulted, unobserved task.
pub(crate) fn report(raw: RawTask) {
    let header = raw.header();
    let Some(errors) = raw.failure() else {
        return;
    };
    let fault = UnobservedFault {
        task_id: header.id(),
        location: header.location,
        errors,
    };
    let handler = HANDLER.read().unwrap_or_else(|p| p.into_inner()).clone();
    // The handler is user code: a panic in it must not unwind into the
    // runtime's completion path.
    super::guard::contain(
        || super::guard::Site {
            origin: super::ErrorOrigin::Handler,
            location: fault.location,
            task_id: Some(fault.task_id),
        },
        || match handler {
            Some(h) => h(&fault),
            None => default_handler(&fault),
        },
    );
}
