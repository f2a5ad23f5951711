//! Blocking waits on a task (`wait`, `result`, `wait_timeout`,
//! `into_result`, `wait_all`, `wait_any`) all go through [`wait_for`].
//!
//! The task layer knows how to park a thread until a task completes. How a
//! thread of a runtime waits — a dispatcher thread running the awaited
//! task's chain, a pool thread telling its pool it blocks, a deadlock
//! reported instead of a hang — is the runtime's: it installs its wait
//! ([`install`]) when it builds its first runtime or starts a dispatcher,
//! before any such thread exists. Until then (a thread waiting on a
//! promise, with no runtime in the process) the plain park is the whole
//! story.

use super::TaskError;
use super::continuation::{Continuation, Registered};
use super::raw::{RawTask, TaskRef};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Wake, Waker};
use std::thread::Thread;
use std::time::Instant;

/// How a blocking wait ended.
#[derive(Debug)]
pub(crate) enum WaitOutcome {
    /// The task is complete.
    Completed,
    /// The deadline passed first.
    TimedOut,
    /// The wait itself failed (a deadlock, reported instead of a hang); the
    /// task was left as it is.
    Failed(TaskError),
}

/// A runtime's way of waiting (see the module docs).
pub(crate) type WaitHook = fn(RawTask, Option<Instant>) -> WaitOutcome;

static HOOK: OnceLock<WaitHook> = OnceLock::new();

/// Installs the runtime's wait, once per process.
pub(crate) fn install(hook: WaitHook) {
    let _ = HOOK.set(hook);
}

/// Blocks until `raw` completes, `deadline` passes, or the wait fails.
pub(crate) fn wait_for(raw: RawTask, deadline: Option<Instant>) -> WaitOutcome {
    if raw.header().state.load().is_complete() {
        return WaitOutcome::Completed;
    }
    // Inside a task's poll: the task is blocked on this one (a dump shows
    // it, and the wait-for graph follows it).
    let _blocked = super::current::BlockedRecord::enter(raw);
    match HOOK.get() {
        Some(hook) => hook(raw, deadline),
        None => park_until_complete(raw, deadline, None),
    }
}

/// What a parked waiter looks at between naps (the runtime's: a pool
/// worker whose pool may be exhausted).
pub(crate) trait ParkWatch {
    /// Looks once; `Ok(Some(at))` to look again at `at` at the latest,
    /// `Ok(None)` to just wait, `Err` to end the wait with that error.
    fn look(&mut self, raw: RawTask, now: Instant) -> Result<Option<Instant>, TaskError>;
}

/// Parks on a waker registered as a continuation of `raw` until it
/// completes or `deadline` passes, asking `watch` between naps.
pub(crate) fn park_until_complete(
    raw: RawTask,
    deadline: Option<Instant>,
    mut watch: Option<&mut dyn ParkWatch>,
) -> WaitOutcome {
    let header = raw.header();
    let thread_waker = ThreadWaker::new();
    let waker = Waker::from(thread_waker.clone());
    // Blocked inside a task's poll: that task waits on this one, and the
    // wait-for graph must know (a dispatcher waiting for it then runs this
    // task's queued work).
    let entry = match super::current::current() {
        Some(waiter) => Continuation::Blocked(Box::new((waker, TaskRef::new_ref(waiter)))),
        None => Continuation::Waker(waker),
    };
    let key = match super::handle::register(raw, entry) {
        Registered::Stored(k) => k,
        Registered::MustDrain => {
            super::run_continuations::run_continuations(raw);
            return WaitOutcome::Completed;
        }
        Registered::Completed(_) => return WaitOutcome::Completed,
    };
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
        if let Some(w) = watch.as_deref_mut() {
            match w.look(raw, now) {
                Ok(Some(at)) => wake_at = Some(wake_at.map_or(at, |d| d.min(at))),
                Ok(None) => {}
                Err(error) => {
                    drop(header.continuations.remove(key));
                    return WaitOutcome::Failed(error);
                }
            }
            if header.state.load().is_complete() {
                continue;
            }
        }
        match wake_at {
            None => std::thread::park(),
            Some(at) => std::thread::park_timeout(at.saturating_duration_since(now)),
        }
        thread_waker.take_notified();
    }
}

/// Wakes a parked thread.
pub(crate) struct ThreadWaker {
    thread: Thread,
    notified: AtomicBool,
}

impl ThreadWaker {
    pub(crate) fn new() -> Arc<ThreadWaker> {
        Arc::new(ThreadWaker {
            thread: std::thread::current(),
            notified: AtomicBool::new(false),
        })
    }

    /// Consumes a pending notification.
    pub(crate) fn take_notified(&self) -> bool {
        self.notified.swap(false, Ordering::AcqRel)
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.notified.swap(true, Ordering::AcqRel) {
            self.thread.unpark();
        }
    }
}
