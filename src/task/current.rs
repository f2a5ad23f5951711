//! The task being polled on this thread. C#: `Task.CurrentId` (and the
//! internal `Task.InternalCurrent` that attached children use).

use super::raw::RawTask;
use crate::loom::sync::atomic::Ordering;
use std::cell::Cell;

thread_local! {
    static CURRENT: Cell<Option<RawTask>> = const { Cell::new(None) };
}

/// Sets the current task for the length of a poll.
pub(crate) struct CurrentGuard {
    prev: Option<RawTask>,
}

impl CurrentGuard {
    pub(crate) fn enter(task: RawTask) -> CurrentGuard {
        let header = task.header();
        // What the last poll parked on is over: this poll records anew.
        if header.waiting.load(Ordering::Relaxed) != 0 {
            header.waiting.store(0, Ordering::Relaxed);
        }
        // Only the poll's owner writes the count: no read-modify-write.
        let polls = header.polls.load(Ordering::Relaxed);
        header
            .polls
            .store(polls.saturating_add(1), Ordering::Relaxed);
        CurrentGuard {
            prev: CURRENT.with(|c| c.replace(Some(task))),
        }
    }
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.prev));
    }
}

/// The task being polled on this thread (valid while its poll runs).
pub(crate) fn current() -> Option<RawTask> {
    CURRENT.with(|c| c.get())
}

/// The id of the task running on this thread. C#: `Task.CurrentId`.
pub fn current_id() -> Option<u64> {
    current().map(|t| t.header().id())
}

/// Records, on the task being polled on this thread, what its poll parks on
/// (`waiting.rs`). Until the task's next poll starts, diagnostics read it.
/// A second, different record in the same poll marks the word as one of
/// several waits. Nothing outside a task.
pub(crate) fn record_waiting(word: super::waiting::WaitWord) {
    if let Some(t) = current() {
        record_waiting_on(t, word);
    }
}

/// [`record_waiting`] on `task`, the task being polled on this thread.
pub(crate) fn record_waiting_on(task: RawTask, word: super::waiting::WaitWord) {
    let waiting = &task.header().waiting;
    let old = waiting.load(Ordering::Relaxed);
    waiting.store(word.over(old).0, Ordering::Relaxed);
}

/// While a blocking `wait()` inside a poll lasts, the task's word says it
/// is blocked on the awaited task; the word from before comes back after
/// (the poll goes on, and may still park on what it recorded).
pub(crate) struct BlockedRecord {
    task: Option<(RawTask, u64)>,
}

impl BlockedRecord {
    /// The current task (if any) blocks on `awaited`.
    pub(crate) fn enter(awaited: RawTask) -> BlockedRecord {
        BlockedRecord {
            task: current().map(|t| {
                super::awaited::list_if_promise(awaited);
                let word = super::waiting::WaitWord::blocked(awaited.address());
                let waiting = &t.header().waiting;
                let old = waiting.load(Ordering::Relaxed);
                waiting.store(word.0, Ordering::Relaxed);
                (t, old)
            }),
        }
    }
}

impl Drop for BlockedRecord {
    fn drop(&mut self) {
        if let Some((t, old)) = self.task {
            t.header().waiting.store(old, Ordering::Relaxed);
        }
    }
}
