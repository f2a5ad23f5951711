//! The constructors that run work on a scheduler chosen for the caller:
//! `Task::run` and friends on the current runtime's pool (C#:
//! `Task.Run`, which uses `TaskScheduler.Default`), `Task::start_new` and
//! `Task::new` on the current scheduler (C#: `Task.Factory.StartNew` and
//! `new Task(…).Start()`, which use `TaskScheduler.Current`). They live with
//! the runtime: the task layer takes its scheduler as an argument.

use crate::task::spawn::{Spawn, Start};
use crate::task::{AsyncBody, ClosureBody, TryAsyncBody, TryClosureBody};
use crate::task::{BoxError, Task, TaskCreationOptions};
use std::future::Future;
use std::panic::Location;

impl Spawn {
    /// Work for the current runtime's pool. C#: `TaskScheduler.Default`.
    pub(crate) fn work(
        options: TaskCreationOptions,
        location: &'static Location<'static>,
    ) -> Spawn {
        Spawn::work_on(super::current_home(), options, location)
    }

    /// Work for the current scheduler: the running task's, unless it hides
    /// it (`HIDE_SCHEDULER`), else the current runtime's pool. C#:
    /// `TaskScheduler.Current`.
    pub(crate) fn work_on_current(
        options: TaskCreationOptions,
        location: &'static Location<'static>,
    ) -> Spawn {
        let home = crate::task::schedule::current_task_home().unwrap_or_else(super::current_home);
        Spawn::work_on(home, options, location)
    }
}

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
    /// `Into<`[`BoxError`](crate::task::BoxError)`>`. One that means cancellation (a
    /// [`CanceledError`](crate::task::CanceledError) anywhere in its `source()` chain) cancels the task
    /// instead ([`TaskError::new`](crate::task::TaskError::new)).
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
    /// (a [`CanceledError`](crate::task::CanceledError), even wrapped in another error, cancels it, as
    /// in a C# async method; see [`TaskError::new`](crate::task::TaskError::new)). `e` is anything
    /// `Into<`[`BoxError`](crate::task::BoxError)`>`: `anyhow::Error`, `Box<dyn Error + Send +
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
        Spawn::work_on_current(options, Location::caller()).spawn(ClosureBody::new(f))
    }

    /// Runs a future with explicit creation options. C#:
    /// `Task.Factory.StartNew(async () => …, options).Unwrap()`.
    #[track_caller]
    pub fn start_new_async<Fut>(future: Fut, options: TaskCreationOptions) -> Task<T>
    where
        Fut: Future<Output = T> + Send + 'static,
    {
        Spawn::work_on_current(options, Location::caller()).spawn(AsyncBody::new(future))
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
        Spawn::work_on_current(options, Location::caller()).spawn(TryClosureBody::new(f, None))
    }

    /// As [`start_new_async`](Task::start_new_async) for a fallible future:
    /// `Err(e)` faults the task with `e`, a [`CanceledError`](crate::task::CanceledError) cancels it (as
    /// [`try_run_async`](Task::try_run_async)). C#:
    /// `Task.Factory.StartNew(async () => …, options).Unwrap()`.
    #[track_caller]
    pub fn try_start_new_async<Fut, E>(future: Fut, options: TaskCreationOptions) -> Task<T>
    where
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Spawn::work_on_current(options, Location::caller()).spawn(TryAsyncBody::new(future))
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
        let mut spawn = Spawn::work_on_current(options, Location::caller());
        spawn.start = Start::Cold;
        spawn.spawn(ClosureBody::new(f))
    }
}
