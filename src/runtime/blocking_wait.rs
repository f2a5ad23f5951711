//! How a thread of a runtime blocks on a task: the wait the runtime
//! installs into the task layer (`task/wait.rs`) when it builds its first
//! runtime or starts a dispatcher.
//!
//! - A dispatcher thread runs the awaited task's chain while it waits, and
//!   reports a deadlock where no progress is possible
//!   (`context::joinable`).
//! - A pool thread first runs the task itself if its pool has not reached
//!   it yet (.NET's `TryExecuteTaskInline`), then tells its pool it blocks (`pool::BlockingGuard`: cooperative blocking,
//!   as .NET 6+), so the pool keeps its other work running on other
//!   threads, and parks. Where the pool can add no thread (at
//!   `max_threads`, every thread blocked, work queued) for
//!   `PoolSettings::exhausted_wait_timeout`, the wait ends with a
//!   `DeadlockError` naming the cap instead of hanging.
//! - Any other thread parks on a waker registered as a continuation.

use super::wait_cycle::CycleWatch;
use crate::context::DeadlockError;
use crate::pool::Shared;
use crate::task::TaskError;
use crate::task::raw::RawTask;
use crate::task::wait::{ParkWatch, WaitOutcome, park_until_complete};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Installs this wait into the task layer (idempotent).
pub(crate) fn install() {
    crate::task::wait::install(wait_for);
}

/// Blocks until the task completes, `deadline` passes, or the wait is found
/// to be a deadlock.
fn wait_for(raw: RawTask, deadline: Option<Instant>) -> WaitOutcome {
    if raw.header().state.load().is_complete() {
        return WaitOutcome::Completed;
    }
    if crate::task::current::current() == Some(raw) {
        // A task blocking on itself from inside its own poll.
        return WaitOutcome::Failed(TaskError::new(DeadlockError::task_waits_on_itself(raw)));
    }
    if let Some(dispatcher) = crate::context::dispatcher::thread::current_shared() {
        return crate::context::joinable::wait_on_dispatcher(&dispatcher, raw, deadline);
    }
    // .NET's `Task.Wait` first tries to run a task its pool has not reached
    // yet on the waiting thread (`TryExecuteTaskInline`): so does a worker
    // waiting for a task still queued on its own pool.
    if crate::pool::run_inline_if_queued(raw) && raw.header().state.load().is_complete() {
        return WaitOutcome::Completed;
    }
    // On a pool thread: counted blocked until the wait ends (None elsewhere).
    let _blocking = crate::pool::BlockingGuard::enter();
    // Inside a task's poll: a wait on a task that awaits this one is a
    // deadlock (`wait_cycle.rs`).
    let now = Instant::now();
    let cycle = crate::task::current::current().map(|waiter| CycleWatch::new(waiter, now));
    match (crate::pool::current_pool(), cycle) {
        (Some(pool), cycle) => {
            let mut watch = Exhaustion::new(pool, cycle);
            park_until_complete(raw, deadline, Some(&mut watch))
        }
        (None, Some(mut cycle)) => park_until_complete(raw, deadline, Some(&mut cycle)),
        (None, None) => park_until_complete(raw, deadline, None),
    }
}

/// A pool thread's wait watching for the one hang the pool cannot end by
/// itself: it has its `max_threads`, every thread is blocked, and work is
/// queued. Held for `PoolSettings::exhausted_wait_timeout`, the wait ends
/// with a `DeadlockError` naming the cap.
struct Exhaustion {
    pool: Arc<Shared>,
    /// How often the waiting thread looks.
    recheck: Duration,
    /// Since when the pool has been seen exhausted, look after look.
    since: Option<Instant>,
    /// The wait is inside a task's poll: it also looks for a cycle.
    cycle: Option<CycleWatch>,
}

impl Exhaustion {
    fn new(pool: Arc<Shared>, cycle: Option<CycleWatch>) -> Exhaustion {
        Exhaustion {
            recheck: pool.exhaustion_recheck(),
            pool,
            since: None,
            cycle,
        }
    }

    /// The pool is exhausted: since when, or None.
    fn exhausted(&mut self, raw: RawTask, now: Instant) -> Option<DeadlockError> {
        if !self.pool.is_exhausted() {
            self.since = None;
            return None;
        }
        let since = *self.since.get_or_insert(now);
        if now.saturating_duration_since(since) < self.pool.settings.exhausted_wait_timeout {
            return None;
        }
        let (_, max_threads) = self.pool.limits();
        Some(DeadlockError::pool_exhausted(
            raw,
            self.pool.id,
            max_threads,
        ))
    }
}

impl ParkWatch for Exhaustion {
    fn look(&mut self, raw: RawTask, now: Instant) -> Result<Option<Instant>, TaskError> {
        // Queued again meanwhile (woken, not yet reached): run it here.
        if crate::pool::run_inline_if_queued(raw) {
            return Ok(Some(now));
        }
        if let Some(error) = self.exhausted(raw, now) {
            return Err(TaskError::new(error));
        }
        let next = now + self.recheck;
        match &mut self.cycle {
            Some(cycle) => Ok(Some(cycle.check(raw, now)?.min(next))),
            None => Ok(Some(next)),
        }
    }
}
