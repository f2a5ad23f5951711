//! Blocking waits on a task (`wait`, `result`, `wait_timeout`,
//! `into_result`): every one goes through [`wait_for`], which picks how the
//! calling thread waits.
//!
//! - A dispatcher thread runs the awaited task's chain while it waits, and
//!   reports a deadlock where no progress is possible
//!   (`context::joinable`).
//! - A pool thread tells its pool it blocks (`pool::BlockingGuard`:
//!   cooperative blocking, as .NET 6+), so the pool keeps its other work
//!   running on other threads, then parks as any thread.
//! - Any other thread parks on a waker registered as a continuation.

use super::block_on::ThreadWaker;
use crate::context::DeadlockError;
use crate::task::continuation::{Continuation, Registered};
use crate::task::raw::RawTask;
use std::task::Waker;
use std::time::Instant;

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
    // On a pool thread: counted blocked until the wait ends (None elsewhere).
    let _blocking = crate::pool::BlockingGuard::enter();
    park_until_complete(raw, deadline)
}

/// A plain thread: park on a waker registered as a continuation.
fn park_until_complete(raw: RawTask, deadline: Option<Instant>) -> WaitOutcome {
    let header = raw.header();
    let thread_waker = ThreadWaker::new();
    let waker = Waker::from(thread_waker.clone());
    let key = match crate::task::handle_register(raw, Continuation::Waker(waker)) {
        Registered::Stored(k) => k,
        Registered::MustDrain => {
            crate::task::cell::run_continuations(raw);
            return WaitOutcome::Completed;
        }
        Registered::Completed(_) => return WaitOutcome::Completed,
    };
    loop {
        if header.state.load().is_complete() {
            return WaitOutcome::Completed;
        }
        match deadline {
            None => {
                while !thread_waker.take_notified() {
                    std::thread::park();
                }
            }
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    drop(header.continuations.remove(key));
                    return if header.state.load().is_complete() {
                        WaitOutcome::Completed
                    } else {
                        WaitOutcome::TimedOut
                    };
                }
                std::thread::park_timeout(d - now);
                thread_waker.take_notified();
            }
        }
    }
}
