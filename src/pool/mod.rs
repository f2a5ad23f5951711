//! The thread pool: one work-stealing run queue per worker plus a global
//! queue, and workers that park without losing wake-ups or waking a herd.
//!
//! C#: `System.Threading.ThreadPool`, and the `PortableThreadPool` behind it.
//!
#![doc = include_str!("README.md")]
// The README links the private items it describes, so `cargo doc` fails
// when one is renamed; they are not shown in the public docs.
#![allow(rustdoc::private_intra_doc_links)]

mod blocking;
pub(crate) mod driver;
#[cfg(test)]
pub(crate) mod failpoints;
mod hill_climbing;
pub(crate) mod hook;
mod idle;
mod inject;
mod park;
pub(crate) mod queue;
pub(crate) mod replicate;
mod settings;
mod slots;
mod supervisor;
mod thread_pool;
mod thread_state;
mod threads;
mod worker;

#[cfg(all(test, loom))]
mod loom_blocking;
#[cfg(all(test, loom))]
mod loom_tests;

pub use blocking::blocking;
pub(crate) use blocking::{BlockingGuard, blocking_section};
pub use hill_climbing::{Decision, HillClimbing, HillClimbingSettings, Transition};
pub use settings::{MAX_POSSIBLE_THREADS, PoolSettings};
pub use thread_pool::{ThreadPool, ThreadPoolLimitError};

#[cfg(feature = "tokio-compat")]
pub(crate) use worker::on_worker_thread;
pub(crate) use worker::{current_pool, run_inline_if_queued, schedule_on_current_worker};

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::task::raw::{Notified, RawTask, TaskRef};
use crate::task::registry::Registry;
use crate::task::schedule::{Hint, Schedule};
use idle::{Idle, Notify, NotifyAction, Retire};
use inject::Inject;
use slots::Slots;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// Why a parked worker woke.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Woken {
    /// A notifier took it out of the sleepers, counting it as searching.
    Notified,
    /// The I/O driver it slept in queued work on it.
    LocalWork,
    /// The pool is shutting down.
    Shutdown,
    /// It was idle past `thread_idle_timeout` above the minimum: its thread
    /// leaves the pool.
    Retired,
}

/// The pool state every worker and every handle shares.
pub(crate) struct Shared {
    /// The worker slots (rings, parkers, per-worker counters).
    pub(crate) slots: Slots,
    pub(crate) inject: Inject,
    idle: Idle,
    pub(crate) registry: Registry,
    pub(crate) settings: PoolSettings,
    shutdown: AtomicBool,
    /// Worker threads still running their loop; shutdown waits for zero.
    live_workers: Mutex<usize>,
    workers_exited: Condvar,
    /// The pool's threads, joined at shutdown.
    pub(crate) threads: threads::Threads,
    /// The OS refused the last thread the pool tried to start (reported).
    thread_refused: AtomicBool,
    /// An id for diagnostics.
    pub(crate) id: u64,
    /// The I/O driver parked workers sleep in (`driver.rs`), set before the
    /// workers start.
    driver: std::sync::OnceLock<Arc<dyn driver::ParkDriver>>,
    /// What every thread of the runtime runs inside (`hook.rs`), set
    /// before the workers start.
    hook: std::sync::OnceLock<Arc<dyn hook::ThreadHook>>,
    /// The runtime's clock (real, until a test pauses it).
    pub(crate) clock: Arc<crate::time::clock::Clock>,
    /// The starvation supervisor's state (`supervisor.rs`).
    supervisor: supervisor::Supervisor,
    /// This pool, for the threads it starts.
    me: Weak<Shared>,
    /// Faults the unit tests inject into the pool's own code.
    #[cfg(test)]
    pub(crate) failpoints: failpoints::Failpoints,
}

static NEXT_POOL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Pools whose state is still allocated (see [`live_pools`]).
static LIVE_POOLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Pools (runtimes) whose shared state is still allocated: built, and not
/// yet freed (a runtime's state is freed when its threads have stopped and
/// its last handle, task and timer are gone).
pub(crate) fn live_pools() -> usize {
    LIVE_POOLS.load(std::sync::atomic::Ordering::Acquire)
}

impl Drop for Shared {
    fn drop(&mut self) {
        LIVE_POOLS.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl Shared {
    /// Makes the pool state and the cores of its first `workers` threads.
    pub(crate) fn new(mut settings: PoolSettings) -> (Arc<Shared>, Vec<worker::Core>) {
        let n = settings.workers.clamp(1, MAX_POSSIBLE_THREADS);
        settings.workers = n;
        settings.max_threads = settings.max_threads.clamp(n, MAX_POSSIBLE_THREADS);
        let cpus = std::thread::available_parallelism().map_or(1, |c| c.get());
        let without_delay = settings
            .blocking_threads_without_delay_per_core
            .saturating_mul(cpus);
        let slots = Slots::new();
        let mut cores = Vec::with_capacity(n);
        for _ in 0..n {
            let Some((index, local)) = slots.acquire() else {
                unreachable!("{n} slots fit in {MAX_POSSIBLE_THREADS}")
            };
            cores.push(worker::Core::new(index, local, &settings, false));
        }
        LIVE_POOLS.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let shared = Arc::new_cyclic(|me| Shared {
            slots,
            inject: Inject::new(settings.global_queue_capacity),
            idle: Idle::new(n, settings.max_threads, without_delay),
            registry: Registry::new(4 * n),
            supervisor: supervisor::Supervisor::new(&settings, n),
            settings,
            shutdown: AtomicBool::new(false),
            live_workers: Mutex::new(0),
            workers_exited: Condvar::new(),
            threads: threads::Threads::default(),
            thread_refused: AtomicBool::new(false),
            id: NEXT_POOL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            driver: std::sync::OnceLock::new(),
            hook: std::sync::OnceLock::new(),
            me: me.clone(),
            clock: crate::time::clock::Clock::new(),
            #[cfg(test)]
            failpoints: failpoints::Failpoints::default(),
        });
        crate::task::directory::list(&shared);
        let weak: std::sync::Weak<Shared> = Arc::downgrade(&shared);
        shared.clock.set_quiescence(weak);
        (shared, cores)
    }

    /// Lets parked workers sleep in `driver` (call before `start`; threads
    /// started later pick it up from here).
    pub(crate) fn set_driver(&self, driver: Arc<dyn driver::ParkDriver>) {
        for r in self.slots.iter() {
            r.parker.set_driver(driver.clone());
        }
        let _ = self.driver.set(driver);
    }

    /// Sets what every thread of the runtime runs inside, before the
    /// workers start; `thread` is the hook's own thread, joined at shutdown.
    #[cfg_attr(not(feature = "tokio-compat"), allow(dead_code))]
    pub(crate) fn set_hook(
        &self,
        hook: Arc<dyn hook::ThreadHook>,
        thread: Option<std::thread::JoinHandle<()>>,
    ) {
        if let Some(t) = thread {
            self.threads.add(t);
        }
        let _ = self.hook.set(hook);
    }

    /// What every thread of the runtime runs inside, if anything.
    pub(crate) fn hook(&self) -> Option<&Arc<dyn hook::ThreadHook>> {
        self.hook.get()
    }

    /// Runs `f` inside the runtime's thread hook (on a thread that is not
    /// one of the pool's, which run inside it already).
    pub(crate) fn run_in_hook<R>(&self, f: impl FnOnce() -> R) -> R {
        hook::run_in(self.hook(), f)
    }

    /// The I/O driver, if the runtime has one.
    pub(crate) fn driver(&self) -> Option<&Arc<dyn driver::ParkDriver>> {
        self.driver.get()
    }

    /// How many workers should run now (blocked ones are compensated).
    pub(crate) fn goal(&self) -> usize {
        self.idle.goal()
    }

    /// True if fewer workers run tasks than should: one is free to take
    /// more work (parked, or searching).
    pub(crate) fn has_capacity(&self) -> bool {
        let c = self.idle.counts();
        c.unparked.saturating_sub(c.blocked + c.searching) < c.goal
    }

    /// Threads the pool has now (blocked and parked ones included).
    pub(crate) fn num_workers(&self) -> usize {
        self.idle.live()
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Work was queued where another worker can take it: wake one parked
    /// worker (or start a thread) if nobody is searching and fewer than the
    /// goal run.
    pub(crate) fn notify_parked(&self) {
        let n = self.idle.worker_to_notify();
        self.act(n);
    }

    /// Carries out a notifier's decision.
    fn act(&self, n: Notify) {
        if n.wake_supervisor {
            self.supervisor.wake();
        }
        match n.action {
            NotifyAction::Nothing => {}
            NotifyAction::Wake(index) => self.slots.get(index).parker.unpark(),
            NotifyAction::Start => self.start_worker(),
        }
    }

    /// True if any queue holds work (the last searcher's re-check).
    fn has_queued_work(&self) -> bool {
        !self.inject.is_empty() || self.slots.iter().any(|r| !r.steal.is_empty())
    }

    /// Work items queued and not yet started, across every queue.
    pub(crate) fn pending_items(&self) -> usize {
        self.inject.len() + self.slots.iter().map(|r| r.queued()).sum::<usize>()
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
        self.slots.iter().map(|r| r.polls()).sum()
    }

    /// Parks worker `index` until something needs it: a notifier (it is
    /// then counted as searching), work the I/O driver queued on it while it
    /// slept there (`has_local_work`), shutdown, or its retirement.
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
        self.sleep_parked(index, has_local_work)
    }

    /// Worker `index`, listed as a sleeper, sleeps until woken. Above the
    /// minimum thread count it sleeps at most `thread_idle_timeout` at a
    /// time, and leaves the pool if nobody needed it by then.
    fn sleep_parked(&self, index: usize, has_local_work: impl Fn() -> bool) -> Woken {
        let remote = self.slots.get(index);
        let mut deadline: Option<Instant> = None;
        loop {
            if self.is_shutdown() {
                let (_, wake) = self.idle.remove_sleeper(index);
                if wake {
                    self.supervisor.wake();
                }
                return Woken::Shutdown;
            }
            let timeout = if self.idle.above_min() {
                let d = *deadline
                    .get_or_insert_with(|| Instant::now() + self.settings.thread_idle_timeout);
                Some(d.saturating_duration_since(Instant::now()))
            } else {
                deadline = None;
                None
            };
            remote.parker.park_timeout(timeout);
            if self.idle.was_notified(index) {
                return Woken::Notified;
            }
            if has_local_work() {
                // Not still listed as parked: a notifier took us out and
                // counted us as searching meanwhile.
                let (was_parked, wake) = self.idle.remove_sleeper(index);
                if wake {
                    self.supervisor.wake();
                }
                return if was_parked {
                    Woken::LocalWork
                } else {
                    Woken::Notified
                };
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                match self.idle.try_retire(index) {
                    Retire::Retired(from, to) => {
                        self.supervisor
                            .goal_changed(from, to, Transition::ThreadTimedOut);
                        return Woken::Retired;
                    }
                    Retire::Notified => return Woken::Notified,
                    Retire::Stay => deadline = None,
                }
            }
            // A wake-up with us still listed as parked: shutdown, or a token
            // left by an earlier unpark. Sleep again unless shutting down.
        }
    }

    /// Starts the first worker threads and the supervisor.
    pub(crate) fn start(self: &Arc<Shared>, cores: Vec<worker::Core>) -> std::io::Result<()> {
        for core in cores {
            if let Err(e) = self.spawn_thread(core) {
                self.shutdown(Instant::now());
                return Err(e);
            }
        }
        if let Err(e) = supervisor::start(self) {
            self.shutdown(Instant::now());
            return Err(e);
        }
        Ok(())
    }

    /// Starts a thread the idle counts already reserved (live, unparked,
    /// searching), in a free slot.
    fn start_worker(&self) {
        let me = match self.me.upgrade() {
            Some(me) if !self.is_shutdown() => me,
            _ => return self.idle.start_failed(),
        };
        let Some((index, local)) = self.slots.acquire() else {
            crate::diag::emit::warn(
                crate::diag::emit::ReportKind::ThreadRefused,
                None,
                format_args!(
                    "pool #{}: every thread slot is in use; no thread added",
                    self.id
                ),
            );
            return self.idle.start_failed();
        };
        let remote = self.slots.get(index);
        if let Some(d) = self.driver() {
            remote.parker.set_driver(d.clone());
        }
        let core = worker::Core::new(index, local, &self.settings, true);
        match me.spawn_thread_or_return(core) {
            Ok(()) => self.thread_refused.store(false, Ordering::Release),
            Err((e, local)) => {
                self.slots.release(index, local);
                self.idle.start_failed();
                self.report_thread_refused(&e);
            }
        }
    }

    /// The OS refused a thread: the pool goes on with the threads it has
    /// (a later need tries again). Reported once until a thread starts
    /// again, not at every try.
    fn report_thread_refused(&self, e: &std::io::Error) {
        if self.thread_refused.swap(true, Ordering::AcqRel) {
            return;
        }
        let threads = self.num_workers();
        tracing::warn!(
            pool = self.id,
            error = %e,
            threads,
            "tasklane pool: the OS refused a new thread; going on with the threads it has"
        );
        crate::diag::emit::stderr_line(format_args!(
            "pool #{} could not start a thread ({e}); it goes on with its {threads} threads and tries again when more are needed (reported once until a thread starts)",
            self.id
        ));
    }

    /// Spawns the OS thread for `core`.
    fn spawn_thread(self: &Arc<Shared>, core: worker::Core) -> std::io::Result<()> {
        self.spawn_thread_or_return(core).map_err(|(e, _)| e)
    }

    /// Spawns the OS thread for `core`; on failure gives back the core's
    /// ring end, so the slot can be reused.
    fn spawn_thread_or_return(
        self: &Arc<Shared>,
        core: worker::Core,
    ) -> Result<(), (std::io::Error, queue::Local)> {
        *self.live_workers.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        let index = core.index();
        let name = format!("{}-{}", self.settings.thread_name, index);
        // The core travels through a cell, so a failed spawn hands it back.
        let cell = Arc::new(Mutex::new(Some(core)));
        let shared = self.clone();
        let handoff = cell.clone();
        let spawned = std::thread::Builder::new()
            .name(name)
            .stack_size(self.settings.stack_size)
            .spawn(move || {
                let core = handoff.lock().unwrap_or_else(|p| p.into_inner()).take();
                drop(handoff);
                if let Some(core) = core {
                    let hook = shared.hook().cloned();
                    hook::run_in(hook.as_ref(), move || worker::run(shared, core));
                }
            });
        match spawned {
            Ok(handle) => {
                self.threads.add(handle);
                Ok(())
            }
            Err(e) => {
                self.worker_exited();
                let core = cell.lock().unwrap_or_else(|p| p.into_inner()).take();
                match core {
                    Some(core) => Err((e, core.into_local())),
                    None => unreachable!("a thread that never started took its core"),
                }
            }
        }
    }

    fn worker_exited(&self) {
        let mut live = self.live_workers.lock().unwrap_or_else(|p| p.into_inner());
        *live -= 1;
        if *live == 0 {
            self.workers_exited.notify_all();
        }
    }

    /// Shuts the pool down: pending tasks end Canceled, workers stop. Waits
    /// until `deadline` for every thread of the pool to have ended; true if
    /// they all did. Called on one of the pool's own workers (a runtime
    /// dropped inside its own task), it does not wait for that worker,
    /// which stops once its task returns.
    pub(crate) fn shutdown(&self, deadline: Instant) -> bool {
        let started = Instant::now();
        let mut running = Vec::new();
        if !self.shutdown.swap(true, Ordering::AcqRel) {
            // What each worker runs, read while the tasks are still listed:
            // named if the wait turns out slow.
            running = self.running_tasks();
            self.registry.close_and_drain(|task| {
                task.raw()
                    .shutdown(crate::task::CancelReason::RuntimeShutdown)
            });
            self.inject.close();
        }
        for r in self.slots.iter() {
            r.parker.unpark();
        }
        self.supervisor.wake();
        if let Some(d) = self.driver() {
            d.shutdown();
        }
        let own = usize::from(worker::is_worker_of(self));
        let report_at = started + crate::diag::settings::SLOW_SHUTDOWN_REPORT;
        let mut reported = false;
        let mut live = self.live_workers.lock().unwrap_or_else(|p| p.into_inner());
        while *live > own {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            if !reported && now >= report_at {
                reported = true;
                let waiting_for = *live - own;
                drop(live);
                self.report_slow_shutdown(started, deadline, waiting_for, &running);
                live = self.live_workers.lock().unwrap_or_else(|p| p.into_inner());
                continue;
            }
            let until = if reported {
                deadline
            } else {
                deadline.min(report_at)
            };
            live = self
                .workers_exited
                .wait_timeout(live, until.saturating_duration_since(now))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        drop(live);
        // The workers are out of their loops and the tasks dropped (their
        // Tokio resources deregistered): now the hook stops (the Tokio
        // bridge drops what was given to `tokio::spawn`).
        if let Some(h) = self.hook() {
            h.shutdown(deadline);
        }
        // Now until each thread has ended (dropped its share of the pool
        // and its thread-locals), the supervisor and the hook's too.
        self.threads.join_all(deadline)
    }

    /// The tasks the workers are in the middle of: (worker, task header,
    /// id, spawn location).
    fn running_tasks(&self) -> Vec<RunningTask> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(worker, r)| {
                let header = r.running();
                let (id, location) = self.registry.describe(header)?;
                Some(RunningTask {
                    worker,
                    header,
                    id,
                    location,
                })
            })
            .collect()
    }

    /// A shutdown has waited longer than
    /// [`SLOW_SHUTDOWN_REPORT`](crate::diag::settings::SLOW_SHUTDOWN_REPORT)
    /// for its workers: says which tasks hold them, and where they were
    /// spawned.
    fn report_slow_shutdown(
        &self,
        started: Instant,
        deadline: Instant,
        waiting_for: usize,
        running: &[RunningTask],
    ) {
        use crate::diag::emit::duration_text;
        use std::fmt::Write;
        let mut text = format!(
            "the shutdown of runtime #{} has waited {} for {waiting_for} worker thread(s) (it waits up to {} in all)",
            self.id,
            duration_text(started.elapsed()),
            duration_text(deadline.saturating_duration_since(started))
        );
        // A task is still running if its worker is still in that poll.
        let still: Vec<&RunningTask> = running
            .iter()
            .filter(|t| self.slots.get(t.worker).running() == t.header)
            .collect();
        if still.is_empty() {
            text.push_str("; no task is in a poll: the threads are ending");
        } else {
            text.push_str(", still running:");
            for t in &still {
                let _ = write!(
                    text,
                    " task {} spawned at {} (worker {});",
                    t.id, t.location, t.worker
                );
            }
            text.pop();
            text.push_str(
                ". A task that blocks, or loops, without a cancellation token keeps its thread until it returns",
            );
        }
        crate::diag::emit::warn(
            crate::diag::emit::ReportKind::ShutdownWait,
            still.first().map(|t| t.location),
            format_args!("{text}"),
        );
    }

    /// At its maximum thread count with every thread blocked, and work
    /// queued that no thread will take until one of them returns.
    pub(crate) fn is_exhausted(&self) -> bool {
        self.idle.is_exhausted() && self.has_queued_work()
    }

    /// How often a thread blocked on this pool looks whether the pool is
    /// exhausted: a tenth of `exhausted_wait_timeout`, between 1 and 100 ms.
    pub(crate) fn exhaustion_recheck(&self) -> Duration {
        (self.settings.exhausted_wait_timeout / 10)
            .clamp(Duration::from_millis(1), Duration::from_millis(100))
    }

    /// Runs one task from the global queue on the calling thread, a worker
    /// of this pool blocked in `block_on` while the pool is exhausted. True
    /// if it ran one.
    pub(crate) fn run_one_queued(&self) -> bool {
        match self.inject.pop() {
            Some(task) => {
                task.run();
                true
            }
            None => false,
        }
    }

    /// Tasks listed in the registry (live tasks of this pool).
    pub(crate) fn live_tasks(&self) -> usize {
        self.registry.len()
    }

    /// The thread counts (the .NET surface, diagnostics).
    pub(crate) fn counts(&self) -> idle::Counts {
        self.idle.counts()
    }

    /// The minimum and maximum thread counts.
    pub(crate) fn limits(&self) -> (usize, usize) {
        self.idle.limits()
    }

    /// Sets the minimum and maximum thread counts (validated by the
    /// caller), then lets the pool act on a raised goal.
    pub(crate) fn set_limits(&self, min: usize, max: usize) {
        let (from, to) = self.idle.set_limits(min, max);
        self.supervisor
            .goal_changed(from, to, Transition::Initializing);
        if to > from && self.has_queued_work() {
            self.notify_parked();
        }
    }

    /// The controller's recent decisions (and the starvation and
    /// idle-timeout changes of the goal), oldest first.
    pub(crate) fn decisions(&self) -> Vec<Decision> {
        self.supervisor.decisions()
    }

    /// How long a blocked thread's replacement waits past the allowance
    /// (.NET's delay steps), given the threads now live.
    fn blocking_delay(&self, live: usize) -> Duration {
        let cpus = std::thread::available_parallelism().map_or(1, |c| c.get());
        let s = &self.settings;
        let per_step = (s.blocking_threads_per_delay_step_per_core * cpus).max(1);
        let steps = 1 + live.saturating_sub(self.idle.allowance()) / per_step;
        s.blocking_delay_step
            .saturating_mul(steps.min(u32::MAX as usize) as u32)
            .min(s.blocking_max_delay)
    }
}

impl crate::time::clock::Quiescence for Shared {
    fn is_quiescent(&self) -> bool {
        let counts = self.idle.counts();
        counts.unparked <= counts.blocked && self.pending_items() == 0
    }
}

impl Schedule for Shared {
    fn registry(&self) -> &crate::task::registry::Registry {
        &self.registry
    }

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

    fn queue_long_running(&self, task: Notified) {
        run_dedicated(task);
    }

    fn runs_continuations_anywhere(&self) -> bool {
        // Anywhere but a hook's own thread (the Tokio bridge's driver,
        // which must never block in a task).
        !hook::refuses_tasks()
    }

    fn run_inline(&self, poll: &mut dyn FnMut()) {
        // A pool thread runs inside the hook already; another thread
        // enters it for this poll.
        match self.hook() {
            Some(h) if !worker::is_worker_of(self) => h.run(poll),
            _ => poll(),
        }
    }

    fn describe(&self) -> String {
        format!("pool #{}", self.id)
    }
}

/// Runs a LongRunning task on a thread of its own. C#:
/// `TaskCreationOptions.LongRunning` (a dedicated thread, outside the pool).
pub(crate) fn run_dedicated(task: Notified) {
    let raw = task.into_raw();
    let handle = crate::runtime::Handle::try_current_or_default();
    let spawned = std::thread::Builder::new()
        .name("tasklane-long-running".to_owned())
        .spawn(move || {
            let _enter = handle.as_ref().map(crate::runtime::Handle::enter);
            let hook = handle.as_ref().and_then(|h| h.shared().hook().cloned());
            hook::run_in(hook.as_ref(), || Notified(raw).run());
        });
    if let Err(e) = spawned {
        // No thread: run it on the pool instead of losing it.
        crate::diag::emit::warn(
            crate::diag::emit::ReportKind::ThreadRefused,
            None,
            format_args!("could not start a LongRunning thread ({e}); the task runs on the pool"),
        );
        crate::task::schedule::schedule(Notified(raw), false);
    }
}

/// A task a worker was running when its runtime began to shut down.
struct RunningTask {
    worker: usize,
    header: *mut crate::task::header::Header,
    id: u64,
    location: &'static std::panic::Location<'static>,
}
