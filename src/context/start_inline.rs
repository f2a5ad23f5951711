//! Calling an async method: `Task::start_inline` runs a future's first
//! part on the calling thread, as calling a C# `async` method runs its body
//! up to the first `await` that really suspends, and homes the rest on the
//! caller's context.

use super::home::home_for;
use super::sync_context::SynchronizationContext;
use crate::task::BoxError;
use crate::task::spawn::{Spawn, Start};
use crate::task::{AsyncBody, Outcome, Task, TaskCreationOptions, TryAsyncBody, header::TaskKind};
use std::future::Future;
use std::panic::Location;

/// Makes the task of `body` homed on the current context (a dispatcher, any
/// `SynchronizationContext`, else the current runtime's pool) and polls it
/// here once.
pub(crate) fn spawn_inline<T, B>(body: B, location: &'static Location<'static>) -> Task<T>
where
    B: Future<Output = Outcome<T>> + Send + 'static,
    T: Send + 'static,
{
    let ctx = <dyn SynchronizationContext>::current();
    Spawn {
        home: home_for(ctx.as_ref()),
        options: TaskCreationOptions::DENY_CHILD_ATTACH,
        location,
        kind: TaskKind::AsyncMethod,
        start: Start::Inline,
        name: None,
    }
    .spawn(body)
}

impl<T: Send + 'static> Task<T> {
    /// Calls an async method: polls `future` right here, on the calling
    /// thread, before returning its task, so the work up to its first
    /// `.await` that really suspends is done when this returns; the rest
    /// resumes on the context current here (the dispatcher or
    /// `SynchronizationContext` of this thread, else the pool), as a C#
    /// `await` captures it. The task is already complete if nothing
    /// suspended (Faulted if the future panicked first). Its status reads
    /// WaitingForActivation until it completes, as an async method's task
    /// does. C#: calling an `async` method (`var t = GetDataAsync();`).
    ///
    /// Compare [`Task::run_async`], which queues the future to the pool
    /// (C#: `Task.Run(async () => …)`).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use tasklane::{Task, TaskStatus};
    ///
    /// let started = Arc::new(AtomicBool::new(false));
    /// let s = started.clone();
    /// let t = Task::start_inline(async move {
    ///     s.store(true, Ordering::SeqCst); // runs inside start_inline
    ///     Task::run(|| 2).await.unwrap() * 21
    /// });
    /// assert!(started.load(Ordering::SeqCst));
    /// assert_eq!(t.result().unwrap(), 42);
    /// assert_eq!(Task::start_inline(async { 1 }).status(), TaskStatus::RanToCompletion);
    /// ```
    #[track_caller]
    pub fn start_inline<F>(future: F) -> Task<T>
    where
        F: Future<Output = T> + Send + 'static,
    {
        spawn_inline(AsyncBody::new(future), Location::caller())
    }

    /// As [`start_inline`](Task::start_inline) for a fallible future: an
    /// `Err` faults the task with the error itself, a
    /// [`CanceledError`](crate::CanceledError) cancels it, as an async
    /// method that throws `OperationCanceledException` ends Canceled —
    /// before its first suspension included, so the returned task may
    /// already be Faulted or Canceled. C#: calling an `async` method that
    /// throws.
    ///
    /// ```
    /// use tasklane::{CanceledError, Task, TaskStatus};
    /// let t = Task::<u8>::try_start_inline(async { Err(CanceledError::new()) });
    /// assert_eq!(t.status(), TaskStatus::Canceled);
    /// ```
    #[track_caller]
    pub fn try_start_inline<F, E>(future: F) -> Task<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        spawn_inline(TryAsyncBody::new(future), Location::caller())
    }
}
