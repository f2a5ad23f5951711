//! The task being polled on this thread. C#: `Task.CurrentId` (and the
//! internal `Task.InternalCurrent` that attached children use).

use super::raw::RawTask;
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
