//! Cooperative blocking: a pool thread about to block tells the pool, which
//! keeps `workers` threads running beside it.
//!
//! Every blocking entry of the runtime comes here: [`blocking`] (and the
//! file and DNS work that calls it), `Task::wait`/`result` on a pool thread,
//! and `block_on` on a pool thread. Entering, the worker
//!
//! 1. moves every task it holds (LIFO slot, yielded batch, local ring) to
//!    the global queue, so nothing waits behind the blocked thread;
//! 2. counts itself blocked ([`Idle::enter_blocking`]): the running count
//!    falls below the goal;
//! 3. re-checks the queues and, if work waits, notifies: a parked worker
//!    wakes, or a thread starts (at once up to the allowance, then after
//!    .NET's delay steps, through the supervisor).
//!
//! The runtime's own blocking sections (file syscalls, DNS lookups:
//! [`blocking_section`]) are usually microseconds long, and are often not
//! blocking at all (resolving an address that is already one): they do
//! step 1 and mark the worker, but are not counted as blocked until the
//! supervisor sees one last a `stall_window`, so a short section never
//! creates a thread that then idles for `thread_idle_timeout`.
//!
//! While blocked, work it schedules goes to the global queue. Leaving, it
//! counts itself running again and checks at its next task whether the pool
//! now runs more workers than the goal; if so it stands down (parks), and a
//! parked thread above the minimum retires after `thread_idle_timeout`.
//!
//! C#: what .NET 6+ does inside `Task.Wait`, `Monitor.Wait` and friends on
//! a pool thread (`PortableThreadPool.NotifyThreadBlocked` /
//! `NotifyThreadUnblocked`).
//!
//! [`Idle::enter_blocking`]: super::idle::Idle::enter_blocking

use super::worker::with_worker;
use std::marker::PhantomData;

/// Runs `f`, which blocks its thread (a synchronous read, a lock held
/// elsewhere, `std::thread::sleep`, a call into blocking legacy code), and
/// tells the pool first, so the rest of its work keeps running on other
/// threads: on a pool thread, the pool adds a thread at once if work is
/// queued, and gives it back once the blocking is over. On any other
/// thread it just runs `f`.
///
/// C#: no direct name — .NET's pool does this itself inside `Task.Wait`,
/// `.Result` and `Monitor.Wait` (cooperative blocking, .NET 6+), and the
/// closest public tool is `TaskCreationOptions.LongRunning`. Tokio's
/// counterpart is `block_in_place`.
///
/// Without the annotation the pool still recovers (its supervisor notices
/// a worker stuck asleep in a poll, after `PoolSettings::stall_window`),
/// only later.
///
/// ```
/// use tasklane::Task;
/// use std::time::Duration;
///
/// let legacy = Task::run(|| {
///     tasklane::blocking(|| std::thread::sleep(Duration::from_millis(10)));
///     "done"
/// });
/// assert_eq!(legacy.result().unwrap(), "done");
/// ```
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    let _guard = BlockingGuard::enter();
    f()
}

/// Runs `f` as the runtime's own blocking work (file syscalls, DNS
/// lookups): as [`blocking`], but counted as blocked (and compensated) only
/// once it has lasted a `stall_window` (by the supervisor).
pub(crate) fn blocking_section<R>(f: impl FnOnce() -> R) -> R {
    let _guard = BlockingGuard::enter_with(Start::Deferred);
    f()
}

/// When a blocked worker is counted, and a thread may start for it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// At once (up to the allowance): `blocking`, `wait`, `block_on`.
    Immediate,
    /// Counted (and compensated) by the supervisor once the blocking has
    /// lasted a `stall_window`.
    Deferred,
}

/// While it lives, the calling pool worker counts as blocked. Made only on
/// a pool thread (and only when cooperative blocking is on); dropping it
/// (also on unwind) ends the blocking.
pub(crate) struct BlockingGuard {
    /// Tied to the worker's thread.
    _not_send: PhantomData<*const ()>,
}

impl BlockingGuard {
    /// Announces that the calling thread is about to block: `None` if it is
    /// not a pool worker (nothing to tell).
    pub(crate) fn enter() -> Option<BlockingGuard> {
        Self::enter_with(Start::Immediate)
    }

    /// As [`enter`](BlockingGuard::enter), choosing when a thread may start.
    pub(crate) fn enter_with(start: Start) -> Option<BlockingGuard> {
        with_worker(|w| {
            let w = w?;
            let shared = &*w.shared;
            if !shared.settings.cooperative_blocking {
                return None;
            }
            let depth = w.blocking_depth.get();
            w.blocking_depth.set(depth + 1);
            if depth > 0 {
                // Nested: the outermost call already told the pool.
                return Some(BlockingGuard::new());
            }
            // 1. Nothing stays trapped behind this thread. The core is not
            // borrowed while a task runs (worker.rs).
            if let Ok(mut core) = w.core.try_borrow_mut() {
                if let Some(core) = core.as_mut() {
                    core.flush_all(shared);
                }
            }
            let slot = &shared.slots.get(w.index).block_state;
            match start {
                // 2–3. Counted out of the running workers, then the re-check.
                Start::Immediate => {
                    if shared.idle.enter_blocking(slot) && shared.has_queued_work() {
                        shared.notify_parked();
                    }
                }
                // Marked only; the flushed work is queued as any push is.
                Start::Deferred => {
                    shared.idle.announce_blocking(slot);
                    if shared.has_queued_work() {
                        shared.notify_parked();
                    }
                }
            }
            Some(BlockingGuard::new())
        })
    }

    fn new() -> BlockingGuard {
        BlockingGuard {
            _not_send: PhantomData,
        }
    }
}

impl Drop for BlockingGuard {
    fn drop(&mut self) {
        with_worker(|w| {
            let Some(w) = w else {
                return;
            };
            let depth = w.blocking_depth.get().saturating_sub(1);
            w.blocking_depth.set(depth);
            if depth > 0 {
                return;
            }
            let shared = &*w.shared;
            shared
                .idle
                .leave_blocking(&shared.slots.get(w.index).block_state);
            // Check for a surplus at the next task, not a fairness interval
            // later: more may run than the goal now.
            if let Ok(mut core) = w.core.try_borrow_mut() {
                if let Some(core) = core.as_mut() {
                    core.check_surplus_next();
                }
            }
        });
    }
}
