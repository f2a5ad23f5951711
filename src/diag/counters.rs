//! Per-thread event counters: cheap enough for the hot path (a thread-local
//! add), and precise enough for tests to prove that something did *not*
//! happen on a thread (a waker registered, a task scheduled).

use std::cell::Cell;

thread_local! {
    static COUNTS: Cell<ThreadCounters> = const { Cell::new(ThreadCounters::ZERO) };
}

/// What the runtime did on the calling thread since it started.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadCounters {
    /// Task polls started on this thread.
    pub polls: u64,
    /// Wakers registered on a pending task by an awaiter on this thread.
    pub waker_registrations: u64,
    /// Tasks this thread handed to a scheduler queue.
    pub schedules: u64,
    /// Tasks this thread created.
    pub spawns: u64,
}

impl ThreadCounters {
    const ZERO: ThreadCounters = ThreadCounters {
        polls: 0,
        waker_registrations: 0,
        schedules: 0,
        spawns: 0,
    };

    /// The counters of the calling thread.
    pub fn current() -> ThreadCounters {
        COUNTS.with(|c| c.get())
    }
}

#[inline]
fn bump(f: impl FnOnce(&mut ThreadCounters)) {
    COUNTS.with(|c| {
        let mut v = c.get();
        f(&mut v);
        c.set(v);
    });
}

#[inline]
pub(crate) fn poll_started() {
    bump(|c| c.polls += 1);
}

#[inline]
pub(crate) fn waker_registered() {
    bump(|c| c.waker_registrations += 1);
}

#[inline]
pub(crate) fn scheduled() {
    bump(|c| c.schedules += 1);
}

#[inline]
pub(crate) fn task_spawned() {
    bump(|c| c.spawns += 1);
}
