//! [`LimitedConcurrencyScheduler`]: at most N tasks at a time, on the pool.

use crate::task::{ScheduledTask, Scheduler, TaskScheduler};
use crate::{TaskCreationOptions, TaskFactory};
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Runs its tasks on a target scheduler (the pool, by default), at most
/// `max` of them at a time: it starts up to `max` workers on the target,
/// each running queued tasks one after another until the queue is empty.
/// A task that completes a continuation of this scheduler may run it
/// inline, on the same worker.
///
/// C#: `LimitedConcurrencyLevelTaskScheduler`, the example of the
/// `TaskScheduler` documentation.
pub struct LimitedConcurrencyScheduler {
    scheduler: Scheduler,
}

struct Limited {
    max: usize,
    target: Scheduler,
    state: Mutex<State>,
    me: std::sync::Weak<Limited>,
}

struct State {
    queue: VecDeque<ScheduledTask>,
    workers: usize,
}

thread_local! {
    /// The scheduler whose worker this thread is running (its address).
    static WORKER_OF: Cell<usize> = const { Cell::new(0) };
}

impl Limited {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn addr(&self) -> usize {
        self as *const Limited as usize
    }

    /// One worker: runs queued tasks until there are none.
    fn work(self: Arc<Self>) {
        let prev = WORKER_OF.with(|w| w.replace(self.addr()));
        loop {
            let next = {
                let mut s = self.lock();
                match s.queue.pop_front() {
                    Some(t) => t,
                    None => {
                        s.workers -= 1;
                        break;
                    }
                }
            };
            next.execute();
        }
        WORKER_OF.with(|w| w.set(prev));
    }
}

impl TaskScheduler for Limited {
    fn queue_task(&self, task: ScheduledTask) {
        let start = {
            let mut s = self.lock();
            s.queue.push_back(task);
            let start = s.workers < self.max;
            if start {
                s.workers += 1;
            }
            start
        };
        if start {
            if let Some(me) = self.me.upgrade() {
                TaskFactory::new()
                    .scheduler(&self.target)
                    .creation_options(TaskCreationOptions::HIDE_SCHEDULER)
                    .start_new(move || me.work())
                    .forget();
            }
        }
    }

    fn try_execute_task_inline(&self, task: &ScheduledTask, previously_queued: bool) -> bool {
        // Only on one of its own workers, which already counts against the
        // limit.
        if WORKER_OF.with(|w| w.get()) != self.addr() {
            return false;
        }
        if previously_queued && !self.try_dequeue(task) {
            return false;
        }
        task.execute()
    }

    fn try_dequeue(&self, task: &ScheduledTask) -> bool {
        let mut s = self.lock();
        match s.queue.iter().position(|t| t == task) {
            Some(i) => {
                s.queue.remove(i);
                true
            }
            None => false,
        }
    }

    fn scheduled_tasks(&self) -> Option<Vec<ScheduledTask>> {
        Some(self.lock().queue.iter().cloned().collect())
    }

    fn maximum_concurrency_level(&self) -> usize {
        self.max
    }
}

impl LimitedConcurrencyScheduler {
    /// At most `max` tasks at a time (at least 1), on the pool of the
    /// runtime current here (`<dyn TaskScheduler>::default()`).
    pub fn new(max: usize) -> LimitedConcurrencyScheduler {
        LimitedConcurrencyScheduler::on(max, &<dyn TaskScheduler>::default())
    }

    /// At most `max` tasks at a time, on `target`.
    pub fn on(max: usize, target: &Scheduler) -> LimitedConcurrencyScheduler {
        let inner = Arc::new_cyclic(|me| Limited {
            max: max.max(1),
            target: target.clone(),
            state: Mutex::new(State {
                queue: VecDeque::new(),
                workers: 0,
            }),
            me: me.clone(),
        });
        LimitedConcurrencyScheduler {
            scheduler: Scheduler::from_arc(inner),
        }
    }

    /// The scheduler, to start tasks on.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }
}
