//! A user's [`TaskScheduler`] as a task's home.

use super::{ScheduledTask, TaskScheduler};
use crate::diag::ErrorOrigin;
use crate::diag::guard;
use crate::task::TaskError;
use crate::task::raw::{Notified, RawTask, TaskRef};
use crate::task::registry::Registry;
use crate::task::schedule::{Hint, Schedule};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// Adapts a user scheduler to the task layer's `Schedule`: tasks are
/// handed over as [`ScheduledTask`]s, and the scheduler's live tasks are
/// kept in a registry of its own.
pub(crate) struct UserHome {
    scheduler: Arc<dyn TaskScheduler>,
    registry: Registry,
}

impl UserHome {
    pub(crate) fn new(scheduler: Arc<dyn TaskScheduler>) -> UserHome {
        UserHome {
            scheduler,
            registry: Registry::new(1),
        }
    }

    fn addr(&self) -> usize {
        self as *const UserHome as *const () as usize
    }

    fn view(&self, raw: RawTask) -> ScheduledTask {
        ScheduledTask::new(TaskRef::new_ref(raw), self.addr())
    }
}

impl Schedule for UserHome {
    fn registry(&self) -> &crate::task::registry::Registry {
        &self.registry
    }

    fn schedule(&self, task: Notified, _hint: Hint) {
        let raw = task.raw();
        // The queue entry takes over the Notified ref; a clone stays here in
        // case the scheduler's code panics (then the task faults, as C#'s
        // `TaskSchedulerException`, instead of waiting forever).
        let entry = ScheduledTask::new(TaskRef::from_raw(task.into_raw()), self.addr());
        let kept = entry.clone();
        let queued = catch_unwind(AssertUnwindSafe(|| self.scheduler.queue_task(entry)));
        if let Err(panic) = queued {
            let error = TaskError::from_panic_in(panic, "a task scheduler's queue_task");
            if !raw.fault_if_unstarted(error.clone()) {
                guard::report(
                    guard::Site {
                        origin: ErrorOrigin::Handler,
                        location: kept.location(),
                        task_id: Some(kept.id()),
                    },
                    error,
                );
            }
        }
    }

    fn bind(&self, task: RawTask) -> bool {
        self.registry.insert(task)
    }

    fn release(&self, task: RawTask) -> Option<TaskRef> {
        self.registry.remove(task)
    }

    fn is_current(&self) -> bool {
        super::scheduled::executing(self.addr())
    }

    fn describe(&self) -> String {
        format!("task scheduler #{}", self.addr())
    }

    fn try_execute_inline(&self, task: Notified) -> Result<(), Notified> {
        let entry = self.view(task.raw());
        let ran = catch_unwind(AssertUnwindSafe(|| {
            self.scheduler.try_execute_task_inline(&entry, false)
        }))
        .unwrap_or(false);
        if ran {
            // It ran through its own claim: this Notified is now a stale
            // ref (dropping it only releases the ref).
            drop(task);
            Ok(())
        } else {
            Err(task)
        }
    }

    fn try_dequeue(&self, task: RawTask) -> bool {
        if task.header().state.load().is_created() {
            // Never queued: nothing to take back.
            return true;
        }
        let entry = self.view(task);
        catch_unwind(AssertUnwindSafe(|| self.scheduler.try_dequeue(&entry))).unwrap_or(false)
    }

    fn maximum_concurrency_level(&self) -> usize {
        self.scheduler.maximum_concurrency_level()
    }

    fn scheduled_tasks(&self) -> Option<Vec<ScheduledTask>> {
        catch_unwind(AssertUnwindSafe(|| self.scheduler.scheduled_tasks())).unwrap_or(None)
    }
}
