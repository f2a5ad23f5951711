//! The task methods that take a scheduler: start a cold task on it, run one
//! synchronously through it, continue on it.

use super::Scheduler;
use crate::task::raw::Notified;
use crate::task::schedule::{Home, rehome_unstarted};
use crate::task::spawn::schedule_new;
use crate::task::state::TransitionToStarted;
use crate::task::{ContinuationBody, ContinuationOptions, InvalidOperationError, Task};
use std::panic::Location;

impl<T> Task<T> {
    /// Schedules a cold task (made with `Task::new`) on `scheduler`.
    /// Starting a task twice, or one not created cold, is
    /// [`InvalidOperationError::TaskAlreadyStarted`]. C#:
    /// `Task.Start(TaskScheduler)`.
    ///
    /// ```
    /// use tasklane::schedulers::DeterministicScheduler;
    /// use tasklane::{Task, TaskStatus};
    ///
    /// let manual = DeterministicScheduler::new();
    /// let t = Task::new(|| "ran");
    /// t.start_on(manual.scheduler()).unwrap();
    /// assert_eq!(t.status(), TaskStatus::WaitingToRun);
    /// assert!(manual.run_one());
    /// assert_eq!(t.result().unwrap(), "ran");
    /// ```
    pub fn start_on(&self, scheduler: &Scheduler) -> Result<(), InvalidOperationError> {
        let raw = self.raw();
        match raw.header().state.transition_to_started() {
            TransitionToStarted::Submit => {
                // The start made us the owner of the queued task: nobody
                // else reads or writes its home until it runs.
                if rehome_unstarted(raw, &scheduler.home) {
                    schedule_new(raw, raw.header().options);
                }
                Ok(())
            }
            TransitionToStarted::AlreadyStarted => Err(InvalidOperationError::TaskAlreadyStarted),
        }
    }

    /// Runs a cold task through `scheduler` on this thread, if the
    /// scheduler lets it run inline (the pool always does; a dispatcher on
    /// its own thread; a user scheduler if its `try_execute_task_inline`
    /// agrees); otherwise queues it there and waits for it. C#:
    /// `Task.RunSynchronously(TaskScheduler)`.
    pub fn run_synchronously_on(&self, scheduler: &Scheduler) -> Result<(), InvalidOperationError> {
        let raw = self.raw();
        match raw.header().state.transition_to_started() {
            TransitionToStarted::Submit => {}
            TransitionToStarted::AlreadyStarted => {
                return Err(InvalidOperationError::TaskAlreadyStarted);
            }
        }
        if !rehome_unstarted(raw, &scheduler.home) {
            return Ok(());
        }
        let home: &Home = &scheduler.home;
        let inline =
            (home.0.runs_continuations_anywhere() && !raw.header().pinned) || home.0.is_current();
        if inline {
            Notified(raw).run();
        } else if let Err(task) = home.0.try_execute_inline(Notified(raw)) {
            home.schedule(task, crate::task::schedule::Hint::Normal);
            let _ = crate::task::wait::wait_for(raw, None);
        }
        Ok(())
    }
}

impl<T: Send + Sync + 'static> Task<T> {
    /// As `continue_with`, with the continuation run on `scheduler`. C#:
    /// `Task.ContinueWith(…, TaskScheduler)`.
    #[track_caller]
    pub fn continue_with_on<U, F>(
        &self,
        f: F,
        options: ContinuationOptions,
        scheduler: &Scheduler,
    ) -> Task<U>
    where
        F: FnOnce(&Task<T>) -> U + Send + 'static,
        U: Send + 'static,
    {
        let body = ContinuationBody::new(self.clone(), move |t: &Task<T>| Ok(f(t)), options);
        self.spawn_continuation(scheduler.home.clone(), body, options, Location::caller())
    }
}
