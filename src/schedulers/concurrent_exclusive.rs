//! [`ConcurrentExclusiveSchedulerPair`]: readers together, writers alone.

use crate::task::{ScheduledTask, Scheduler, TaskScheduler};
use crate::{Task, TaskCompletionSource, TaskCreationOptions, TaskFactory};
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};

/// Two schedulers over one target (the pool, by default): tasks of the
/// [`concurrent`](Self::concurrent_scheduler) one run together, up to a
/// maximum; a task of the [`exclusive`](Self::exclusive_scheduler) one
/// runs alone, while nothing else of the pair runs. Exclusive tasks go
/// first: once one is queued, no new concurrent task starts until the
/// exclusive ones have run. [`complete`](Self::complete) stops the pair
/// taking tasks; [`completion`](Self::completion) ends when it has run
/// what it took.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use tasklane::schedulers::ConcurrentExclusiveSchedulerPair;
/// use tasklane::{Task, TaskFactory};
///
/// let pair = ConcurrentExclusiveSchedulerPair::new();
/// let readers = TaskFactory::new().scheduler(pair.concurrent_scheduler());
/// let writers = TaskFactory::new().scheduler(pair.exclusive_scheduler());
/// let value = Arc::new(AtomicUsize::new(0));
/// let mut tasks: Vec<Task<()>> = Vec::new();
/// for i in 0..10 {
///     let v = value.clone();
///     tasks.push(if i % 3 == 0 {
///         writers.start_new(move || { v.fetch_add(1, Ordering::SeqCst); })
///     } else {
///         readers.start_new(move || { v.load(Ordering::SeqCst); })
///     });
/// }
/// pair.complete();
/// pair.completion().wait().unwrap();
/// assert!(tasks.iter().all(|t| t.is_completed_successfully()));
/// assert_eq!(value.load(Ordering::SeqCst), 4);
/// ```
///
/// C#: `System.Threading.Tasks.ConcurrentExclusiveSchedulerPair`.
pub struct ConcurrentExclusiveSchedulerPair {
    concurrent: Scheduler,
    exclusive: Scheduler,
    pair: Arc<Pair>,
}

/// The pair was completed: it takes no more tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairCompleted;

impl fmt::Display for PairCompleted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the ConcurrentExclusiveSchedulerPair was completed and takes no more tasks")
    }
}

impl std::error::Error for PairCompleted {}

struct Pair {
    max_concurrency: usize,
    target: Scheduler,
    state: Mutex<State>,
    done: TaskCompletionSource<()>,
    me: Weak<Pair>,
}

#[derive(Default)]
struct State {
    exclusive: VecDeque<ScheduledTask>,
    concurrent: VecDeque<ScheduledTask>,
    running_concurrent: usize,
    exclusive_running: bool,
    completed: bool,
}

/// Which half of the pair a scheduler is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Concurrent,
    Exclusive,
}

struct Half {
    pair: Arc<Pair>,
    side: Side,
}

impl Pair {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts what may run now (under no lock).
    fn pump(&self) {
        let mut start_exclusive = false;
        let mut start_concurrent = 0;
        let finished = {
            let mut s = self.lock();
            if !s.exclusive_running {
                if !s.exclusive.is_empty() {
                    if s.running_concurrent == 0 {
                        s.exclusive_running = true;
                        start_exclusive = true;
                    }
                } else {
                    while s.running_concurrent < self.max_concurrency
                        && s.running_concurrent < s.concurrent.len()
                    {
                        s.running_concurrent += 1;
                        start_concurrent += 1;
                    }
                }
            }
            s.completed
                && s.exclusive.is_empty()
                && s.concurrent.is_empty()
                && s.running_concurrent == 0
                && !s.exclusive_running
        };
        let Some(me) = self.me.upgrade() else { return };
        if start_exclusive {
            let pair = me.clone();
            self.start_worker(move || pair.run_exclusive());
        }
        for _ in 0..start_concurrent {
            let pair = me.clone();
            self.start_worker(move || pair.run_concurrent());
        }
        if finished {
            let _ = self.done.try_set_result(());
        }
    }

    fn start_worker(&self, work: impl FnOnce() + Send + 'static) {
        TaskFactory::new()
            .scheduler(&self.target)
            .creation_options(
                TaskCreationOptions::HIDE_SCHEDULER | TaskCreationOptions::DENY_CHILD_ATTACH,
            )
            .start_new(work)
            .forget();
    }

    /// The exclusive worker: runs exclusive tasks alone, one at a time.
    fn run_exclusive(self: Arc<Self>) {
        loop {
            let next = self.lock().exclusive.pop_front();
            match next {
                Some(t) => {
                    t.execute();
                }
                None => break,
            }
        }
        self.lock().exclusive_running = false;
        self.pump();
    }

    /// A concurrent worker: runs concurrent tasks until there are none, or
    /// an exclusive task waits (it goes first).
    fn run_concurrent(self: Arc<Self>) {
        loop {
            let next = {
                let mut s = self.lock();
                if s.exclusive.is_empty() {
                    s.concurrent.pop_front()
                } else {
                    None
                }
            };
            match next {
                Some(t) => {
                    t.execute();
                }
                None => break,
            }
        }
        self.lock().running_concurrent -= 1;
        self.pump();
    }
}

impl TaskScheduler for Half {
    fn queue_task(&self, task: ScheduledTask) {
        {
            let mut s = self.pair.lock();
            if s.completed {
                drop(s);
                task.reject(PairCompleted);
                return;
            }
            match self.side {
                Side::Exclusive => s.exclusive.push_back(task),
                Side::Concurrent => s.concurrent.push_back(task),
            }
        }
        self.pair.pump();
    }

    fn try_dequeue(&self, task: &ScheduledTask) -> bool {
        let removed = {
            let mut s = self.pair.lock();
            let q = match self.side {
                Side::Exclusive => &mut s.exclusive,
                Side::Concurrent => &mut s.concurrent,
            };
            match q.iter().position(|t| t == task) {
                Some(i) => q.remove(i).is_some(),
                None => false,
            }
        };
        if removed {
            self.pair.pump();
        }
        removed
    }

    fn scheduled_tasks(&self) -> Option<Vec<ScheduledTask>> {
        let s = self.pair.lock();
        let q = match self.side {
            Side::Exclusive => &s.exclusive,
            Side::Concurrent => &s.concurrent,
        };
        Some(q.iter().cloned().collect())
    }

    fn maximum_concurrency_level(&self) -> usize {
        match self.side {
            Side::Exclusive => 1,
            Side::Concurrent => self.pair.max_concurrency,
        }
    }
}

impl ConcurrentExclusiveSchedulerPair {
    /// A pair over the pool of the runtime current here, its concurrent
    /// side unlimited. C#: `new ConcurrentExclusiveSchedulerPair()`.
    pub fn new() -> ConcurrentExclusiveSchedulerPair {
        ConcurrentExclusiveSchedulerPair::on(&<dyn TaskScheduler>::default(), usize::MAX)
    }

    /// A pair over `target`, at most `max_concurrency` concurrent tasks at
    /// once (at least 1). C#: `new ConcurrentExclusiveSchedulerPair(
    /// taskScheduler, maxConcurrencyLevel)`.
    pub fn on(target: &Scheduler, max_concurrency: usize) -> ConcurrentExclusiveSchedulerPair {
        let pair = Arc::new_cyclic(|me| Pair {
            max_concurrency: max_concurrency.max(1),
            target: target.clone(),
            state: Mutex::new(State::default()),
            done: TaskCompletionSource::new(),
            me: me.clone(),
        });
        let half = |side| {
            Scheduler::new(Half {
                pair: pair.clone(),
                side,
            })
        };
        ConcurrentExclusiveSchedulerPair {
            concurrent: half(Side::Concurrent),
            exclusive: half(Side::Exclusive),
            pair,
        }
    }

    /// The scheduler whose tasks run together. C#:
    /// `ConcurrentScheduler`.
    pub fn concurrent_scheduler(&self) -> &Scheduler {
        &self.concurrent
    }

    /// The scheduler whose tasks run alone. C#: `ExclusiveScheduler`.
    pub fn exclusive_scheduler(&self) -> &Scheduler {
        &self.exclusive
    }

    /// Stops taking tasks: a task given to either scheduler from now on
    /// faults with [`PairCompleted`]; those already taken still run. C#:
    /// `Complete()`.
    pub fn complete(&self) {
        self.pair.lock().completed = true;
        self.pair.pump();
    }

    /// Completes once [`complete`](Self::complete) was called and every
    /// task the pair took has run. C#: `Completion`.
    pub fn completion(&self) -> Task<()> {
        self.pair.done.task()
    }
}

impl Default for ConcurrentExclusiveSchedulerPair {
    fn default() -> Self {
        ConcurrentExclusiveSchedulerPair::new()
    }
}
