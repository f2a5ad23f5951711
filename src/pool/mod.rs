//! The thread pool: one work-stealing run queue per worker plus a global
//! queue, and workers that park without losing wake-ups or waking a herd.
//!
#![doc = include_str!("README.md")]
// The README links the private items it describes, so `cargo doc` fails
// when one is renamed; they are not shown in the public docs.
#![allow(rustdoc::private_intra_doc_links)]

mod blocking;
pub(crate) mod driver;
mod hill_climbing;
mod idle;
mod inject;
mod park;
pub(crate) mod queue;
mod settings;
mod thread_pool;
mod worker;

#[cfg(all(test, loom))]
mod loom_tests;

pub(crate) use blocking::blocking_section;
pub use hill_climbing::{Decision, HillClimbing, HillClimbingSettings, Transition};
pub use settings::PoolSettings;
pub use thread_pool::ThreadPool;

pub(crate) use worker::schedule_on_current_worker;

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::task::raw::{Notified, RawTask, TaskRef};
use crate::task::registry::Registry;
use crate::task::schedule::{Hint, Schedule};
use idle::Idle;
use inject::Inject;
use park::Parker;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// What other threads may touch of one worker.
pub(crate) struct Remote {
    steal: queue::Steal,
    parker: Parker,
    /// Polls this worker ran. Written only by the worker (a plain load and
    /// store, no read-modify-write), on its own cache line so thieves
    /// reading `steal` do not share it.
    polls: Padded<std::sync::atomic::AtomicU64>,
}

/// Keeps a value on cache lines of its own.
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

impl Remote {
    /// Tasks in this worker's ring now (approximate).
    pub(crate) fn queued(&self) -> usize {
        self.steal.len()
    }

    /// The worker ran `n` more polls (called only by the worker).
    fn polled(&self, n: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.polls.0.store(self.polls.0.load(Relaxed) + n, Relaxed);
    }
}

/// Why a parked worker woke.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Woken {
    /// A notifier took it out of the sleepers, counting it as searching.
    Notified,
    /// The I/O driver it slept in queued work on it.
    LocalWork,
    /// The pool is shutting down.
    Shutdown,
}

/// The pool state every worker and every handle shares.
pub(crate) struct Shared {
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) inject: Inject,
    idle: Idle,
    pub(crate) registry: Registry,
    pub(crate) settings: PoolSettings,
    shutdown: AtomicBool,
    /// Workers still running their loop; shutdown waits for zero.
    live_workers: Mutex<usize>,
    workers_exited: Condvar,
    /// An id for diagnostics.
    pub(crate) id: u64,
    /// The I/O driver parked workers sleep in (`driver.rs`), set before the
    /// workers start.
    driver: std::sync::OnceLock<Arc<dyn driver::ParkDriver>>,
}

static NEXT_POOL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Shared {
    /// Makes the pool state and the per-worker cores.
    pub(crate) fn new(settings: PoolSettings) -> (Arc<Shared>, Vec<worker::Core>) {
        let n = settings.workers.max(1);
        let mut remotes = Vec::with_capacity(n);
        let mut cores = Vec::with_capacity(n);
        for index in 0..n {
            let (steal, local) = queue::local();
            remotes.push(Remote {
                steal,
                parker: Parker::new(),
                polls: Padded(std::sync::atomic::AtomicU64::new(0)),
            });
            cores.push(worker::Core::new(index, local, &settings));
        }
        let shared = Arc::new(Shared {
            remotes: remotes.into_boxed_slice(),
            inject: Inject::new(settings.global_queue_capacity),
            idle: Idle::new(n),
            registry: Registry::new(4 * n),
            settings,
            shutdown: AtomicBool::new(false),
            live_workers: Mutex::new(0),
            workers_exited: Condvar::new(),
            id: NEXT_POOL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            driver: std::sync::OnceLock::new(),
        });
        (shared, cores)
    }

    /// Lets parked workers sleep in `driver` (call before `start`).
    pub(crate) fn set_driver(&self, driver: Arc<dyn driver::ParkDriver>) {
        for r in self.remotes.iter() {
            r.parker.set_driver(driver.clone());
        }
        let _ = self.driver.set(driver);
    }

    /// The I/O driver, if the runtime has one.
    pub(crate) fn driver(&self) -> Option<&Arc<dyn driver::ParkDriver>> {
        self.driver.get()
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Work was queued where another worker can take it: wake one parked
    /// worker if nobody is searching.
    pub(crate) fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].parker.unpark();
        }
    }

    /// True if any queue holds work (the last searcher's re-check).
    fn has_queued_work(&self) -> bool {
        !self.inject.is_empty() || self.remotes.iter().any(|r| !r.steal.is_empty())
    }

    /// Queues a task on the global queue and wakes a worker for it if
    /// nobody is searching.
    fn push_global(&self, task: Notified) {
        self.inject.push(task);
        self.notify_parked();
    }

    /// Queues a task from a thread that is not one of this pool's workers.
    fn schedule_remote(&self, task: Notified) {
        crate::diag::counters::scheduled();
        self.push_global(task);
    }

    /// Work items the workers have run: every poll counts as one, as .NET
    /// counts dispatched work items.
    pub(crate) fn completed_items(&self) -> u64 {
        self.remotes
            .iter()
            .map(|r| r.polls.0.load(std::sync::atomic::Ordering::Relaxed))
            .sum()
    }

    /// Parks worker `index` until something needs it: a notifier (it is
    /// then counted as searching), work the I/O driver queued on it while it
    /// slept there (`has_local_work`), or shutdown.
    pub(crate) fn park_worker(
        &self,
        index: usize,
        was_searching: bool,
        has_local_work: impl Fn() -> bool,
    ) -> Woken {
        if self.idle.transition_worker_to_parked(index, was_searching) && self.has_queued_work() {
            // We were the last searcher and work arrived meanwhile: make sure
            // a worker (maybe this one) wakes for it.
            self.notify_parked();
        }
        loop {
            if self.is_shutdown() {
                self.idle.remove_sleeper(index);
                return Woken::Shutdown;
            }
            self.remotes[index].parker.park();
            if self.idle.was_notified(index) {
                return Woken::Notified;
            }
            if has_local_work() {
                // Not still listed as parked: a notifier took us out and
                // counted us as searching meanwhile.
                return if self.idle.remove_sleeper(index) {
                    Woken::LocalWork
                } else {
                    Woken::Notified
                };
            }
            // A wake-up with us still listed as parked: shutdown, or a token
            // left by an earlier unpark. Sleep again unless shutting down.
        }
    }

    /// Starts the worker threads.
    pub(crate) fn start(self: &Arc<Shared>, cores: Vec<worker::Core>) -> std::io::Result<()> {
        for core in cores {
            let shared = self.clone();
            *self.live_workers.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            let name = format!("{}-{}", self.settings.thread_name, core.index());
            let spawned = std::thread::Builder::new()
                .name(name)
                .stack_size(self.settings.stack_size)
                .spawn(move || worker::run(shared, core));
            if let Err(e) = spawned {
                self.worker_exited();
                self.shutdown(Instant::now());
                return Err(e);
            }
        }
        Ok(())
    }

    fn worker_exited(&self) {
        let mut live = self.live_workers.lock().unwrap_or_else(|p| p.into_inner());
        *live -= 1;
        if *live == 0 {
            self.workers_exited.notify_all();
        }
    }

    /// Shuts the pool down: pending tasks end Canceled, workers stop. Waits
    /// for the workers until `deadline`; true if they all stopped.
    pub(crate) fn shutdown(&self, deadline: Instant) -> bool {
        if !self.shutdown.swap(true, Ordering::AcqRel) {
            self.registry.close_and_drain(|task| {
                task.raw()
                    .shutdown(crate::task::CancelReason::RuntimeShutdown)
            });
            self.inject.close();
        }
        for r in self.remotes.iter() {
            r.parker.unpark();
        }
        if let Some(d) = self.driver() {
            d.shutdown();
        }
        let mut live = self.live_workers.lock().unwrap_or_else(|p| p.into_inner());
        while *live > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            live = self
                .workers_exited
                .wait_timeout(live, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// Tasks listed in the registry (live tasks of this pool).
    pub(crate) fn live_tasks(&self) -> usize {
        self.registry.len()
    }
}

impl Schedule for Shared {
    fn schedule(&self, task: Notified, hint: Hint) {
        match schedule_on_current_worker(self as *const Shared as *const (), task, hint) {
            Ok(()) => {}
            Err(task) => self.schedule_remote(task),
        }
    }

    fn bind(&self, task: RawTask) -> bool {
        self.registry.insert(task)
    }

    fn release(&self, task: RawTask) -> Option<TaskRef> {
        self.registry.remove(task)
    }

    fn is_current(&self) -> bool {
        worker::is_worker_of(self)
    }

    fn describe(&self) -> String {
        format!("pool #{}", self.id)
    }
}

/// Runs a LongRunning task on a thread of its own.
pub(crate) fn run_dedicated(task: Notified) {
    let raw = task.into_raw();
    let handle = crate::runtime::Handle::try_current_or_default();
    let spawned = std::thread::Builder::new()
        .name("tasklane-long-running".to_owned())
        .spawn(move || {
            let _enter = handle.as_ref().map(crate::runtime::Handle::enter);
            Notified(raw).run();
        });
    if let Err(e) = spawned {
        // No thread: run it on the pool instead of losing it.
        tracing::warn!(error = %e, "could not start a LongRunning thread; queuing to the pool");
        crate::task::schedule::schedule(Notified(raw), false);
    }
}
