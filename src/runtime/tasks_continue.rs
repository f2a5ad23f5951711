//! `continue_with` and `unwrap`, on the scheduler C# would choose:
//! `ContinueWith` uses the current scheduler (`TaskScheduler.Current`: the
//! running task's, else the current runtime's pool).

use crate::task::schedule::Home;
use crate::task::spawn::{Spawn, Start};
use crate::task::{
    AggregateError, BoxError, ContinuationBody, ContinuationOptions, OutcomeBody, Task,
    TaskCreationOptions, TaskError, TaskKind, work_error,
};
use std::panic::Location;

/// The scheduler a continuation made here runs on: the running task's,
/// unless it hides it, else the current runtime's pool. C#:
/// `TaskScheduler.Current`.
pub(crate) fn current_scheduler_home() -> Home {
    crate::task::schedule::current_task_home().unwrap_or_else(super::current_home)
}

impl<T: Send + Sync + 'static> Task<T> {
    /// Runs `f` with this task once it completes, and returns the task of
    /// `f`'s result. `options` choose when it runs (a condition that fails
    /// ends the continuation Canceled) and where (queued to the pool, or
    /// `EXECUTE_SYNCHRONOUSLY` on the completing thread). A continuation added
    /// to a completed task still runs. Options that exclude each other
    /// (`ONLY_ON_RAN_TO_COMPLETION | ONLY_ON_FAULTED`, `LONG_RUNNING |
    /// EXECUTE_SYNCHRONOUSLY`) make the returned task Faulted at once with
    /// [`InvalidOperationError::ConflictingOptions`](crate::InvalidOperationError::ConflictingOptions) (C# throws
    /// `ArgumentOutOfRangeException` at the call). C#: `Task.ContinueWith`.
    ///
    /// ```
    /// use tasklane::{ContinuationOptions, Task};
    /// let t = Task::run(|| 20);
    /// let c = t.continue_with(|t| t.result().unwrap() + 1, ContinuationOptions::NONE);
    /// assert_eq!(c.result().unwrap(), 21);
    /// ```
    #[track_caller]
    pub fn continue_with<U, F>(&self, f: F, options: ContinuationOptions) -> Task<U>
    where
        F: FnOnce(&Task<T>) -> U + Send + 'static,
        U: Send + 'static,
    {
        let body = ContinuationBody::new(self.clone(), move |t: &Task<T>| Ok(f(t)), options);
        self.spawn_continuation(current_scheduler_home(), body, options, Location::caller())
    }

    /// As [`continue_with`](Task::continue_with), for a fallible `f`:
    /// returning `Err(e)` faults the continuation with `e` itself
    /// (recoverable by `downcast_ref`), and a [`CanceledError`](crate::task::CanceledError) faults it
    /// too, as an exception from a C# continuation delegate does (only a
    /// token given with [`continue_with_token`](Task::continue_with_token)
    /// cancels it). C#: `Task.ContinueWith` with a delegate that throws.
    ///
    /// ```
    /// use tasklane::{ContinuationOptions, Task};
    /// let c = Task::run(|| 1).try_continue_with(
    ///     |_| -> Result<u8, std::io::Error> { Err(std::io::Error::other("no")) },
    ///     ContinuationOptions::NONE,
    /// );
    /// let err = c.wait().unwrap_err();
    /// assert!(err.first().downcast_ref::<std::io::Error>().is_some());
    /// ```
    #[track_caller]
    pub fn try_continue_with<U, E, F>(&self, f: F, options: ContinuationOptions) -> Task<U>
    where
        F: FnOnce(&Task<T>) -> Result<U, E> + Send + 'static,
        E: Into<BoxError> + 'static,
        U: Send + 'static,
    {
        let body = ContinuationBody::new(
            self.clone(),
            move |t: &Task<T>| {
                f(t).map_err(|e| AggregateError::one(work_error(TaskError::new(e), None)))
            },
            options,
        );
        self.spawn_continuation(current_scheduler_home(), body, options, Location::caller())
    }
}

impl<T: Clone + Send + Sync + 'static> Task<Task<T>> {
    /// A task that completes as the inner task does: Faulted or Canceled as
    /// the outer task if it did not produce an inner task, else exactly as the
    /// inner task (all its errors). C#: `TaskExtensions.Unwrap`.
    #[track_caller]
    pub fn unwrap(&self) -> Task<T> {
        let outer = self.clone();
        let spawn = Spawn {
            home: super::current_home(),
            options: TaskCreationOptions::NONE,
            location: Location::caller(),
            kind: TaskKind::Continuation,
            start: Start::Inline,
            name: None,
        };
        spawn.spawn(OutcomeBody::new(async move {
            let outer = outer.completion().await;
            let inner = match outer.result() {
                Ok(inner) => inner,
                Err(agg) => return Err(agg),
            };
            let inner = inner.completion().await;
            inner.result()
        }))
    }
}
