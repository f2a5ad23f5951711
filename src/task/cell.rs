//! The task cell: header and stage in one allocation, and the vtable
//! functions that poll, complete, cancel and free it.

use super::children;
use super::header::{Header, Vtable};
use super::raw::{Notified, RawTask};
use super::state::{FaultRecipient, FinalKind, TransitionToIdle, TransitionToRunning};
use super::{AggregateError, CancelReason, CanceledError, TaskError};
use crate::diag::ErrorOrigin;
use crate::diag::guard::{self, Site};
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::Ordering;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

/// What a task ends with: its value, or all its errors.
pub(crate) type Outcome<T> = Result<T, AggregateError>;

/// The future or the outcome; they share one slot.
pub(crate) enum Stage<F, T> {
    Running(F),
    Finished(Outcome<T>),
    Consumed,
}

/// One task: header first, so a `NonNull<Header>` is also a pointer to it.
#[repr(C)]
pub(crate) struct Cell<F, T> {
    pub(crate) header: Header,
    pub(crate) stage: UnsafeCell<Stage<F, T>>,
}

/// A future type for cells that are never polled (promises).
pub(crate) struct NeverPolled<T>(std::marker::PhantomData<fn() -> T>);

impl<T> Future for NeverPolled<T> {
    type Output = Outcome<T>;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Pending
    }
}

impl<F, T> Cell<F, T>
where
    F: Future<Output = Outcome<T>>,
{
    const VTABLE: Vtable = Vtable {
        poll: poll::<F, T>,
        poll_claimed: poll_claimed::<F, T>,
        end_with: end_with::<F, T>,
        dealloc: dealloc::<F, T>,
        outcome: outcome::<F, T>,
        failure: failure::<F, T>,
        merge_child_faults: merge_child_faults::<F, T>,
        take_outcome: take_outcome::<F, T>,
    };

    pub(crate) fn vtable() -> &'static Vtable {
        &Self::VTABLE
    }

    /// Allocates a cell (the task's one allocation).
    pub(crate) fn allocate(header: Header, stage: Stage<F, T>) -> RawTask {
        let cell = Box::new(Cell {
            header,
            stage: UnsafeCell::new(stage),
        });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask::from_header(ptr)
    }
}

fn cell<'a, F, T>(ptr: NonNull<Header>) -> &'a Cell<F, T> {
    // SAFETY: the header is the first field of a `#[repr(C)]` Cell<F, T>, and
    // the vtable that called us was made for exactly this F and T.
    unsafe { ptr.cast::<Cell<F, T>>().as_ref() }
}

unsafe fn poll<F, T>(ptr: NonNull<Header>)
where
    F: Future<Output = Outcome<T>>,
{
    let raw = RawTask::from_header(ptr);
    match raw.header().state.transition_to_running() {
        TransitionToRunning::Success => poll_future::<F, T>(raw),
        TransitionToRunning::Cancelled => complete::<F, T>(raw, Err(shutdown_error(raw).into())),
        TransitionToRunning::Failed => {}
        TransitionToRunning::Dealloc => raw.dealloc(),
    }
}

unsafe fn poll_claimed<F, T>(ptr: NonNull<Header>)
where
    F: Future<Output = Outcome<T>>,
{
    poll_future::<F, T>(RawTask::from_header(ptr));
}

/// The error of a task canceled because its home shut down while it was
/// queued or running: the home says why (a runtime: `RuntimeShutdown`; a
/// dispatcher: `ContextShutdown`).
fn shutdown_error(raw: RawTask) -> TaskError {
    let reason = raw.header().home.with(|h| {
        // SAFETY: we own the stage (the transition that reported the
        // cancellation gave it to us), so nobody writes `home` (rule 2); our
        // ref keeps the header, and so the home, alive.
        unsafe { (*h).as_ref() }.map_or(CancelReason::RuntimeShutdown, |h| h.0.shutdown_reason())
    });
    TaskError::Canceled(CanceledError::with_reason(reason))
}

fn poll_future<F, T>(raw: RawTask)
where
    F: Future<Output = Outcome<T>>,
{
    let cell = cell::<F, T>(raw.header_ptr());
    let waker = super::raw::waker_ref(&raw);
    let mut cx = Context::from_waker(&waker);
    let res = {
        let _current = super::current::CurrentGuard::enter(raw);
        crate::diag::counters::poll_started();
        let slot = raw.header().context.with_mut(|c| {
            // SAFETY: rule 2 (header.rs): we own the stage, so the context slot.
            unsafe { &mut *c }
        });
        // Called once, inside the task's console span with that feature.
        #[cfg_attr(feature = "tokio-console", allow(unused_mut))]
        let mut poll_in_context = move || {
            crate::flow::with_context(slot, || {
                catch_unwind(AssertUnwindSafe(|| {
                    cell.stage.with_mut(|s| {
                        // SAFETY: rule 5: RUNNING gives us the stage.
                        match unsafe { &mut *s } {
                            // SAFETY: the future is never moved out of the cell
                            // while Running; it is dropped in place.
                            Stage::Running(f) => unsafe { Pin::new_unchecked(f) }.poll(&mut cx),
                            _ => unreachable!("a RUNNING task's stage holds its future"),
                        }
                    })
                }))
            })
        };
        #[cfg(feature = "tokio-console")]
        let res = raw.header().console.in_poll(poll_in_context);
        #[cfg(not(feature = "tokio-console"))]
        let res = poll_in_context();
        res
    };
    match res {
        Ok(Poll::Pending) => {
            // Stamped before the task goes idle (after, it is not ours).
            raw.header()
                .last_park
                .store(super::clock::stamp(), Ordering::Relaxed);
            park_after_poll::<F, T>(raw)
        }
        Ok(Poll::Ready(out)) => complete::<F, T>(raw, out),
        Err(panic) => complete::<F, T>(raw, Err(TaskError::from_panic(panic).into())),
    }
}

/// The poll returned `Pending`: the task goes idle, unless it was woken or
/// canceled meanwhile.
fn park_after_poll<F, T>(raw: RawTask)
where
    F: Future<Output = Outcome<T>>,
{
    match raw.header().state.transition_to_idle() {
        TransitionToIdle::Ok => {}
        TransitionToIdle::OkDealloc => raw.dealloc(),
        TransitionToIdle::OkNotified => {
            let yielded = super::yield_now::take_yield_request();
            super::schedule::schedule_requeue(Notified(raw), yielded);
        }
        TransitionToIdle::Cancelled => complete::<F, T>(raw, Err(shutdown_error(raw).into())),
    }
}

/// The owner of the stage ends the body: drops the future, stores the
/// outcome, and completes the task (or leaves it waiting for children).
/// Consumes the owner's ref.
fn complete<F, T>(raw: RawTask, out: Outcome<T>)
where
    F: Future<Output = Outcome<T>>,
{
    let cell = cell::<F, T>(raw.header_ptr());
    #[cfg(feature = "tokio-console")]
    raw.header().console.close();
    // Drop the future first: its destructor is user code and may panic.
    // SAFETY: rule 5: we own the stage.
    let dropped = cell.stage.with_mut(|s| unsafe { drop_stage_in_place(s) });
    let out = match (out, dropped) {
        // The body succeeded but its future's destructor panicked: that
        // panic is the task's fault.
        (Ok(_), Err(panic)) => {
            Err(TaskError::from_panic_in(panic, ErrorOrigin::FutureDrop.what_panicked()).into())
        }
        // The outcome is already a failure: the panic has no owner.
        (out @ Err(_), Err(panic)) => {
            guard::report(
                site(raw, ErrorOrigin::FutureDrop),
                TaskError::from_panic_in(panic, ErrorOrigin::FutureDrop.what_panicked()),
            );
            out
        }
        (out, Ok(())) => out,
    };
    cell.stage.with_mut(|s| {
        // SAFETY: rule 5: we own the stage.
        unsafe { *s = Stage::Finished(out) }
    });
    let Some(child_faults) = children::body_finished(raw) else {
        // Children still run; the last of them completes the task.
        raw.ref_dec();
        return;
    };
    if !child_faults.is_empty() {
        add_faults::<F, T>(raw, child_faults);
    }
    finish(raw, final_kind::<F, T>(raw));
}

fn final_kind<F, T>(raw: RawTask) -> FinalKind {
    let cell = cell::<F, T>(raw.header_ptr());
    cell.stage.with(|s| {
        // SAFETY: rule 5: the caller owns the stage.
        match unsafe { &*s } {
            Stage::Finished(Ok(_)) => FinalKind::RanToCompletion,
            Stage::Finished(Err(agg)) if agg.is_canceled() => FinalKind::Canceled,
            Stage::Finished(Err(_)) => FinalKind::Faulted,
            _ => unreachable!("final_kind of an unfinished stage"),
        }
    })
}

fn add_faults<F, T>(raw: RawTask, faults: Vec<TaskError>) {
    let cell = cell::<F, T>(raw.header_ptr());
    cell.stage.with_mut(|s| {
        // SAFETY: rule 5: the caller owns the stage.
        let stage = unsafe { &mut *s };
        let mut all = match std::mem::replace(stage, Stage::Consumed) {
            // A canceled body with faulted children ends Faulted with only the
            // children's faults, as .NET does. The body's output is dropped
            // here: its destructor is user code.
            Stage::Finished(Ok(output)) => {
                guard::contain(|| site(raw, ErrorOrigin::OutputDrop), || drop(output));
                Vec::new()
            }
            Stage::Finished(Err(agg)) if agg.is_canceled() => Vec::new(),
            Stage::Finished(Err(agg)) => agg.errors().to_vec(),
            _ => unreachable!("children merged into an unfinished stage"),
        };
        all.extend(faults);
        *stage = Stage::Finished(Err(
            AggregateError::from_errors(all).expect("at least one child fault")
        ));
    });
}

unsafe fn merge_child_faults<F, T>(ptr: NonNull<Header>, faults: Vec<TaskError>)
where
    F: Future<Output = Outcome<T>>,
{
    let raw = RawTask::from_header(ptr);
    if !faults.is_empty() {
        add_faults::<F, T>(raw, faults);
    }
    // `finish` consumes a ref; the child's parent ref stays with the child.
    raw.ref_inc();
    finish(raw, final_kind::<F, T>(raw));
}

unsafe fn end_with<F, T>(ptr: NonNull<Header>, error: TaskError)
where
    F: Future<Output = Outcome<T>>,
{
    let raw = RawTask::from_header(ptr);
    complete::<F, T>(raw, Err(error.into()));
}

unsafe fn dealloc<F, T>(ptr: NonNull<Header>) {
    let raw = RawTask::from_header(ptr);
    let cell = cell::<F, T>(ptr);
    // The user's values go first, each under the panic guard (this may run
    // on a worker, the timer thread, anywhere the last ref drops): the
    // future or the output, then the ExecutionContext's values. What is
    // left is the runtime's own.
    cell.stage.with_mut(|s| {
        // SAFETY: the last ref: nobody else touches the stage (rule 5).
        let origin = match unsafe { &*s } {
            Stage::Running(_) => ErrorOrigin::FutureDrop,
            Stage::Finished(_) => ErrorOrigin::OutputDrop,
            Stage::Consumed => return,
        };
        // SAFETY: as above.
        if let Err(panic) = unsafe { drop_stage_in_place(s) } {
            guard::report(
                site(raw, origin),
                TaskError::from_panic_in(panic, origin.what_panicked()),
            );
        }
    });
    let context = cell.header.context.with_mut(|c| {
        // SAFETY: the last ref: nobody else reads the context (rule 2).
        std::mem::take(unsafe { &mut *c })
    });
    if !context.is_empty() {
        guard::contain(|| site(raw, ErrorOrigin::FutureDrop), || drop(context));
    }
    // SAFETY: the cell was made by `Box::new` in `Cell::allocate` and this is
    // the last ref.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F, T>>().as_ptr()) });
}

/// Drops what the stage holds where it lies, and leaves it `Consumed`.
///
/// The future is pinned in the cell from its first poll: it must be
/// dropped at that address, never moved out first (`Pin`'s drop
/// guarantee). A future that registered itself somewhere by address — a
/// Tokio timer in the timer wheel's intrusive list, a waiter in an
/// intrusive queue — unregisters itself from that address in its
/// destructor. A panic in the destructor is returned; the stage is
/// `Consumed` either way.
///
/// # Safety
///
/// The caller owns the stage (rule 5 of header.rs) and `s` points to it.
unsafe fn drop_stage_in_place<F, T>(
    s: *mut Stage<F, T>,
) -> Result<(), Box<dyn std::any::Any + Send>> {
    // SAFETY: the caller owns the stage; the value is dropped once, here,
    // and the slot is overwritten without reading or dropping the old
    // value again, whether or not the destructor panicked.
    let dropped = catch_unwind(AssertUnwindSafe(|| unsafe { std::ptr::drop_in_place(s) }));
    // SAFETY: as above: `s` holds a dropped value, overwritten unread.
    unsafe { std::ptr::write(s, Stage::Consumed) };
    dropped
}

/// The task and spawn location a contained panic is reported with.
fn site(raw: RawTask, origin: ErrorOrigin) -> Site {
    let header = raw.header();
    Site {
        origin,
        location: header.location,
        task_id: Some(header.id()),
    }
}

unsafe fn outcome<F, T>(ptr: NonNull<Header>) -> *const () {
    let cell = cell::<F, T>(ptr);
    cell.stage.with(|s| {
        // SAFETY: rule 5: called only after COMPLETE, when the stage is
        // immutable.
        match unsafe { &*s } {
            Stage::Finished(o) => o as *const Outcome<T> as *const (),
            _ => std::ptr::null(),
        }
    })
}

unsafe fn take_outcome<F, T>(ptr: NonNull<Header>, out: *mut ()) {
    let cell = cell::<F, T>(ptr);
    cell.stage.with_mut(|s| {
        // SAFETY: rule 5: the caller holds the only handle of a complete task,
        // so nobody else reads the stage; `out` points to an
        // `Option<Outcome<T>>`.
        unsafe {
            if let Stage::Finished(o) = std::mem::replace(&mut *s, Stage::Consumed) {
                *(out as *mut Option<Outcome<T>>) = Some(o);
            }
        }
    })
}

unsafe fn failure<F, T>(ptr: NonNull<Header>) -> Option<AggregateError> {
    let cell = cell::<F, T>(ptr);
    cell.stage.with(|s| {
        // SAFETY: rule 5: called only after the outcome is stored and
        // published to the caller.
        match unsafe { &*s } {
            Stage::Finished(Err(agg)) => Some(agg.clone()),
            _ => None,
        }
    })
}

/// Publishes the final state, then runs what completion owes: continuations,
/// the unobserved-fault report, the parent's bookkeeping, and the registry
/// release. Consumes one ref the caller holds.
pub(crate) fn finish(raw: RawTask, kind: FinalKind) {
    let header = raw.header();
    // Leave the registry first, so that once anyone sees the task complete it
    // no longer counts as live. Shutdown cannot miss it: we own the stage.
    let released = header.home.with(|h| {
        // SAFETY: we own the stage (RUNNING), so nobody writes `home`
        // (rule 2); our ref keeps the header, and so the home, alive.
        unsafe { (*h).as_ref().and_then(|h| h.0.release(raw)) }
    });
    // An attached child's fault joins its parent's outcome: the parent
    // observes it, so the child is never reported (the parent may be).
    let faults_to = if header.parent.is_some() {
        FaultRecipient::Parent
    } else {
        FaultRecipient::Handles
    };
    // The outcome is visible to everyone from here on.
    let completed = header.state.transition_to_complete(kind, faults_to);
    if completed.drain_continuations {
        super::run_continuations::run_continuations(raw);
    }
    if completed.report_unobserved {
        // Nobody can observe it any more: report now.
        crate::diag::unobserved::report(raw);
    }
    if let Some(parent) = &header.parent {
        let fault = if kind == FinalKind::Faulted {
            // SAFETY: complete; the stage is immutable.
            unsafe { (header.vtable.failure)(raw.header_ptr()) }.map(TaskError::new)
        } else {
            None
        };
        children::child_finished(parent.raw(), fault);
    }
    // The registry's ref and ours go in one step (one atomic operation on
    // the state word instead of two).
    match released {
        Some(registry_ref) => {
            let _ = registry_ref.into_raw();
            if header.state.ref_dec_twice() {
                raw.dealloc();
            }
        }
        None => raw.ref_dec(),
    }
}
