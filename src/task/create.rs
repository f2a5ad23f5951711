//! The ways to make a `Task`: run work, spawn a future, create cold, or make
//! one already complete.

use super::body::{AsyncBody, ClosureBody, TryAsyncBody, TryClosureBody};
use super::completion_source::completed_task;
use super::spawn::{Spawn, Start};
use super::state::TransitionToStarted;
use super::{
    AggregateError, CanceledError, InvalidOperationError, Task, TaskCreationOptions, TaskError,
};
use crate::task::BoxError;
use std::future::Future;
use std::panic::Location;

impl<T: Send + 'static> Task<T> {
    /// Queues `f` to run on the thread pool and returns its task. A panic in
    /// `f` faults the task; the worker survives. C#: `Task.Run(() => …)`.
    ///
    /// ```
    /// let t = tasklane::Task::run(|| 6 * 7);
    /// assert_eq!(t.result().unwrap(), 42);
    /// ```
    #[track_caller]
    pub fn run<F>(f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        Spawn::work(TaskCreationOptions::DENY_CHILD_ATTACH, Location::caller())
            .spawn(ClosureBody::new(f))
    }

    /// Queues a fallible `f`: returning `Err(e)` faults the task with `e`,
    /// recoverable by `downcast_ref`. C#: `Task.Run(() => …)` with a body
    /// that throws.
    ///
    /// `e` is any error a Rust program has: a type implementing `Error`,
    /// `Box<dyn Error + Send + Sync>`, `anyhow::Error`, a `&str` — anything
    /// `Into<`[`BoxError`]`>`. One that means cancellation (a
    /// [`CanceledError`] anywhere in its `source()` chain) cancels the task
    /// instead ([`TaskError::new`]).
    ///
    /// ```
    /// use std::io;
    /// let t = tasklane::Task::try_run(|| -> Result<u8, io::Error> {
    ///     Err(io::Error::new(io::ErrorKind::NotFound, "no config"))
    /// });
    /// let err = t.wait().unwrap_err();
    /// assert_eq!(err.first().downcast_ref::<io::Error>().unwrap().kind(), io::ErrorKind::NotFound);
    /// ```
    #[track_caller]
    pub fn try_run<F, E>(f: F) -> Task<T>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Spawn::work(TaskCreationOptions::DENY_CHILD_ATTACH, Location::caller())
            .spawn(TryClosureBody::new(f, None))
    }

    /// Runs a future on the thread pool and returns its task: the async form
    /// of `run`. C#: `Task.Run(async () => …)`.
    ///
    /// ```
    /// let t = tasklane::Task::run_async(async { tasklane::yield_now().await; "done" });
    /// assert_eq!(t.result().unwrap(), "done");
    /// ```
    #[doc(alias = "spawn")]
    #[track_caller]
    pub fn run_async<Fut>(future: Fut) -> Task<T>
    where
        Fut: Future<Output = T> + Send + 'static,
    {
        Spawn::work(TaskCreationOptions::DENY_CHILD_ATTACH, Location::caller())
            .spawn(AsyncBody::new(future))
    }

    /// Runs a fallible future on the pool: `Err(e)` faults the task with `e`
    /// (a [`CanceledError`], even wrapped in another error, cancels it, as
    /// in a C# async method; see [`TaskError::new`]). `e` is anything
    /// `Into<`[`BoxError`]`>`: `anyhow::Error`, `Box<dyn Error + Send +
    /// Sync>`, `io::Error`, a user enum. C#: `Task.Run(async () => …)` with
    /// a body that throws.
    ///
    /// ```
    /// let t = tasklane::Task::try_run_async(async {
    ///     let n: u32 = "42".parse()?;
    ///     anyhow::ensure!(n > 40, "too small");
    ///     Ok::<_, anyhow::Error>(n)
    /// });
    /// assert_eq!(t.result().unwrap(), 42);
    /// ```
    #[track_caller]
    pub fn try_run_async<Fut, E>(future: Fut) -> Task<T>
    where
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Spawn::work(TaskCreationOptions::DENY_CHILD_ATTACH, Location::caller())
            .spawn(TryAsyncBody::new(future))
    }

    /// Queues `f` with explicit creation options (attach to the running
    /// parent, long-running, prefer fairness, …). C#:
    /// `Task.Factory.StartNew(…, TaskCreationOptions)`.
    #[track_caller]
    pub fn start_new<F>(f: F, options: TaskCreationOptions) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        Spawn::work(options, Location::caller()).spawn(ClosureBody::new(f))
    }

    /// Runs a future with explicit creation options. C#:
    /// `Task.Factory.StartNew(async () => …, options).Unwrap()`.
    #[track_caller]
    pub fn start_new_async<Fut>(future: Fut, options: TaskCreationOptions) -> Task<T>
    where
        Fut: Future<Output = T> + Send + 'static,
    {
        Spawn::work(options, Location::caller()).spawn(AsyncBody::new(future))
    }

    /// As [`start_new`](Task::start_new) for a fallible `f`: `Err(e)` faults
    /// the task with `e` itself (as [`try_run`](Task::try_run)). C#:
    /// `Task.Factory.StartNew(…, options)` with a body that throws.
    #[track_caller]
    pub fn try_start_new<F, E>(f: F, options: TaskCreationOptions) -> Task<T>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Spawn::work(options, Location::caller()).spawn(TryClosureBody::new(f, None))
    }

    /// As [`start_new_async`](Task::start_new_async) for a fallible future:
    /// `Err(e)` faults the task with `e`, a [`CanceledError`] cancels it (as
    /// [`try_run_async`](Task::try_run_async)). C#:
    /// `Task.Factory.StartNew(async () => …, options).Unwrap()`.
    #[track_caller]
    pub fn try_start_new_async<Fut, E>(future: Fut, options: TaskCreationOptions) -> Task<T>
    where
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Spawn::work(options, Location::caller()).spawn(TryAsyncBody::new(future))
    }

    /// Creates a cold task (status `Created`) that runs `f` only after
    /// [`start`](Task::start). C#: `new Task<T>(() => …)`.
    #[track_caller]
    pub fn new<F>(f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        Self::new_with_options(f, TaskCreationOptions::NONE)
    }

    /// Creates a cold task with options. C#: `new Task<T>(…, options)`.
    #[track_caller]
    pub fn new_with_options<F>(f: F, options: TaskCreationOptions) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let mut spawn = Spawn::work(options, Location::caller());
        spawn.start = Start::Cold;
        spawn.spawn(ClosureBody::new(f))
    }
}

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
