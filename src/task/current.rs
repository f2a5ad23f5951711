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
        // What the last poll parked on is over: this poll records anew.
        let waiting = &task.header().waiting;
        if waiting.load(Ordering::Relaxed) != 0 {
            waiting.store(0, Ordering::Relaxed);
        }
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
/// (`word`: opaque here, nonzero; `tasklane::sync` encodes its primitives'
/// sites). Until the task's next poll starts, [`Task::waiting_word`] reads
/// it. Nothing outside a task.
///
/// [`Task::waiting_word`]: super::Task::waiting_word
pub(crate) fn record_waiting(word: usize) {
    if let Some(t) = current() {
        t.header().waiting.store(word, Ordering::Relaxed);
    }
}
