//! The schedulers C# finds by name: the default (the current runtime's
//! pool) and the current (the running task's, else the default).

use crate::task::schedule::current_task_home;
use crate::task::{Scheduler, TaskScheduler};

impl dyn TaskScheduler {
    /// The scheduler of the task running on this thread, unless it hides it
    /// (`HIDE_SCHEDULER`); elsewhere the default one. Where
    /// `TaskFactory::new().start_new` and `continue_with` put their tasks.
    /// C#: `TaskScheduler.Current`.
    ///
    /// ```
    /// use tasklane::schedulers::DeterministicScheduler;
    /// use tasklane::task::TaskScheduler;
    /// use tasklane::TaskFactory;
    ///
    /// let manual = DeterministicScheduler::new();
    /// let t = TaskFactory::new()
    ///     .scheduler(manual.scheduler())
    ///     .start_new(<dyn TaskScheduler>::current);
    /// manual.run_all();
    /// assert_eq!(&t.result().unwrap(), manual.scheduler());
    /// assert_eq!(<dyn TaskScheduler>::current(), <dyn TaskScheduler>::default());
    /// ```
    pub fn current() -> Scheduler {
        match current_task_home() {
            Some(home) => Scheduler::from_home(home),
            None => <dyn TaskScheduler>::default(),
        }
    }

    /// The current runtime's pool (the default runtime's outside any): where
    /// `Task::run` puts its tasks. C#: `TaskScheduler.Default`.
    // C#'s name; `dyn TaskScheduler` is unsized, so it cannot implement
    // the `Default` trait this lint suggests.
    #[allow(clippy::should_implement_trait)]
    pub fn default() -> Scheduler {
        Scheduler::from_home(super::current_home())
    }
}
