//! [`ScheduledTask`]: a task as a user scheduler holds it.

use crate::task::TaskStatus;
use crate::task::raw::{RawTask, TaskRef};
use std::cell::Cell;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

thread_local! {
    /// The scheduler (its home's address) whose task runs on this thread
    /// through [`ScheduledTask::execute`], or 0.
    static EXECUTING: Cell<usize> = const { Cell::new(0) };
}

/// A task queued on a [`TaskScheduler`](super::TaskScheduler): what its
/// queue holds. Clone it freely (a clone names the same task); run it with
/// [`execute`](Self::execute). C#: the `Task` a scheduler's `QueueTask`
/// receives.
pub struct ScheduledTask {
    task: TaskRef,
    /// The address of the scheduler's home: the task runs only there.
    home: usize,
}

impl ScheduledTask {
    /// Takes over a ref the caller counted for the task.
    pub(crate) fn new(task: TaskRef, home: usize) -> ScheduledTask {
        ScheduledTask { task, home }
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.task.raw()
    }

    /// Runs the task on this thread, now, if it is still waiting to run
    /// here: not running elsewhere, not already run for this queueing, not
    /// canceled, and still this scheduler's. True if it ran (a task
    /// canceled while queued, whose scheduler kept it queued, ends Canceled
    /// here without running its body, and this returns true too); false if
    /// there was nothing to run. Never runs a task twice. C#:
    /// `TaskScheduler.TryExecuteTask(Task)`.
    pub fn execute(&self) -> bool {
        let home = self.home;
        let prev = EXECUTING.with(|e| e.replace(home));
        struct Restore(usize);
        impl Drop for Restore {
            fn drop(&mut self) {
                EXECUTING.with(|e| e.set(self.0));
            }
        }
        let _restore = Restore(prev);
        self.raw()
            .try_run_inline(|h| Arc::as_ptr(&h.0) as *const () as usize == home)
    }

    /// Ends the task Faulted with `error` instead of running it: what a
    /// scheduler that cannot take a task does (one that was completed, or
    /// shut down). False if there was nothing to end (it ran, runs, or was
    /// canceled). C#: the `TaskSchedulerException` a task faults with when
    /// its scheduler's `QueueTask` throws.
    pub fn reject<E: Into<crate::task::BoxError> + 'static>(&self, error: E) -> bool {
        self.raw().reject_queued(crate::task::TaskError::new(error))
    }

    /// The task's id (`Task::id`). C#: `Task.Id`.
    pub fn id(&self) -> u64 {
        self.raw().header().id()
    }

    /// The task's status now. C#: `Task.Status`.
    pub fn status(&self) -> TaskStatus {
        let raw = self.raw();
        let h = raw.header();
        TaskStatus::from_snapshot(h.state.load(), h.kind)
    }

    /// Where the task was created.
    pub fn location(&self) -> &'static Location<'static> {
        self.raw().header().location
    }
}

/// True while the calling thread runs a task of the scheduler whose home
/// is at `home` through [`ScheduledTask::execute`].
pub(crate) fn executing(home: usize) -> bool {
    EXECUTING.with(|e| e.get() == home)
}

impl Clone for ScheduledTask {
    fn clone(&self) -> ScheduledTask {
        ScheduledTask {
            task: TaskRef::new_ref(self.raw()),
            home: self.home,
        }
    }
}

impl PartialEq for ScheduledTask {
    fn eq(&self, other: &ScheduledTask) -> bool {
        self.raw() == other.raw()
    }
}

impl Eq for ScheduledTask {}

impl fmt::Debug for ScheduledTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScheduledTask")
            .field("id", &self.id())
            .field("status", &self.status())
            .field("location", &format_args!("{}", self.location()))
            .finish()
    }
}
