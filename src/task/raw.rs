//! Pointers to task cells: the non-owning `RawTask`, the owning `TaskRef`
//! (one ref) and `Notified` (one ref that must be run), and the task waker.

use super::header::Header;
use super::schedule::Home;
use super::state::{ReleaseClaim, TransitionToNotified, TransitionToShutdown};
use crate::task::{CancelReason, CanceledError};
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

/// A non-owning pointer to a task cell. Valid while some ref is held.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

// SAFETY: a task cell is shared across threads by design; every field of the
// header is either atomic or guarded by the rules in `header.rs`, and the
// stage is `Send` whenever a cell is created from a `Send` future (cells of
// `!Send` futures never leave their home thread's scheduler).
unsafe impl Send for RawTask {}
// SAFETY: as above.
unsafe impl Sync for RawTask {}

impl RawTask {
    pub(crate) fn from_header(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    /// The header's address, as diagnostics record it (compared, never
    /// followed).
    pub(crate) fn address(self) -> usize {
        self.ptr.as_ptr() as usize
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a RawTask is only used while a ref keeps the cell alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn ref_inc(self) {
        self.header().state.ref_inc();
    }

    /// Drops one ref, deallocating on the last.
    pub(crate) fn ref_dec(self) {
        if self.header().state.ref_dec() {
            self.dealloc();
        }
    }

    pub(crate) fn dealloc(self) {
        // SAFETY: called once, when the ref count reached zero.
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }

    /// The failure of a completed task (None if it is not complete, or did
    /// not fail).
    pub(crate) fn failure(self) -> Option<crate::task::AggregateError> {
        if !self.header().state.load().is_complete() {
            return None;
        }
        // SAFETY: COMPLETE makes the stage immutable (rule 5 of header.rs).
        unsafe { (self.header().vtable.failure)(self.ptr) }
    }

    /// Polls the task, consuming one Notified ref.
    pub(crate) fn poll(self) {
        // SAFETY: the caller gives up a Notified ref, as `poll` expects.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    /// Runs a queued task here and now, if it is still queued and `here`
    /// accepts its home (.NET's `TryExecuteTaskInline` for a task that was
    /// previously queued): the waiter of a task its pool has not reached
    /// yet runs it itself. A task whose future is not `Send` never moves.
    /// True if it was polled here. Does not consume a ref.
    pub(crate) fn try_run_inline(self, here: impl FnOnce(&Home) -> bool) -> bool {
        let header = self.header();
        if header.pinned || !header.state.try_claim_queued() {
            return false;
        }
        let accepted = header.home.with(|h| {
            // SAFETY: the claim gave us the stage, so nobody writes `home`
            // (rule 2 of header.rs).
            unsafe { (*h).as_ref() }.is_some_and(here)
        });
        if accepted {
            // SAFETY: we claimed the stage and hold the claimer's ref.
            unsafe { (header.vtable.poll_claimed)(self.ptr) };
            return true;
        }
        match header.state.release_claim() {
            ReleaseClaim::Reschedule => super::schedule::schedule(Notified(self), false),
            ReleaseClaim::Cancel => self.cancel_owned(CancelReason::RuntimeShutdown),
        }
        false
    }

    /// The caller owns the stage and a ref: cancels the task.
    pub(crate) fn cancel_owned(self, reason: CancelReason) {
        self.cancel_owned_with(CanceledError::with_reason(reason));
    }

    /// The caller owns the stage and a ref: cancels the task with `error`.
    fn cancel_owned_with(self, error: CanceledError) {
        // SAFETY: the caller claimed the stage (RUNNING) and holds a ref.
        unsafe { (self.header().vtable.end_with)(self.ptr, super::TaskError::Canceled(error)) }
    }

    /// The token the task was started with fired: cancels the task if it
    /// has not started running yet (a cold or queued task), at once. (.NET
    /// cancels a cold task at once too, but leaves a queued one
    /// WaitingToRun until a worker reaches it and only then marks it
    /// Canceled; tasklane does not wait for the worker, on purpose.) Does not
    /// consume a ref. True if it canceled the task.
    pub(crate) fn cancel_if_unstarted(self, error: CanceledError) -> bool {
        if !self.header().state.transition_to_cancel_unstarted() {
            return false;
        }
        self.cancel_owned_with(error);
        true
    }

    /// A scheduler failed to take the task (its `queue_task` panicked):
    /// faults it with `error` if it has not started running. Does not
    /// consume a ref. True if it faulted the task.
    pub(crate) fn fault_if_unstarted(self, error: super::TaskError) -> bool {
        if !self.header().state.transition_to_cancel_unstarted() {
            return false;
        }
        // SAFETY: the transition claimed the stage (RUNNING) and took a ref.
        unsafe { (self.header().vtable.end_with)(self.ptr, error) };
        true
    }

    /// Ends a queued task with `error` instead of running it (a scheduler
    /// that cannot take it). Does not consume a ref. True if it ended it.
    pub(crate) fn reject_queued(self, error: super::TaskError) -> bool {
        if self.header().pinned || !self.header().state.try_claim_queued() {
            return false;
        }
        // SAFETY: the claim gave us the stage and a runner's ref.
        unsafe { (self.header().vtable.end_with)(self.ptr, error) };
        true
    }

    /// Wakes the task, consuming one ref.
    pub(crate) fn wake_by_val(self) {
        match self.header().state.transition_to_notified_by_val() {
            TransitionToNotified::Submit => super::schedule::schedule(Notified(self), false),
            TransitionToNotified::DoNothing => {}
            TransitionToNotified::Dealloc => self.dealloc(),
        }
    }

    /// Wakes the task without consuming a ref (the caller's ref keeps the
    /// cell alive while it is scheduled).
    pub(crate) fn wake_by_ref(self) {
        match self.header().state.transition_to_notified_by_ref() {
            TransitionToNotified::Submit => super::schedule::schedule_held(Notified(self)),
            TransitionToNotified::DoNothing | TransitionToNotified::Dealloc => {}
        }
    }

    /// Runtime shutdown: cancels the task if pending. Does not consume a ref.
    pub(crate) fn shutdown(self, reason: CancelReason) {
        match self.header().state.transition_to_shutdown() {
            TransitionToShutdown::Claimed => self.cancel_owned(reason),
            TransitionToShutdown::Requested | TransitionToShutdown::Complete => {}
        }
    }
}

/// An owned ref to a task.
pub(crate) struct TaskRef(RawTask);

impl TaskRef {
    /// Takes over one ref the caller already counted.
    pub(crate) fn from_raw(raw: RawTask) -> TaskRef {
        TaskRef(raw)
    }

    /// Counts a new ref.
    pub(crate) fn new_ref(raw: RawTask) -> TaskRef {
        raw.ref_inc();
        TaskRef(raw)
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.0
    }

    /// Gives the ref back to the caller without dropping it.
    pub(crate) fn into_raw(self) -> RawTask {
        let me = ManuallyDrop::new(self);
        me.0
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        self.0.ref_dec();
    }
}

/// A ref to a task that is NOTIFIED: whoever holds it must run it (or drop
/// it, at shutdown).
pub(crate) struct Notified(pub(crate) RawTask);

impl Notified {
    /// Polls the task.
    pub(crate) fn run(self) {
        let me = ManuallyDrop::new(self);
        me.0.poll();
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.0
    }

    pub(crate) fn into_raw(self) -> RawTask {
        let me = ManuallyDrop::new(self);
        me.0
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        // Dropped unrun (a queue emptied at shutdown): the task itself is
        // canceled through the registry; here only the ref goes.
        self.0.ref_dec();
    }
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

unsafe fn waker_clone(ptr: *const ()) -> RawWaker {
    // SAFETY: the waker's data pointer is a live task header.
    let raw = RawTask::from_header(unsafe { NonNull::new_unchecked(ptr as *mut Header) });
    #[cfg(feature = "tokio-console")]
    raw.header().console.waker_op("waker.clone");
    raw.ref_inc();
    RawWaker::new(ptr, &WAKER_VTABLE)
}

unsafe fn waker_wake(ptr: *const ()) {
    // SAFETY: as in `waker_clone`; the waker's ref is consumed.
    let raw = RawTask::from_header(unsafe { NonNull::new_unchecked(ptr as *mut Header) });
    #[cfg(feature = "tokio-console")]
    raw.header().console.waker_op("waker.wake");
    raw.wake_by_val();
}

unsafe fn waker_wake_by_ref(ptr: *const ()) {
    // SAFETY: as in `waker_clone`.
    let raw = RawTask::from_header(unsafe { NonNull::new_unchecked(ptr as *mut Header) });
    #[cfg(feature = "tokio-console")]
    raw.header().console.waker_op("waker.wake_by_ref");
    raw.wake_by_ref();
}

unsafe fn waker_drop(ptr: *const ()) {
    // SAFETY: as in `waker_clone`; the waker's ref is dropped.
    let raw = RawTask::from_header(unsafe { NonNull::new_unchecked(ptr as *mut Header) });
    #[cfg(feature = "tokio-console")]
    raw.header().console.waker_op("waker.drop");
    raw.ref_dec();
}

/// A waker owning a new ref to the task (the loom models wake by hand).
#[cfg(all(test, loom))]
pub(crate) fn waker(raw: RawTask) -> Waker {
    raw.ref_inc();
    // SAFETY: the vtable's functions keep the ref-count contract: the new
    // waker owns the ref taken above.
    unsafe {
        Waker::from_raw(RawWaker::new(
            raw.header_ptr().as_ptr() as *const (),
            &WAKER_VTABLE,
        ))
    }
}

/// A waker borrowing the runner's ref for the length of one poll.
pub(crate) fn waker_ref(raw: &RawTask) -> ManuallyDrop<Waker> {
    // SAFETY: the ManuallyDrop never runs `waker_drop`, so no ref is taken or
    // released; clones made from it take their own refs.
    ManuallyDrop::new(unsafe {
        Waker::from_raw(RawWaker::new(
            raw.header_ptr().as_ptr() as *const (),
            &WAKER_VTABLE,
        ))
    })
}

/// The task behind a waker, if the waker is a tasklane task waker.
pub(crate) fn task_of_waker(waker: &Waker) -> Option<RawTask> {
    if waker.vtable() == &WAKER_VTABLE {
        NonNull::new(waker.data() as *mut Header).map(RawTask::from_header)
    } else {
        None
    }
}
