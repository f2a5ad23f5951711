//! `Task::builder()`: a task with a name (shown by task dumps and, with the
//! `tokio-console` feature, by tokio-console) and options, then run as
//! `Task::run` or `Task::run_async` would.

use crate::task::spawn::Spawn;
use crate::task::{AsyncBody, ClosureBody, Task, TaskCreationOptions};
use std::future::Future;
use std::panic::Location;

/// Names a task (and sets its options) before it runs. Made by
/// [`Task::builder`]. C#: none — a .NET task has only `Task.Id`; names are
/// tasklane's (as Tokio's `task::Builder`).
///
/// ```
/// use tasklane::Task;
/// let t = Task::builder().name("fetch-prices").run(|| 7);
/// assert_eq!(t.name(), Some("fetch-prices"));
/// assert_eq!(t.result().unwrap(), 7);
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until `run` or `run_async`"]
pub struct TaskBuilder {
    name: Option<Box<str>>,
    options: TaskCreationOptions,
}

impl Task<()> {
    /// Starts building a named task. See [`TaskBuilder`].
    pub fn builder() -> TaskBuilder {
        TaskBuilder {
            name: None,
            options: TaskCreationOptions::DENY_CHILD_ATTACH,
        }
    }
}

impl TaskBuilder {
    /// The task's name.
    pub fn name(mut self, name: impl Into<String>) -> TaskBuilder {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// The task's creation options (default `DENY_CHILD_ATTACH`, as
    /// `Task::run`). C#: `TaskCreationOptions`.
    pub fn options(mut self, options: TaskCreationOptions) -> TaskBuilder {
        self.options = options;
        self
    }

    /// Queues `f` on the current runtime's pool. C#: `Task.Run`.
    #[track_caller]
    pub fn run<T, F>(self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Spawn::work(self.options, Location::caller())
            .named(self.name)
            .spawn(ClosureBody::new(f))
    }

    /// Runs `future` on the current runtime's pool. C#: `Task.Run(async
    /// () => …)`.
    #[track_caller]
    pub fn run_async<T, Fut>(self, future: Fut) -> Task<T>
    where
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        Spawn::work(self.options, Location::caller())
            .named(self.name)
            .spawn(AsyncBody::new(future))
    }
}
