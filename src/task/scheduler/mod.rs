//! Task schedulers: where a task runs, as .NET's `TaskScheduler`.
//!
//! Every task has a *home* (`task/schedule.rs`): the scheduler its wakes go
//! to. The runtime's pool and a `Dispatcher` are homes built in; a
//! [`TaskScheduler`] implemented in user code becomes one through
//! [`Scheduler::new`]. The task layer knows only homes; the pool,
//! dispatchers and user schedulers implement them.
//!
//! - [`TaskScheduler`] — the trait to implement (C#'s abstract class):
//!   [`queue_task`](TaskScheduler::queue_task) receives each task that must
//!   run, as a [`ScheduledTask`], which the scheduler runs once, when it
//!   decides, with [`ScheduledTask::execute`] (C#'s `TryExecuteTask`).
//! - [`Scheduler`] — a handle to any scheduler, built in or not, to pass
//!   where a task is started (`TaskFactory`, `Task::start_on`,
//!   `Task::continue_with_on`, `Task::run_synchronously_on`).
//!
//! What a scheduler cannot do wrong: a task runs at most once per queueing
//! (a second `execute` of the same entry, or one after the task was run
//! inline or canceled, returns false), never on a scheduler it was not
//! queued to, and a panic in the scheduler's own code faults the task it
//! was given instead of losing it. No `unsafe` is needed to write one.

mod scheduled;
mod task_api;
mod user_home;

pub use scheduled::ScheduledTask;
pub(crate) use user_home::UserHome;

use super::schedule::Home;
use std::fmt;
use std::sync::Arc;

/// A scheduler written in user code: it receives the tasks that must run
/// and runs each one when it decides, with [`ScheduledTask::execute`].
/// Everything but [`queue_task`](Self::queue_task) has a default.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tasklane::task::{ScheduledTask, Scheduler, TaskScheduler};
/// use tasklane::{TaskFactory, TaskStatus};
///
/// /// Runs what it is given only when asked (a test's clock).
/// #[derive(Default)]
/// struct Manual(Mutex<Vec<ScheduledTask>>);
///
/// impl TaskScheduler for Manual {
///     fn queue_task(&self, task: ScheduledTask) {
///         self.0.lock().unwrap().push(task);
///     }
///     fn scheduled_tasks(&self) -> Option<Vec<ScheduledTask>> {
///         Some(self.0.lock().unwrap().clone())
///     }
/// }
///
/// let manual = Arc::new(Manual::default());
/// let scheduler = Scheduler::from_arc(manual.clone());
/// let t = TaskFactory::new().scheduler(&scheduler).start_new(|| 6 * 7);
/// assert_eq!(t.status(), TaskStatus::WaitingToRun);
/// let queued: Vec<ScheduledTask> = std::mem::take(&mut *manual.0.lock().unwrap());
/// for task in queued {
///     assert!(task.execute());
/// }
/// assert_eq!(t.result().unwrap(), 42);
/// ```
///
/// C#: `System.Threading.Tasks.TaskScheduler`.
pub trait TaskScheduler: Send + Sync + 'static {
    /// Receives a task that must run (a new task, or one woken after an
    /// await). Run it with [`ScheduledTask::execute`], once, on a thread of
    /// the scheduler's choosing. A panic here faults the task. C#:
    /// `QueueTask(Task)`.
    fn queue_task(&self, task: ScheduledTask);

    /// Asked whether `task` may run on the calling thread now, instead of
    /// being queued: a continuation of a task that just completed here
    /// (`previously_queued` false), or a task a blocking wait found still
    /// queued (true: remove it from the queue first). Return true only after
    /// running it with [`ScheduledTask::execute`]. Default: never. C#:
    /// `TryExecuteTaskInline(Task, bool)`.
    fn try_execute_task_inline(&self, task: &ScheduledTask, previously_queued: bool) -> bool {
        let _ = (task, previously_queued);
        false
    }

    /// Asked to forget a queued task that was canceled before it ran:
    /// true if it was removed from the queue (the task then ends Canceled
    /// at once); false leaves it queued (it ends Canceled, without running
    /// its body, when executed). Default: false. C#: `TryDequeue(Task)`.
    fn try_dequeue(&self, task: &ScheduledTask) -> bool {
        let _ = task;
        false
    }

    /// The tasks queued and not yet run, for debuggers; `None` if the
    /// scheduler does not say. Default: `None`. C#: `GetScheduledTasks()`.
    fn scheduled_tasks(&self) -> Option<Vec<ScheduledTask>> {
        None
    }

    /// How many tasks it runs at once at most. Default: no limit
    /// (`usize::MAX`). C#: `MaximumConcurrencyLevel`.
    fn maximum_concurrency_level(&self) -> usize {
        usize::MAX
    }
}

/// A handle to a scheduler: the runtime's pool, a dispatcher's, or one
/// implemented in user code ([`TaskScheduler`]). Cheap to clone; equal when
/// both name the same scheduler. The current and default ones:
/// `<dyn TaskScheduler>::current()` and `<dyn TaskScheduler>::default()`.
/// C#: a `TaskScheduler` instance.
#[derive(Clone)]
pub struct Scheduler {
    pub(crate) home: Home,
}

impl Scheduler {
    /// Wraps a scheduler implemented in user code.
    pub fn new<S: TaskScheduler>(scheduler: S) -> Scheduler {
        Scheduler::from_arc(Arc::new(scheduler))
    }

    /// Wraps a shared scheduler implemented in user code (keep the `Arc` to
    /// reach the implementation).
    pub fn from_arc(scheduler: Arc<dyn TaskScheduler>) -> Scheduler {
        let home = Arc::new(UserHome::new(scheduler));
        crate::task::directory::list(&home);
        Scheduler { home: Home(home) }
    }

    pub(crate) fn from_home(home: Home) -> Scheduler {
        Scheduler { home }
    }

    /// An id, unique among the schedulers alive. C#: `TaskScheduler.Id`.
    pub fn id(&self) -> u64 {
        Arc::as_ptr(&self.home.0) as *const () as usize as u64
    }

    /// How many tasks it runs at once at most (`usize::MAX`: no limit).
    /// C#: `MaximumConcurrencyLevel`.
    pub fn maximum_concurrency_level(&self) -> usize {
        self.home.0.maximum_concurrency_level()
    }

    /// The tasks queued and not yet run, if the scheduler says (a user
    /// scheduler's [`TaskScheduler::scheduled_tasks`]; the built-in ones do
    /// not). C#: `GetScheduledTasks()` (for debuggers).
    pub fn scheduled_tasks(&self) -> Option<Vec<ScheduledTask>> {
        self.home.0.scheduled_tasks()
    }
}

impl PartialEq for Scheduler {
    fn eq(&self, other: &Scheduler) -> bool {
        self.home.ptr_eq(&other.home)
    }
}

impl Eq for Scheduler {}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scheduler")
            .field(&self.home.0.describe())
            .finish()
    }
}
