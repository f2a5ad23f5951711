//! Unhandled errors: the failure of fire-and-forget work (`fire_and_forget`,
//! `Task::forget`, a panic in a closure posted to a `Dispatcher`) that no
//! `SynchronizationContext` took, and every panic the runtime contained
//! where it called user code on its own threads with nobody to hand the
//! panic to (a task output's destructor, a waker, a handler; see
//! [`ErrorOrigin`]).
//!
//! C#: an exception escaping an `async void` method with no context, which
//! .NET rethrows on the thread pool and so crashes the process
//! (`AppDomain.UnhandledException`). tasklane reports it to a handler with
//! the spawn location and, by default, lets the process go on;
//! [`UnhandledErrorPolicy::Abort`] restores .NET's crash.

use crate::task::TaskError;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

/// Where the runtime met an unhandled error: fire-and-forget work that
/// failed, or user code it called on its own threads that panicked with
/// nobody to hand the panic to. C#: none (.NET crashes the process for
/// every one of these).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorOrigin {
    /// Fire-and-forget work ended with an error (`fire_and_forget`,
    /// `Task::forget`). C#: an exception escaping an `async void` method.
    FireAndForget,
    /// A closure posted to a `Dispatcher` panicked. C#: an exception thrown
    /// by a `Dispatcher.BeginInvoke` callback.
    PostedWork,
    /// A task's output was dropped by the runtime (its last handle was
    /// already gone) and its destructor panicked.
    OutputDrop,
    /// A task's future was dropped by the runtime (on completion, on
    /// cancellation or at shutdown) after its outcome was fixed, and its
    /// destructor panicked.
    FutureDrop,
    /// A waker the runtime woke or dropped (a continuation, a timer, a
    /// socket, a token) panicked.
    Waker,
    /// Cancellation callbacks the runtime ran with nobody to throw to (a
    /// `cancel_after` timer fired) failed, or a callback that will never
    /// run panicked when dropped. C#: an exception from a callback of a
    /// `CancelAfter` timer, which crashes the process.
    CancellationCallback,
    /// A handler the runtime called (unobserved faults, starvation, a
    /// dispatcher's unhandled-error handler) panicked.
    Handler,
    /// A worker thread's loop itself panicked (a defect of tasklane): the
    /// worker recovered and went on.
    Runtime,
    /// A fault nobody observed, escalated because its handler did not mark
    /// it observed ([`crate::diag::UnobservedFaultPolicy::Escalate`]). C#:
    /// an `UnobservedTaskException` rethrown under
    /// `ThrowUnobservedTaskExceptions`.
    UnobservedFault,
}

impl ErrorOrigin {
    /// What panicked, for a [`PanicError`](crate::task::PanicError) caught
    /// there ("a waker panicked: …").
    pub(crate) fn what_panicked(self) -> &'static str {
        match self {
            ErrorOrigin::CancellationCallback => "a cancellation callback",
            other => other.describe(),
        }
    }

    /// What the runtime was doing, for messages ("the drop of a task's
    /// output").
    pub fn describe(self) -> &'static str {
        match self {
            ErrorOrigin::FireAndForget => "fire-and-forget work",
            ErrorOrigin::PostedWork => "work posted to a dispatcher",
            ErrorOrigin::OutputDrop => "the drop of a task's output",
            ErrorOrigin::FutureDrop => "the drop of a task's future",
            ErrorOrigin::Waker => "a waker",
            ErrorOrigin::CancellationCallback => "cancellation callbacks",
            ErrorOrigin::Handler => "a diagnostics handler",
            ErrorOrigin::Runtime => "a worker thread's loop",
            ErrorOrigin::UnobservedFault => "a task fault nobody observed",
        }
    }
}

/// A failure of work nobody can await: what it was, where it was started.
///
/// C#: the exception an `async void` method throws, as
/// `UnhandledExceptionEventArgs.ExceptionObject` carries it.
#[derive(Clone, Debug)]
pub struct UnhandledError {
    /// The failure: the error the work returned, its panic, or its
    /// cancellation.
    pub error: TaskError,
    /// What failed: fire-and-forget work, posted work, or user code the
    /// runtime called (see [`ErrorOrigin`]).
    pub origin: ErrorOrigin,
    /// Where the work was started (`fire_and_forget`, the task's spawn, or
    /// the `post`); for a contained panic, where the task involved was
    /// spawned (or the call that registered the code).
    pub location: &'static Location<'static>,
    /// The task that ran it, if it was a task (posted closures are not).
    pub task_id: Option<u64>,
    /// The `SynchronizationContext` the work had captured, if any (its
    /// name), which declined or could not take the error.
    pub context: Option<String>,
}

impl fmt::Display for UnhandledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.origin {
            ErrorOrigin::FireAndForget => write!(
                f,
                "unhandled error in fire-and-forget work started at {}",
                self.location
            )?,
            ErrorOrigin::PostedWork => {
                write!(f, "unhandled error in work posted at {}", self.location)?
            }
            ErrorOrigin::UnobservedFault => write!(
                f,
                "escalated fault nobody observed, of the task created at {}",
                self.location
            )?,
            other => write!(
                f,
                "panic in {} (contained; the thread goes on), at {}",
                other.describe(),
                self.location
            )?,
        }
        if let Some(id) = self.task_id {
            write!(f, " (task {id})")?;
        }
        if let Some(ctx) = &self.context {
            write!(f, " on {ctx}")?;
        }
        write!(f, ": {}", self.error)
    }
}

impl std::error::Error for UnhandledError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// What happens after the runtime-wide handler saw an unhandled error.
///
/// C#: .NET always terminates the process
/// (`<legacyUnhandledExceptionPolicy>` aside); tasklane goes on by default.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnhandledErrorPolicy {
    /// Report and go on. The default.
    #[default]
    Continue,
    /// Report, then abort the process, as .NET does for an `async void`
    /// failure with no context.
    Abort,
}

/// A handler for unhandled errors (runtime-wide, or a dispatcher's). C#: an
/// `UnhandledExceptionEventHandler`.
pub type UnhandledErrorHandler = Arc<dyn Fn(&UnhandledError) + Send + Sync>;

static HANDLER: RwLock<Option<UnhandledErrorHandler>> = RwLock::new(None);
static POLICY: AtomicU8 = AtomicU8::new(0);

/// Installs the runtime-wide handler for unhandled errors, returning the
/// previous one; `None` restores the default (an error event through
/// `tracing` naming the spawn location, also printed to stderr when no
/// tracing subscriber is set; identical reports from one location are
/// printed once, then counted: "... and 7,106 more unhandled errors from
/// src/x.rs:12:5 in the last second"). The handler itself sees every
/// report. A `SynchronizationContext` that takes the
/// error comes first; this handler sees only what it declined. C#:
/// `AppDomain.CurrentDomain.UnhandledException += …`.
///
/// ```
/// use std::sync::Arc;
/// use tasklane::diag::set_unhandled_error_handler;
/// let previous = set_unhandled_error_handler(Some(Arc::new(|e| eprintln!("background work failed: {e}"))));
/// set_unhandled_error_handler(previous);
/// ```
pub fn set_unhandled_error_handler(
    handler: Option<UnhandledErrorHandler>,
) -> Option<UnhandledErrorHandler> {
    let mut h = HANDLER.write().unwrap_or_else(|p| p.into_inner());
    std::mem::replace(&mut *h, handler)
}

/// Chooses whether an unhandled error aborts the process after it was
/// reported, returning the previous policy. Default:
/// [`UnhandledErrorPolicy::Continue`]. C#: .NET Framework's
/// `<legacyUnhandledExceptionPolicy>` setting; .NET (Core) has none.
pub fn set_unhandled_error_policy(policy: UnhandledErrorPolicy) -> UnhandledErrorPolicy {
    let raw = match policy {
        UnhandledErrorPolicy::Continue => 0,
        UnhandledErrorPolicy::Abort => 1,
    };
    policy_from(POLICY.swap(raw, Ordering::AcqRel))
}

/// The policy in force.
pub fn unhandled_error_policy() -> UnhandledErrorPolicy {
    policy_from(POLICY.load(Ordering::Acquire))
}

fn policy_from(raw: u8) -> UnhandledErrorPolicy {
    if raw == 1 {
        UnhandledErrorPolicy::Abort
    } else {
        UnhandledErrorPolicy::Continue
    }
}

fn default_handler(error: &UnhandledError) {
    if !super::emit::admit(
        super::emit::ReportKind::UnhandledError,
        Some(error.location),
    ) {
        return;
    }
    tracing::error!(
        task.id = error.task_id,
        task.location = %error.location,
        origin = error.origin.describe(),
        error = %error.error,
        "unhandled error"
    );
    super::emit::stderr_line(format_args!("{error}"));
}

/// Reported since the process started.
pub(crate) static UNHANDLED_ERRORS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// Reports an error no context took to the runtime-wide handler, then
/// applies the policy.
pub(crate) fn report(error: &UnhandledError) {
    UNHANDLED_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // An unobserved fault escalated here was seen as one already.
    if error.origin != ErrorOrigin::UnobservedFault {
        super::observe::report(|| super::observe::Observed::Unhandled(error.clone()));
    }
    let handler = HANDLER.read().unwrap_or_else(|p| p.into_inner()).clone();
    // The handler is user code: its panic must not unwind into whatever
    // completed the work. It has nowhere further to go than the default.
    if let Some(h) = handler {
        if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h(error))) {
            default_handler(error);
            default_handler(&UnhandledError {
                error: TaskError::from_panic_in(panic, "the unhandled-error handler"),
                origin: ErrorOrigin::Handler,
                location: error.location,
                task_id: error.task_id,
                context: Some("the unhandled-error handler".to_owned()),
            });
        }
    } else {
        default_handler(error);
    }
    if unhandled_error_policy() == UnhandledErrorPolicy::Abort {
        eprintln!("tasklane: aborting the process (UnhandledErrorPolicy::Abort): {error}");
        std::process::abort();
    }
}
