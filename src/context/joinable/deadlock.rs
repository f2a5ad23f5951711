//! `DeadlockError`: a blocking wait that can never finish, and the cycle of
//! threads and tasks that proves it.

use crate::task::raw::RawTask;
use std::error::Error;
use std::fmt;
use std::panic::Location;

/// Where the task a thread waits for is stuck (part of a
/// [`DeadlockError`]; C#: none).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeldBy {
    /// Queued on this dispatcher, whose thread will not run it (it is
    /// blocked in a wait the task does not belong to).
    Queued {
        /// The dispatcher's name.
        dispatcher: String,
    },
    /// Being polled on this thread, below a blocking wait of that thread.
    Running {
        /// The thread's name.
        thread: String,
    },
    /// A promise nothing completes, while the closure the waiting code
    /// posted to its own dispatcher before blocking waits behind the wait
    /// (.NET's classic deadlock: `BeginInvoke(() => tcs.SetResult(..))`,
    /// then `tcs.Task.Wait()` on the UI thread).
    BehindOwnPost {
        /// The dispatcher whose queue holds the posted closure.
        dispatcher: String,
        /// Where that closure was posted.
        posted_at: &'static Location<'static>,
    },
    /// Waiting for a thread of this pool, which may add none: it has its
    /// `max_threads` and every one of them is blocked (the waiting thread
    /// among them).
    PoolExhausted {
        /// The pool's id (`StarvationEvent::pool_id`).
        pool: u64,
        /// Its thread cap.
        max_threads: usize,
    },
    /// The task waited for awaits (directly, or through the tasks in
    /// `through`, each awaiting or blocked on the next) the very task whose
    /// poll is blocked in this wait: it can only finish after that task
    /// does, and that task only after this wait ends.
    AwaitsWaiter {
        /// The tasks between, in order (empty: it awaits the waiter
        /// directly).
        through: Vec<u64>,
        /// The task blocked in this wait, inside its poll.
        waiter: u64,
    },
    /// A lock (`tasklane::sync`) this dispatcher thread blocks on is held
    /// by work of this same dispatcher, which needs the blocked thread to
    /// run before it can release it.
    HoldsLock {
        /// The lock ("the async mutex created at src/x.rs:12").
        lock: String,
        /// The dispatcher.
        dispatcher: String,
    },
}

/// One link of a deadlock cycle: a thread blocked on a task, and where that
/// task is stuck (C#: none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlockStep {
    /// The blocked thread's name.
    pub thread: String,
    /// The dispatcher the thread runs, if it runs one.
    pub dispatcher: Option<String>,
    /// The task it waits for.
    pub task_id: u64,
    /// Where that task was created.
    pub task_location: &'static Location<'static>,
    /// Where the task is stuck; the next step is the thread there.
    pub held: HeldBy,
}

/// A blocking wait (`wait`, `result`, `into_result`, `Dispatcher::invoke`)
/// that could never finish, reported instead of hanging: the cycle of
/// threads and tasks in which each thread waits for work only the next one
/// could run. The task waited for is left untouched; the cycle breaks
/// because this wait returned.
///
/// ```
/// use std::sync::{Arc, Barrier};
/// use tasklane::context::{DeadlockError, Dispatcher};
///
/// let a = Dispatcher::start("a").unwrap();
/// let b = Dispatcher::start("b").unwrap();
/// let both = Arc::new(Barrier::new(2));
/// // a's thread blocks on work for b while b's thread blocks on work for a.
/// let on_a = a.invoke_async({
///     let (b, both) = (b.clone(), both.clone());
///     move || { both.wait(); b.invoke(|| "ran on b") }
/// });
/// let on_b = b.invoke_async({
///     let (a, both) = (a.clone(), both.clone());
///     move || { both.wait(); a.invoke(|| "ran on a") }
/// });
/// let (ra, rb) = (on_a.result().unwrap(), on_b.result().unwrap());
/// // One wait reports the cycle; with it broken, the other completes.
/// let err = ra.as_ref().err().or(rb.as_ref().err()).unwrap();
/// let deadlock = err.downcast_ref::<DeadlockError>().unwrap();
/// assert_eq!(deadlock.cycle().len(), 2);
/// assert!(ra.is_ok() || rb.is_ok());
/// # a.shutdown(); b.shutdown();
/// ```
///
/// C#: none — .NET hangs forever here; vs-threading's
/// `JoinableTaskFactory` avoids some of these hangs but reports none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlockError {
    cycle: Vec<DeadlockStep>,
}

impl DeadlockError {
    pub(crate) fn new(cycle: Vec<DeadlockStep>) -> DeadlockError {
        DeadlockError { cycle }
    }

    /// A task blocking on itself from inside its own poll.
    pub(crate) fn task_waits_on_itself(task: RawTask) -> DeadlockError {
        let thread = current_thread_name();
        DeadlockError::new(vec![DeadlockStep {
            thread: thread.clone(),
            dispatcher: crate::context::dispatcher::thread::current_shared()
                .map(|d| d.name.clone()),
            task_id: task.header().id(),
            task_location: task.header().location,
            held: HeldBy::Running { thread },
        }])
    }

    /// A pool thread waits for `task`, which needs a thread of its pool,
    /// and the pool is at its cap with every thread blocked.
    pub(crate) fn pool_exhausted(task: RawTask, pool: u64, max_threads: usize) -> DeadlockError {
        DeadlockError::new(vec![DeadlockStep {
            thread: current_thread_name(),
            dispatcher: None,
            task_id: task.header().id(),
            task_location: task.header().location,
            held: HeldBy::PoolExhausted { pool, max_threads },
        }])
    }

    /// Task `waiter`, inside its poll, blocks on `chain[0]`, which awaits
    /// `chain[1]` … the last of which awaits `waiter`.
    pub(crate) fn awaits_its_waiter(
        waiter: RawTask,
        chain: Vec<(u64, &'static Location<'static>)>,
    ) -> DeadlockError {
        let (task_id, task_location) = chain[0];
        DeadlockError::new(vec![DeadlockStep {
            thread: current_thread_name(),
            dispatcher: None,
            task_id,
            task_location,
            held: HeldBy::AwaitsWaiter {
                through: chain[1..].iter().map(|c| c.0).collect(),
                waiter: waiter.header().id(),
            },
        }])
    }

    /// The waiting code posted a closure to its own dispatcher, then blocked
    /// on `task`, a promise nothing else completes.
    pub(crate) fn waits_on_its_own_post(
        task: RawTask,
        dispatcher: String,
        posted_at: &'static Location<'static>,
    ) -> DeadlockError {
        DeadlockError::new(vec![DeadlockStep {
            thread: current_thread_name(),
            dispatcher: Some(dispatcher.clone()),
            task_id: task.header().id(),
            task_location: task.header().location,
            held: HeldBy::BehindOwnPost {
                dispatcher,
                posted_at,
            },
        }])
    }

    /// A dispatcher thread would block on `lock`, which work of its own
    /// dispatcher holds.
    pub(crate) fn lock_held_here(
        lock: String,
        location: &'static Location<'static>,
    ) -> DeadlockError {
        let dispatcher = crate::context::dispatcher::thread::current_shared()
            .map_or_else(|| "?".to_owned(), |d| d.name.clone());
        DeadlockError::new(vec![DeadlockStep {
            thread: current_thread_name(),
            dispatcher: Some(dispatcher.clone()),
            task_id: 0,
            task_location: location,
            held: HeldBy::HoldsLock { lock, dispatcher },
        }])
    }

    /// The cycle, starting at the thread whose wait reported it.
    pub fn cycle(&self) -> &[DeadlockStep] {
        &self.cycle
    }

    /// The ids of the tasks in the cycle, in order.
    pub fn task_ids(&self) -> Vec<u64> {
        self.cycle.iter().map(|s| s.task_id).collect()
    }

    /// The names of the blocked threads in the cycle, in order.
    pub fn threads(&self) -> Vec<&str> {
        self.cycle.iter().map(|s| s.thread.as_str()).collect()
    }
}

/// The calling thread's name, or its id.
pub(crate) fn current_thread_name() -> String {
    let t = std::thread::current();
    t.name()
        .map_or_else(|| format!("{:?}", t.id()), str::to_owned)
}

impl fmt::Display for DeadlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadlock: ")?;
        for (i, step) in self.cycle.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "thread '{}'", step.thread)?;
            if let Some(d) = &step.dispatcher {
                write!(f, " (dispatcher '{d}')")?;
            }
            if let HeldBy::HoldsLock { lock, dispatcher } = &step.held {
                return write!(
                    f,
                    " would block on {lock}, which work of dispatcher '{dispatcher}' holds: that work needs this thread to go on before it can release it. Await the lock (lock_async) instead of blocking on it."
                );
            }
            write!(
                f,
                " waits for task {} created at {}, which ",
                step.task_id, step.task_location
            )?;
            match &step.held {
                HeldBy::Queued { dispatcher } => write!(
                    f,
                    "is queued on dispatcher '{dispatcher}' whose thread is blocked in a wait it does not belong to"
                )?,
                HeldBy::Running { thread } if *thread == step.thread && self.cycle.len() == 1 => {
                    f.write_str("is the very task doing the waiting, on this thread")?
                }
                HeldBy::Running { thread } => write!(
                    f,
                    "is running on thread '{thread}', suspended below that thread's own blocking wait"
                )?,
                HeldBy::BehindOwnPost {
                    dispatcher,
                    posted_at,
                } => {
                    return write!(
                        f,
                        "is a promise nothing completes, while the closure this thread posted at {posted_at} before blocking waits behind this wait in dispatcher '{dispatcher}''s queue. Await the promise instead of blocking on it, or complete it before blocking."
                    );
                }
                HeldBy::HoldsLock { .. } => unreachable!("written above"),
                HeldBy::AwaitsWaiter { through, waiter } => {
                    for id in through {
                        write!(f, "awaits task {id}, which ")?;
                    }
                    return write!(
                        f,
                        "awaits task {waiter}: the very task blocked in this wait, inside its poll. Neither can finish before the other. Await the task instead of blocking on it."
                    );
                }
                HeldBy::PoolExhausted { pool, max_threads } => {
                    return write!(
                        f,
                        "needs a thread of pool #{pool}: max_threads = {max_threads} reached; every worker is blocked waiting. Raise the cap (Builder::max_threads, ThreadPool::set_max_threads), or await the task instead of blocking a pool thread on it."
                    );
                }
            }
        }
        f.write_str(
            ". No thread in this cycle can run what the next one needs. Await the task instead of blocking on it, or let the awaited work resume elsewhere (configure_await(false)).",
        )
    }
}

impl Error for DeadlockError {}
