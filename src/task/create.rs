//! Starting a cold task, and tasks made already complete. (The
//! constructors that choose a scheduler for the caller, `Task::run` and
//! `Task::start_new`, are the runtime's: `runtime/tasks_factory.rs`.)

use super::completion_source::completed_task;
use super::state::TransitionToStarted;
use super::{AggregateError, CanceledError, InvalidOperationError, Task, TaskError};
use crate::task::BoxError;

impl<T> Task<T> {
    /// Schedules a cold task. Starting a task twice, or one that was not
    /// created cold, is an error. C#: `Task.Start()`.
    pub fn start(&self) -> Result<(), InvalidOperationError> {
        match self.raw().header().state.transition_to_started() {
            TransitionToStarted::Submit => {
                super::spawn::schedule_new(self.raw(), self.raw().header().options);
                Ok(())
            }
            TransitionToStarted::AlreadyStarted => Err(InvalidOperationError::TaskAlreadyStarted),
        }
    }

    /// Runs a cold task on this thread, now. C#: `Task.RunSynchronously()`.
    pub fn run_synchronously(&self) -> Result<(), InvalidOperationError> {
        match self.raw().header().state.transition_to_started() {
            TransitionToStarted::Submit => {
                super::raw::Notified(self.raw()).run();
                Ok(())
            }
            TransitionToStarted::AlreadyStarted => Err(InvalidOperationError::TaskAlreadyStarted),
        }
    }

    /// A task that already ran to completion with `value`. C#:
    /// `Task.FromResult`.
    #[track_caller]
    pub fn from_result(value: T) -> Task<T> {
        completed_task(Ok(value))
    }

    /// A task that already faulted with `error`. C#: `Task.FromException`.
    #[track_caller]
    pub fn from_error<E: Into<BoxError> + 'static>(error: E) -> Task<T> {
        let e = match TaskError::new(error) {
            TaskError::Canceled(c) => TaskError::Faulted(c.into_fault()),
            other => other,
        };
        completed_task(Err(AggregateError::one(e)))
    }

    /// A task that is already canceled. C#: `Task.FromCanceled`.
    #[track_caller]
    pub fn from_canceled() -> Task<T> {
        completed_task(Err(AggregateError::one(TaskError::Canceled(
            CanceledError::new(),
        ))))
    }

    /// A task already canceled by `token`, which must be canceled: a token
    /// that is not is misuse, [`InvalidOperationError::TokenNotCanceled`]
    /// (C#: `ArgumentOutOfRangeException`). C#: `Task.FromCanceled(token)`.
    ///
    /// ```
    /// use tasklane::{CancellationTokenSource, InvalidOperationError, Task};
    /// let cts = CancellationTokenSource::new();
    /// assert_eq!(
    ///     Task::<u8>::from_canceled_with(cts.token()).unwrap_err(),
    ///     InvalidOperationError::TokenNotCanceled
    /// );
    /// cts.cancel().unwrap();
    /// assert!(Task::<u8>::from_canceled_with(cts.token()).unwrap().is_canceled());
    /// ```
    #[track_caller]
    pub fn from_canceled_with(
        token: crate::cancel::CancellationToken,
    ) -> Result<Task<T>, InvalidOperationError> {
        if !token.is_cancellation_requested() {
            return Err(InvalidOperationError::TokenNotCanceled);
        }
        Ok(Self::canceled_by(token))
    }

    /// A task canceled by `token` (the caller knows it is canceled).
    #[track_caller]
    pub(crate) fn canceled_by(token: crate::cancel::CancellationToken) -> Task<T> {
        completed_task(Err(AggregateError::one(TaskError::Canceled(
            CanceledError::with_token(token),
        ))))
    }
}

impl Task<()> {
    /// A task that already ran to completion. C#: `Task.CompletedTask`.
    #[track_caller]
    pub fn completed() -> Task<()> {
        completed_task(Ok(()))
    }
}
