//! Blocking waits on a task (`wait`, `result`, `wait_timeout`,
//! `into_result`): every one goes through [`wait_for`], which picks how the
//! calling thread waits.
//!
//! - A dispatcher thread runs the awaited task's chain while it waits, and
//!   reports a deadlock where no progress is possible
//!   (`context::joinable`).
//! - A pool thread first runs the task itself if its pool has not reached
//!   it yet (.NET's `TryExecuteTaskInline`), then tells its pool it blocks
//!   (`pool::BlockingGuard`: cooperative blocking, as .NET 6+), so the pool
//!   keeps its other work running on other threads, and parks. Where the
//!   pool can add no thread (at `max_threads`, every thread blocked, work
//!   queued) for `PoolSettings::exhausted_wait_timeout`, the wait ends with
//!   a `DeadlockError` naming the cap instead of hanging.
//! - Any other thread parks on a waker registered as a continuation.

use super::block_on::ThreadWaker;
use crate::context::DeadlockError;
use crate::pool::Shared;
use crate::task::continuation::{Continuation, Registered};
use crate::task::raw::RawTask;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

/// How a blocking wait ended.
#[derive(Debug)]
pub(crate) enum WaitOutcome {
    /// The task is complete.
    Completed,
    /// The deadline passed first.
    TimedOut,
    /// The wait could never finish; the task was left as it is.
    Deadlock(DeadlockError),
}

/// Blocks until the task completes, `deadline` passes, or the wait is found
/// to be a deadlock.
pub(crate) fn wait_for(raw: RawTask, deadline: Option<Instant>) -> WaitOutcome {
    if raw.header().state.load().is_complete() {
        return WaitOutcome::Completed;
    }
    if crate::task::current::current() == Some(raw) {
        // A task blocking on itself from inside its own poll.
        return WaitOutcome::Deadlock(DeadlockError::task_waits_on_itself(raw));
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
    park_until_complete(raw, deadline)
}

/// Park on a waker registered as a continuation. On a pool worker, look
/// again every so often: the task may be queued again (run it here), or the
/// pool may be exhausted (see [`Exhaustion`]).
fn park_until_complete(raw: RawTask, deadline: Option<Instant>) -> WaitOutcome {
    let header = raw.header();
    let thread_waker = ThreadWaker::new();
    let waker = Waker::from(thread_waker.clone());
    // Blocked inside a task's poll: that task waits on this one, and the
    // wait-for graph must know (a dispatcher waiting for it then runs this
    // task's queued work).
    let entry = match crate::task::current::current() {
        Some(waiter) => Continuation::Blocked(Box::new((
            waker,
            crate::task::raw::TaskRef::new_ref(waiter),
        ))),
        None => Continuation::Waker(waker),
    };
    let key = match crate::task::handle_register(raw, entry) {
        Registered::Stored(k) => k,
        Registered::MustDrain => {
            crate::task::run_continuations::run_continuations(raw);
            return WaitOutcome::Completed;
        }
        Registered::Completed(_) => return WaitOutcome::Completed,
    };
    let mut exhaustion = crate::pool::current_pool().map(Exhaustion::new);
    loop {
        if header.state.load().is_complete() {
            return WaitOutcome::Completed;
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            drop(header.continuations.remove(key));
            return if header.state.load().is_complete() {
                WaitOutcome::Completed
            } else {
                WaitOutcome::TimedOut
            };
        }
        let mut wake_at = deadline;
        if let Some(ex) = &mut exhaustion {
            if crate::pool::run_inline_if_queued(raw) {
                continue;
            }
            if let Some(error) = ex.look(raw, now) {
                drop(header.continuations.remove(key));
                return WaitOutcome::Deadlock(error);
            }
            let recheck = now + ex.recheck;
            wake_at = Some(wake_at.map_or(recheck, |d| d.min(recheck)));
        }
        match wake_at {
            None => std::thread::park(),
            Some(at) => std::thread::park_timeout(at.saturating_duration_since(now)),
        }
        thread_waker.take_notified();
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
}

impl Exhaustion {
    fn new(pool: Arc<Shared>) -> Exhaustion {
        Exhaustion {
            recheck: pool.exhaustion_recheck(),
            pool,
            since: None,
        }
    }

    fn look(&mut self, raw: RawTask, now: Instant) -> Option<DeadlockError> {
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
