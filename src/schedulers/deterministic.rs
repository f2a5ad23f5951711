//! [`DeterministicScheduler`]: runs tasks only when asked.

use crate::task::{ScheduledTask, Scheduler, TaskScheduler};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A scheduler that queues its tasks and runs them only when asked, on the
/// calling thread, in the order they were queued (a task woken after an
/// await is queued again, at the back). Nothing runs inline: a
/// continuation is queued too. So a test sees every task `WaitingToRun`
/// until it steps, and the exact order of continuations.
///
/// A blocking wait (`wait()`, `result()`) on one of its tasks before it was
/// run waits for whoever calls `run_one`/`run_all`: run the scheduler
/// first.
///
/// ```
/// use tasklane::schedulers::DeterministicScheduler;
/// use tasklane::{ContinuationOptions, TaskFactory, TaskStatus};
///
/// let manual = DeterministicScheduler::new();
/// let first = TaskFactory::new().scheduler(manual.scheduler()).start_new(|| 1);
/// let second = first.continue_with_on(|t| t.result().unwrap() + 1, ContinuationOptions::NONE, manual.scheduler());
/// assert_eq!(manual.queued_count(), 1);
/// assert_eq!(first.status(), TaskStatus::WaitingToRun);
/// assert!(manual.run_one()); // `first`: its continuation is queued now
/// assert_eq!(manual.queued_count(), 1);
/// assert_eq!(manual.run_all(), 1);
/// assert_eq!(second.result().unwrap(), 2);
/// ```
///
/// C#: none built in; the manual schedulers of .NET's own tests.
pub struct DeterministicScheduler {
    queue: Arc<Queue>,
    scheduler: Scheduler,
}

#[derive(Default)]
struct Queue {
    tasks: Mutex<VecDeque<ScheduledTask>>,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<ScheduledTask>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TaskScheduler for Queue {
    fn queue_task(&self, task: ScheduledTask) {
        self.lock().push_back(task);
    }

    fn try_dequeue(&self, task: &ScheduledTask) -> bool {
        let mut q = self.lock();
        match q.iter().position(|t| t == task) {
            Some(i) => {
                q.remove(i);
                true
            }
            None => false,
        }
    }

    fn scheduled_tasks(&self) -> Option<Vec<ScheduledTask>> {
        Some(self.lock().iter().cloned().collect())
    }

    fn maximum_concurrency_level(&self) -> usize {
        1
    }
}

impl DeterministicScheduler {
    /// An empty scheduler.
    pub fn new() -> DeterministicScheduler {
        let queue = Arc::new(Queue::default());
        DeterministicScheduler {
            scheduler: Scheduler::from_arc(queue.clone()),
            queue,
        }
    }

    /// The scheduler, to start tasks on.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Runs the first queued task that still has something to run, on this
    /// thread; false if there was none.
    pub fn run_one(&self) -> bool {
        loop {
            let Some(task) = self.queue.lock().pop_front() else {
                return false;
            };
            if task.execute() {
                return true;
            }
        }
    }

    /// Runs queued tasks until none is left (tasks they queue included);
    /// returns how many ran.
    pub fn run_all(&self) -> usize {
        let mut ran = 0;
        while self.run_one() {
            ran += 1;
        }
        ran
    }

    /// Tasks queued and not yet run.
    pub fn queued_count(&self) -> usize {
        self.queue.lock().len()
    }
}

impl Default for DeterministicScheduler {
    fn default() -> Self {
        DeterministicScheduler::new()
    }
}
