//! [`ParallelLoopState`]: what an iteration knows of its loop and how it
//! ends it early. The flags live in one shared [`Control`].

use crate::loom::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use crate::task::{InvalidOperationError, TaskError};
use std::cell::Cell;
use std::sync::Mutex;

const STOPPED: u8 = 1;
const BROKEN: u8 = 2;
/// An iteration failed, or the token fired: no iteration starts.
const EXCEPTIONAL: u8 = 4;
/// The token fired.
const CANCELED: u8 = 8;

/// The loop's shared flags and failures.
pub(crate) struct Control {
    flags: AtomicU8,
    lowest_break: AtomicUsize,
    errors: Mutex<Vec<TaskError>>,
}

impl Control {
    pub(crate) fn new() -> Control {
        Control {
            flags: AtomicU8::new(0),
            lowest_break: AtomicUsize::new(usize::MAX),
            errors: Mutex::new(Vec::new()),
        }
    }

    /// True if iteration `i` may start: not stopped, no failure or
    /// cancellation, and not above a break.
    #[inline]
    pub(crate) fn may_run(&self, i: usize) -> bool {
        let f = self.flags.load(Ordering::Relaxed);
        f == 0 || (f == BROKEN && i < self.lowest_break.load(Ordering::Relaxed))
    }

    /// True if no more chunks should be claimed at all (a break still
    /// needs the chunks below it).
    pub(crate) fn ended(&self) -> bool {
        self.flags.load(Ordering::Acquire) & (STOPPED | EXCEPTIONAL) != 0
    }

    pub(crate) fn lowest_break(&self) -> Option<usize> {
        let b = self.lowest_break.load(Ordering::Acquire);
        (b != usize::MAX).then_some(b)
    }

    /// Records a failure; no iteration starts from now on.
    pub(crate) fn fail(&self, e: TaskError) {
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e);
        self.flags.fetch_or(EXCEPTIONAL, Ordering::AcqRel);
    }

    /// The token fired: no iteration starts from now on.
    pub(crate) fn cancel(&self) {
        self.flags
            .fetch_or(EXCEPTIONAL | CANCELED, Ordering::AcqRel);
    }

    /// True if a participant saw the token fire while the loop ran.
    pub(crate) fn saw_cancellation(&self) -> bool {
        self.flags.load(Ordering::Acquire) & CANCELED != 0
    }

    pub(crate) fn take_errors(&self) -> Vec<TaskError> {
        std::mem::take(&mut *self.errors.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.flags.load(Ordering::Acquire) & STOPPED != 0
    }
}

/// Handed to each iteration of a loop that wants it: ends the loop early
/// ([`stop`](Self::stop), [`break_`](Self::break_)) and says whether this
/// iteration should hurry to end. C#: `ParallelLoopState`.
pub struct ParallelLoopState<'a> {
    control: &'a Control,
    index: Cell<usize>,
}

impl<'a> ParallelLoopState<'a> {
    pub(crate) fn new(control: &'a Control) -> ParallelLoopState<'a> {
        ParallelLoopState {
            control,
            index: Cell::new(0),
        }
    }

    pub(crate) fn set_index(&self, i: usize) {
        self.index.set(i);
    }

    /// Ends the loop as soon as possible: no iteration starts after this
    /// is seen; running ones finish. After `break_` in the same loop:
    /// [`InvalidOperationError::StopAndBreak`]. C#: `Stop()`.
    pub fn stop(&self) -> Result<(), InvalidOperationError> {
        self.control
            .flags
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                (f & BROKEN == 0).then_some(f | STOPPED)
            })
            .map(|_| ())
            .map_err(|_| InvalidOperationError::StopAndBreak)
    }

    /// Ends the loop after every iteration below this one: iterations with
    /// a lower index still run (all of them), higher ones need not. Of
    /// several breaks the lowest counts. After `stop` in the same loop:
    /// [`InvalidOperationError::StopAndBreak`]. C#: `Break()`.
    pub fn break_(&self) -> Result<(), InvalidOperationError> {
        if self.control.is_stopped() {
            return Err(InvalidOperationError::StopAndBreak);
        }
        // The index first: an iteration that sees BROKEN also sees a break
        // index at or below this one.
        self.control
            .lowest_break
            .fetch_min(self.index.get(), Ordering::AcqRel);
        self.control
            .flags
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                (f & STOPPED == 0).then_some(f | BROKEN)
            })
            .map(|_| ())
            .map_err(|_| InvalidOperationError::StopAndBreak)
    }

    /// The index of the iteration this state was handed to (an item's
    /// position for `for_each` and `for_each_iter`). C#: the `index`
    /// argument of `Parallel.ForEach((item, state, index) => …)`.
    pub fn iteration(&self) -> usize {
        self.index.get()
    }

    /// True once some iteration called `stop`. C#: `IsStopped`.
    pub fn is_stopped(&self) -> bool {
        self.control.is_stopped()
    }

    /// True once an iteration failed (or the loop was cancelled). C#:
    /// `IsExceptional`.
    pub fn is_exceptional(&self) -> bool {
        self.control.flags.load(Ordering::Acquire) & EXCEPTIONAL != 0
    }

    /// The lowest iteration that called `break_` so far. C#:
    /// `LowestBreakIteration`.
    pub fn lowest_break_iteration(&self) -> Option<usize> {
        self.control.lowest_break()
    }

    /// True if this iteration should end as soon as it can: the loop was
    /// stopped, failed or cancelled, or broken below this iteration. C#:
    /// `ShouldExitCurrentIteration`.
    pub fn should_exit_current_iteration(&self) -> bool {
        !self.control.may_run(self.index.get())
    }
}

impl std::fmt::Debug for ParallelLoopState<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelLoopState")
            .field("iteration", &self.index.get())
            .field("is_stopped", &self.is_stopped())
            .field("lowest_break_iteration", &self.lowest_break_iteration())
            .finish()
    }
}
