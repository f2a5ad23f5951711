//! Misuse of contexts, as typed errors.

use std::error::Error;
use std::fmt;

/// A context operation that cannot be done in the current state or from the
/// calling thread.
///
/// C#: the `InvalidOperationException` that `Dispatcher.VerifyAccess`,
/// `Dispatcher.Run` and `SwitchToMainThreadAsync` throw.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContextError {
    /// The call is allowed only on the dispatcher's own thread
    /// (`spawn_local`, `run`, `verify_access`).
    NotOnDispatcherThread {
        /// The dispatcher's name.
        dispatcher: String,
    },
    /// The calling thread already owns a dispatcher; a thread owns one.
    ThreadHasDispatcher {
        /// The name of the dispatcher the thread owns.
        existing: String,
    },
    /// The dispatcher or context was shut down and accepts no more work.
    ShutDown {
        /// Its name.
        context: String,
    },
    /// `run` was called while the dispatcher's loop already runs.
    AlreadyRunning {
        /// The dispatcher's name.
        dispatcher: String,
    },
    /// `switch_to` was awaited outside a tasklane task (inside `block_on`,
    /// or another executor's task): there is no task to move.
    NotInTask,
    /// The running task cannot move: its future is not `Send`, so it stays
    /// on the thread it was spawned on.
    TaskPinned {
        /// Where the task lives.
        home: String,
        /// Where it was asked to go.
        target: String,
    },
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextError::NotOnDispatcherThread { dispatcher } => write!(
                f,
                "this must be called on the thread of dispatcher '{dispatcher}'; from other threads use spawn, post or invoke"
            ),
            ContextError::ThreadHasDispatcher { existing } => write!(
                f,
                "this thread already owns dispatcher '{existing}'; use Dispatcher::current() to reach it"
            ),
            ContextError::ShutDown { context } => {
                write!(f, "{context} was shut down and accepts no more work")
            }
            ContextError::AlreadyRunning { dispatcher } => write!(
                f,
                "dispatcher '{dispatcher}' is already running its loop on this thread"
            ),
            ContextError::NotInTask => f.write_str(
                "switch_to must be awaited inside a tasklane task (Task::run_async, Dispatcher::spawn, …), not inside block_on or another executor",
            ),
            ContextError::TaskPinned { home, target } => write!(
                f,
                "this task's future is not Send, so it cannot leave {home} for {target}; spawn the part that must run there as a task of its own"
            ),
        }
    }
}

impl Error for ContextError {}
