//! `TaskFactory`: start tasks with a scheduler, a token and options chosen
//! once. C#: `System.Threading.Tasks.TaskFactory`.

use super::tasks_token::TokenAsyncBody;
use crate::cancel::CancellationToken;
use crate::task::spawn::Spawn;
use crate::task::{
    AsyncBody, BoxError, ClosureBody, Scheduler, Task, TaskCreationOptions, TryAsyncBody,
    TryClosureBody,
};
use std::future::Future;
use std::panic::Location;

/// Starts tasks on a chosen scheduler, with a chosen token and creation
/// options. Without a scheduler it uses the current one at each start
/// (`<dyn TaskScheduler>::current()`: the running task's, else the pool),
/// as C#'s `Task.Factory`; without a token, none.
///
/// ```
/// use tasklane::schedulers::LimitedConcurrencyScheduler;
/// use tasklane::{Task, TaskFactory};
///
/// // At most two of these run at once, whatever the pool's size.
/// let limited = LimitedConcurrencyScheduler::new(2);
/// let factory = TaskFactory::new().scheduler(limited.scheduler());
/// let tasks: Vec<Task<u64>> = (0..8).map(|i| factory.start_new(move || i * i)).collect();
/// let sum: u64 = tasks.iter().map(|t| t.result().unwrap()).sum();
/// assert_eq!(sum, 140);
/// ```
///
/// C#: `TaskFactory` (`new TaskFactory(token, creationOptions,
/// continuationOptions, scheduler)`, `StartNew`).
#[derive(Clone, Debug, Default)]
pub struct TaskFactory {
    scheduler: Option<Scheduler>,
    token: Option<CancellationToken>,
    options: TaskCreationOptions,
}

impl TaskFactory {
    /// A factory for the current scheduler, no token, no options. C#:
    /// `Task.Factory`.
    pub fn new() -> TaskFactory {
        TaskFactory::default()
    }

    /// Starts tasks on `scheduler`. C#: `new TaskFactory(scheduler)`.
    pub fn scheduler(mut self, scheduler: &Scheduler) -> TaskFactory {
        self.scheduler = Some(scheduler.clone());
        self
    }

    /// Starts tasks with `token`: a task whose token fires before it runs
    /// ends Canceled without running (on a user scheduler, once that
    /// scheduler takes it back, `TaskScheduler::try_dequeue`, or runs it).
    /// C#: `new TaskFactory(cancellationToken)`.
    pub fn token(mut self, token: &CancellationToken) -> TaskFactory {
        self.token = Some(token.clone());
        self
    }

    /// Starts tasks with `options`. C#: `new TaskFactory(creationOptions,
    /// …)`.
    pub fn creation_options(mut self, options: TaskCreationOptions) -> TaskFactory {
        self.options = options;
        self
    }

    /// The scheduler the factory was given, if any (None: the current one at
    /// each start). C#: `TaskFactory.Scheduler`.
    pub fn get_scheduler(&self) -> Option<&Scheduler> {
        self.scheduler.as_ref()
    }

    fn spawn(&self, location: &'static Location<'static>) -> Spawn {
        match &self.scheduler {
            Some(s) => Spawn::work_on(s.home.clone(), self.options, location),
            None => Spawn::work_on_current(self.options, location),
        }
    }

    /// Starts `f`. C#: `TaskFactory.StartNew(Func<T>)`.
    #[track_caller]
    pub fn start_new<T, F>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let spawn = self.spawn(Location::caller());
        match &self.token {
            Some(token) => Task::spawn_gated_on(spawn, ClosureBody::new(f), token),
            None => spawn.spawn(ClosureBody::new(f)),
        }
    }

    /// Starts a future. C#: `TaskFactory.StartNew(Func<Task<T>>).Unwrap()`.
    #[track_caller]
    pub fn start_new_async<T, Fut>(&self, future: Fut) -> Task<T>
    where
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let spawn = self.spawn(Location::caller());
        match &self.token {
            Some(token) => Task::spawn_gated_on(spawn, AsyncBody::new(future), token),
            None => spawn.spawn(AsyncBody::new(future)),
        }
    }

    /// Starts a fallible `f` (see `Task::try_run`; with a token, the rule
    /// of `Task::try_run_with_token`).
    #[track_caller]
    pub fn try_start_new<T, E, F>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Into<BoxError> + 'static,
        T: Send + 'static,
    {
        let spawn = self.spawn(Location::caller());
        match &self.token {
            Some(token) => {
                Task::spawn_gated_on(spawn, TryClosureBody::new(f, Some(token.clone())), token)
            }
            None => spawn.spawn(TryClosureBody::new(f, None)),
        }
    }

    /// Starts a fallible future (see `Task::try_run_async`).
    #[track_caller]
    pub fn try_start_new_async<T, E, Fut>(&self, future: Fut) -> Task<T>
    where
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
        T: Send + 'static,
    {
        let spawn = self.spawn(Location::caller());
        match &self.token {
            Some(token) => Task::spawn_gated_on(
                spawn,
                TokenAsyncBody {
                    fut: future,
                    token: token.clone(),
                },
                token,
            ),
            None => spawn.spawn(TryAsyncBody::new(future)),
        }
    }
}
