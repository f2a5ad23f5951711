//! The link from a task to the scheduler that polls it: its *home*.
//!
//! A task's home is the pool of a runtime, or a context (a `Dispatcher`, a
//! `SynchronizationContext`). Every wake schedules the task on its home, which
//! is how `await` resumes on the captured context.

use super::raw::{Notified, RawTask, TaskRef};
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

/// How a notified task reached the scheduler.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Hint {
    /// A wake or a spawn: from a worker of this pool, its local queue.
    Normal,
    /// A task that woke itself while running: the back of the local queue
    /// (never the LIFO slot, so it cannot starve queued work).
    Requeue,
    /// `yield_now`: on the pool, deferred by the worker, then the back of
    /// its local ring (see the pool README, "Where work goes").
    Yield,
    /// A continuation that must not run on the completing thread
    /// (RunContinuationsAsynchronously): the global queue.
    Remote,
}

/// A scheduler a task can call home.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Queues a task to be polled.
    fn schedule(&self, task: Notified, hint: Hint);

    /// Records a new task in this scheduler's registry (which takes a ref of
    /// its own). False if the scheduler is shut down: the caller cancels it.
    fn bind(&self, task: RawTask) -> bool;

    /// Removes a finished task from the registry, returning the registry's
    /// ref (None if it was already removed, at shutdown).
    fn release(&self, task: RawTask) -> Option<TaskRef>;

    /// True when the calling thread is one this scheduler polls on.
    fn is_current(&self) -> bool;

    /// This scheduler's live tasks (a task dump walks it).
    fn registry(&self) -> &super::registry::Registry;

    /// A short name for diagnostics ("pool", "dispatcher 'ui'").
    fn describe(&self) -> String;

    /// True if a task of this home that awaits another may resume on any
    /// thread that completes what it awaits (a pool: .NET runs a
    /// continuation of `TaskScheduler.Default` inline on the completing
    /// thread). False: only on this home's own thread (`is_current`).
    fn runs_continuations_anywhere(&self) -> bool {
        false
    }

    /// Polls a task of this home on the calling thread, which is not
    /// necessarily one of the home's (a continuation run inline): the home
    /// may set up what its tasks expect of a thread first.
    fn run_inline(&self, poll: &mut dyn FnMut()) {
        poll()
    }

    /// Asked to run `task` (a continuation, notified by the caller) on the
    /// calling thread now instead of queueing it; gives it back if not. The
    /// built-in homes decide with `runs_continuations_anywhere` and
    /// `is_current`; a user scheduler is asked
    /// (`TaskScheduler::try_execute_task_inline`).
    fn try_execute_inline(&self, task: Notified) -> Result<(), Notified> {
        Err(task)
    }

    /// A task of this home, canceled by its token before it started: true
    /// if it may end Canceled now (the pool: always; a user scheduler:
    /// if it took it out of its queue, `TaskScheduler::try_dequeue`); false
    /// leaves it queued, to end Canceled unrun when it is executed.
    fn try_dequeue(&self, task: RawTask) -> bool {
        let _ = task;
        true
    }

    /// How many tasks this home runs at once at most.
    fn maximum_concurrency_level(&self) -> usize {
        usize::MAX
    }

    /// The tasks queued here and not yet run, if this home says.
    fn scheduled_tasks(&self) -> Option<Vec<super::scheduler::ScheduledTask>> {
        None
    }

    /// Queues a task created `LONG_RUNNING`: a hint that it blocks for a
    /// long time (the pool gives it a thread of its own). Default: queued
    /// as any task.
    fn queue_long_running(&self, task: Notified) {
        self.schedule(task, Hint::Normal)
    }

    /// Why tasks given to this home after it shut down end Canceled.
    fn shutdown_reason(&self) -> crate::task::CancelReason {
        crate::task::CancelReason::RuntimeShutdown
    }

    /// True if this home polls and drops its tasks only on the one thread
    /// where `is_current()` holds (a dispatcher). `Spawn::spawn_local`
    /// accepts `!Send` futures only for such a home; an implementation that
    /// answers true and polls elsewhere would be unsound (the trait is
    /// crate-private, and only the dispatcher answers true).
    fn polls_on_one_thread(&self) -> bool {
        false
    }
}

/// A shared reference to a scheduler.
#[derive(Clone)]
pub(crate) struct Home(pub(crate) Arc<dyn Schedule>);

impl Home {
    pub(crate) fn schedule(&self, task: Notified, hint: Hint) {
        self.0.schedule(task, hint)
    }

    #[allow(dead_code)] // Not called yet: kept for the contexts and diagnostics issues.
    pub(crate) fn ptr_eq(&self, other: &Home) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(&other.0))
    }
}

impl fmt::Debug for Home {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.describe())
    }
}

thread_local! {
    /// Set while draining continuations of a task created with
    /// RunContinuationsAsynchronously: wakes then go to the global queue.
    static FORCE_REMOTE: Cell<bool> = const { Cell::new(false) };

    /// The scheduler this thread is a worker of, if any (see
    /// [`LocalScheduler`]).
    static LOCAL: Cell<Option<LocalScheduler>> = const { Cell::new(None) };
}

/// A thread that is a worker of a scheduler (a pool worker) tells the task
/// layer so, with a way to queue onto it that skips the scheduler object:
/// a task woken on its own pool's worker goes to that worker's queue with
/// one thread-local read, no `Arc` clone and no virtual call. Set by the
/// worker for its life.
#[derive(Clone, Copy)]
pub(crate) struct LocalScheduler {
    /// The address of the scheduler's `Schedule` object (`Arc::as_ptr`).
    pub(crate) home: *const (),
    /// Queues a task of that scheduler on this worker; gives it back if the
    /// worker cannot take it now.
    pub(crate) schedule: fn(Notified, Hint) -> Result<(), Notified>,
}

/// Sets (or clears) the scheduler this thread is a worker of.
pub(crate) fn set_local_scheduler(local: Option<LocalScheduler>) {
    LOCAL.with(|l| l.set(local));
}

/// True on a worker thread of a scheduler that registered itself (a pool
/// worker): its tasks need no set-up to be polled here.
pub(crate) fn on_worker_thread() -> bool {
    LOCAL.with(|l| l.get().is_some())
}

/// Runs `f` with every wake on this thread going through a global queue.
pub(crate) fn with_remote_wakes<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            FORCE_REMOTE.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(FORCE_REMOTE.with(|c| c.replace(true)));
    f()
}

/// True inside [`with_remote_wakes`]: nothing runs inline on this thread.
pub(crate) fn remote_wakes_forced() -> bool {
    FORCE_REMOTE.with(Cell::get)
}

/// Schedules a notified task on its home.
pub(crate) fn schedule(task: Notified, yielding: bool) {
    schedule_with(task, hint_for(yielding), Alive::Unknown);
}

/// Schedules a notified task whose cell the caller keeps alive through a
/// ref of its own (a task handle, a waker woken by reference) until this
/// returns.
pub(crate) fn schedule_held(task: Notified) {
    schedule_with(task, hint_for(false), Alive::Held);
}

fn hint_for(yielding: bool) -> Hint {
    if yielding {
        Hint::Yield
    } else if FORCE_REMOTE.with(|c| c.get()) {
        Hint::Remote
    } else {
        Hint::Normal
    }
}

/// Whether the caller keeps the task's cell alive while it is scheduled.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Alive {
    /// The caller holds a ref of its own besides the `Notified`.
    Held,
    /// The `Notified` may be the only ref.
    Unknown,
}

fn schedule_with(task: Notified, hint: Hint, alive: Alive) {
    let raw = task.raw();
    // SAFETY: rule 2 of header.rs — we own the NOTIFIED transition, which
    // happened after the last owner's writes to `home`.
    let addr = raw
        .header()
        .home
        .with(|h| unsafe { (*h).as_ref().map(|h| Arc::as_ptr(&h.0) as *const ()) });
    let Some(addr) = addr else {
        // A promise is never scheduled; drop the stray ref.
        drop(task);
        return;
    };
    // Fast path: a worker scheduling onto its own pool needs no clone of the
    // home (the worker keeps the pool alive).
    let task = match LOCAL.with(Cell::get) {
        Some(local) if local.home == addr => match (local.schedule)(task, hint) {
            Ok(()) => return,
            Err(task) => task,
        },
        _ => task,
    };
    match alive {
        Alive::Held => {
            // The caller's ref keeps the cell, and with it the home, alive
            // until we return: borrow the home instead of cloning its `Arc`
            // (a count every spawning thread shares).
            // SAFETY: rule 2, as above; the caller's ref keeps the header.
            raw.header().home.with(|h| {
                // SAFETY: as above.
                if let Some(home) = unsafe { (*h).as_ref() } {
                    home.schedule(task, hint);
                }
            });
        }
        Alive::Unknown => {
            // Hold the home alive while scheduling: the task may run, finish
            // and drop its home before `schedule` returns.
            if let Some(home) = home_of(raw) {
                home.schedule(task, hint);
            }
        }
    }
}

/// Reschedules a task that was woken while it ran.
pub(crate) fn schedule_requeue(task: Notified, yielded: bool) {
    let hint = if yielded { Hint::Yield } else { Hint::Requeue };
    schedule_with(task, hint, Alive::Unknown);
}

/// The home of the task running on this thread, unless it hides its
/// scheduler (`HIDE_SCHEDULER`): C#'s `TaskScheduler.Current` inside a
/// task. None outside any task.
pub(crate) fn current_task_home() -> Option<Home> {
    let raw = super::current::current()?;
    if raw
        .header()
        .options
        .contains(super::TaskCreationOptions::HIDE_SCHEDULER)
    {
        return None;
    }
    // SAFETY: the running task's poller owns its stage (rule 2): nobody
    // writes its home during the poll but the poll itself, on this thread.
    raw.header().home.with(|h| unsafe { (*h).clone() })
}

/// Moves a task that was never polled, and whose start the caller owns
/// (it made the task NOTIFIED: rule 2 of header.rs), to `target`: out of
/// its old home's registry, into the target's, then the home pointer. If
/// the target is shut down the task ends Canceled and this returns false.
pub(crate) fn rehome_unstarted(raw: RawTask, target: &Home) -> bool {
    let Some(old) = home_of(raw) else {
        return false;
    };
    if old.ptr_eq(target) {
        return true;
    }
    // The target's registry takes a ref of its own.
    raw.ref_inc();
    if !target.0.bind(raw) {
        raw.ref_dec();
        // The target is shut down: the task ends as a task given to it.
        if raw.header().state.try_claim_queued() {
            raw.cancel_owned(target.0.shutdown_reason());
        }
        drop(Notified(raw));
        return false;
    }
    // The old registry's ref goes.
    drop(old.0.release(raw));
    raw.header().home.with_mut(|h| {
        // SAFETY: rule 2 of header.rs: the caller owns the start (NOTIFIED,
        // never polled), so no other thread reads or writes `home` now.
        unsafe { *h = Some(target.clone()) }
    });
    true
}

/// Reads a task's home (rule 2 of header.rs applies to the caller).
pub(crate) fn home_of(raw: RawTask) -> Option<Home> {
    // SAFETY: the caller owns the stage or the notified transition (rule 2).
    raw.header().home.with(|h| unsafe { (*h).clone() })
}

/// Makes `home` the home of `task`, which must be the task being polled on
/// this thread (its runner owns the stage, so it is the only writer of
/// `home`, rule 2 of header.rs). The next schedule of the task goes there.
/// Returns false (and changes nothing) if `task` is not that task, or is
/// pinned (its future is not `Send`).
pub(crate) fn set_home_of_current(task: RawTask, home: Home) -> bool {
    if super::current::current() != Some(task) || task.header().pinned {
        return false;
    }
    debug_assert!(task.header().state.load().is_running());
    task.header().home.with_mut(|h| {
        // SAFETY: rule 2 of header.rs: `task` is being polled on this thread
        // (checked above), so this thread owns the stage and is the only
        // writer of `home`; other threads read it only after the runner's
        // `transition_to_idle` publishes this write.
        unsafe { *h = Some(home) }
    });
    true
}
