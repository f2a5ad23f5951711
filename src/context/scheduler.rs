//! A scheduler over the current `SynchronizationContext`.

use super::SynchronizationContext;
use crate::task::{InvalidOperationError, Scheduler, TaskScheduler};

impl dyn TaskScheduler {
    /// A scheduler that runs its tasks through the `SynchronizationContext`
    /// current on this thread (a dispatcher's own scheduler, for a
    /// dispatcher), or [`InvalidOperationError::NoSynchronizationContext`]
    /// where there is none. C#:
    /// `TaskScheduler.FromCurrentSynchronizationContext()`.
    ///
    /// ```
    /// use tasklane::context::Dispatcher;
    /// use tasklane::task::TaskScheduler;
    /// use tasklane::{InvalidOperationError, TaskFactory};
    ///
    /// assert_eq!(
    ///     <dyn TaskScheduler>::from_current_synchronization_context().unwrap_err(),
    ///     InvalidOperationError::NoSynchronizationContext
    /// );
    /// let ui = Dispatcher::start("ui").unwrap();
    /// let on_ui = ui
    ///     .invoke(|| <dyn TaskScheduler>::from_current_synchronization_context())
    ///     .unwrap()
    ///     .unwrap();
    /// let t = TaskFactory::new().scheduler(&on_ui).start_new(|| {
    ///     std::thread::current().name().map(str::to_owned)
    /// });
    /// assert_eq!(t.result().unwrap().as_deref(), Some("ui"));
    /// # ui.shutdown();
    /// ```
    pub fn from_current_synchronization_context() -> Result<Scheduler, InvalidOperationError> {
        match <dyn SynchronizationContext>::current() {
            Some(ctx) => Ok(Scheduler::from_home(super::home::home_for(Some(&ctx)))),
            None => Err(InvalidOperationError::NoSynchronizationContext),
        }
    }
}
