//! Unobserved faults: a faulted task nobody awaited, waited on or inspected
//! is reported exactly once, when its last handle drops.
//!
//! C#: `TaskScheduler.UnobservedTaskException` — raised there at some later
//! garbage collection; here deterministically.

use crate::task::AggregateError;
use crate::task::raw::RawTask;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Set by a handler that took care of the fault (shared by clones of
    /// this report).
    observed: Arc<AtomicBool>,
}

impl UnobservedFault {
    /// Marks the fault handled: under
    /// [`UnobservedFaultPolicy::Escalate`] it is then not escalated. C#:
    /// `UnobservedTaskExceptionEventArgs.SetObserved()`.
    pub fn set_observed(&self) {
        self.observed.store(true, Ordering::Release);
    }

    /// True once a handler called [`set_observed`](Self::set_observed). C#:
    /// `UnobservedTaskExceptionEventArgs.Observed`.
    pub fn observed(&self) -> bool {
        self.observed.load(Ordering::Acquire)
    }
}

/// What happens to an unobserved fault after the handler saw it and did not
/// [`set_observed`](UnobservedFault::set_observed) it. C#: the
/// `ThrowUnobservedTaskExceptions` setting.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnobservedFaultPolicy {
    /// Reported, nothing more. The default, as .NET 4.5 and later.
    #[default]
    Report,
    /// Escalated: handed on to the unhandled-error path
    /// ([`crate::diag::set_unhandled_error_handler`]), whose policy may
    /// abort the process. C#: `<ThrowUnobservedTaskExceptions
    /// enabled="true"/>`, which crashes the process.
    Escalate,
}

static POLICY: AtomicBool = AtomicBool::new(false);

/// Chooses what happens to an unobserved fault nobody marked observed,
/// returning the previous policy. Default: [`UnobservedFaultPolicy::Report`].
/// C#: the `ThrowUnobservedTaskExceptions` runtime setting.
pub fn set_unobserved_fault_policy(policy: UnobservedFaultPolicy) -> UnobservedFaultPolicy {
    let escalate = policy == UnobservedFaultPolicy::Escalate;
    if POLICY.swap(escalate, Ordering::AcqRel) {
        UnobservedFaultPolicy::Escalate
    } else {
        UnobservedFaultPolicy::Report
    }
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
/// `tracing`, also printed to stderr when no tracing subscriber is set;
/// thousands of faults from one spawn location print one line and a
/// count, "... and 7,106 more unobserved task faults from src/x.rs:12:5 in
/// the last second"). The handler itself sees every fault. C#:
/// `TaskScheduler.UnobservedTaskException += …`.
#[allow(clippy::type_complexity)] // The handler type, spelled out for the docs.
pub fn set_unobserved_fault_handler(
    handler: Option<UnobservedFaultHandler>,
) -> Option<UnobservedFaultHandler> {
    let mut h = HANDLER.write().unwrap_or_else(|p| p.into_inner());
    std::mem::replace(&mut *h, handler)
}

fn default_handler(fault: &UnobservedFault) {
    if !super::emit::admit(
        super::emit::ReportKind::UnobservedFault,
        Some(fault.location),
    ) {
        return;
    }
    tracing::error!(
        task.id = fault.task_id,
        task.location = %fault.location,
        error = %fault.errors,
        "unobserved task fault"
    );
    super::emit::stderr_line(format_args!("{fault}"));
}

/// Reported since the process started.
pub(crate) static UNOBSERVED_FAULTS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// Reports a completed, faulted, unobserved task.
pub(crate) fn report(raw: RawTask) {
    let header = raw.header();
    let Some(errors) = raw.failure() else {
        return;
    };
    UNOBSERVED_FAULTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let fault = UnobservedFault {
        task_id: header.id(),
        location: header.location,
        errors,
        observed: Arc::new(AtomicBool::new(false)),
    };
    super::observe::report(|| super::observe::Observed::UnobservedFault(fault.clone()));
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
    if POLICY.load(Ordering::Acquire) && !fault.observed() {
        super::unhandled::report(&super::UnhandledError {
            error: crate::task::TaskError::new(fault.errors.clone()),
            origin: super::ErrorOrigin::UnobservedFault,
            location: fault.location,
            task_id: Some(fault.task_id),
            context: None,
        });
    }
}
