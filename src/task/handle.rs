//! `Task<T>`: a cheap, cloneable handle to one promise.

use super::cell::Outcome;
use super::continuation::{Continuation, Registered};
use super::handles::Claim;
use super::header::Header;
use super::raw::RawTask;
use super::state::{FinalKind, TransitionHandlesGone};
use super::wait::WaitOutcome;
use super::{AggregateError, InvalidOperationError, TaskCreationOptions, TaskError, TaskStatus};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A handle to a task: work running on the pool, a promise completed from
/// outside, or a continuation. Cloning is cheap; every clone sees the same
/// task. Await it, block on it (`wait()`, `result()`), or continue from it
/// (`continue_with`), from as many places at once as you like.
///
/// `.await` yields `Result<T, TaskError>` with the *first* error; `wait()` and
/// `result()` yield `Result<_, AggregateError>` with *all* of them, as in C#.
///
/// **Awaiting: by value moves, `&task` shares.**
///
/// - `task.await` moves the output out of the task: the common case, spawn
///   then await the handle you got, works for any `T` (`io::Result<_>`, a
///   struct holding a socket). A `TaskCompletionSource` that is still alive
///   does not count as another handle.
/// - `(&task).await` clones the output (`T: Clone`) and leaves it in the
///   task: use it wherever several places await one task (C#'s normal
///   case: `await task` from many places).
/// - Awaiting by value while other `Task` handles exist yields
///   [`InvalidOperationError::OutputShared`] and leaves the output for them;
///   after a move, reading the value through any handle
///   (`result()`, `try_result()`, another await) yields
///   [`InvalidOperationError::OutputTaken`]. A failure is always cloned, so
///   every handle sees it.
///
/// ```
/// use tasklane::{Task, TaskCompletionSource};
///
/// // Not Clone: awaited by value, moved out.
/// let file = Task::run_async(async { std::fs::File::open("/dev/null") });
/// # tasklane::block_on(async move {
/// let f: std::io::Result<std::fs::File> = file.await.unwrap();
/// assert!(f.is_ok());
/// # });
/// // One promise, many awaiters: each awaits `&task`.
/// let gate = TaskCompletionSource::<u32>::new();
/// let waiters: Vec<Task<u32>> = (0..3)
///     .map(|i| {
///         let t = gate.task();
///         Task::run_async(async move { (&t).await.unwrap() + i })
///     })
///     .collect();
/// gate.set_result(10).unwrap();
/// let sum: u32 = waiters.iter().map(|w| w.result().unwrap()).sum();
/// assert_eq!(sum, 33);
/// ```
///
/// Awaiting `&task` needs a `Clone` output; for one that is not (here a
/// socket), await the task itself:
///
/// ```compile_fail,E0277
/// struct Connection(std::net::TcpStream);
/// fn shared(t: tasklane::Task<Connection>) {
///     tasklane::block_on(async move { (&t).await });
/// }
/// ```
///
/// C#: `System.Threading.Tasks.Task<TResult>` (and `Task` as `Task<()>`).
#[must_use = "a Task does nothing different if dropped, but its failure is then reported as unobserved; await it, or call .forget()"]
pub struct Task<T> {
    raw: RawTask,
    /// This handle's registration in the continuation list while awaited.
    key: Option<usize>,
    _t: PhantomData<T>,
}

// SAFETY: a Task<T> is like an Arc of the outcome: sending it or sharing it
// lets other threads read `&T` (clone) or take `T` (unique handle), so it is
// Send and Sync exactly when T is Send and Sync.
unsafe impl<T: Send + Sync> Send for Task<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Task<T> {}

impl<T> Unpin for Task<T> {}

impl<T> Task<T> {
    /// Wraps a fresh task's handle ref (the cell starts with one handle).
    pub(crate) fn from_new_raw(raw: RawTask) -> Task<T> {
        Task {
            raw,
            key: None,
            _t: PhantomData,
        }
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    fn header(&self) -> &Header {
        self.raw.header()
    }

    /// The task's id, unique in this process. C#: `Task.Id`.
    pub fn id(&self) -> u64 {
        self.header().id()
    }

    /// What the task's last poll parked on, as recorded by the primitive it
    /// parked on (0: nothing recorded, or the task completed). Read through
    /// [`diag::waiting_on`](crate::diag::waiting_on).
    pub(crate) fn waiting_word(&self) -> super::waiting::WaitWord {
        if self.is_completed() {
            return super::waiting::WaitWord(0);
        }
        super::waiting::WaitWord(
            self.header()
                .waiting
                .load(crate::loom::sync::atomic::Ordering::Relaxed),
        )
    }

    /// The task's name, if it was given one (`Task::builder().name(..)`).
    /// C#: none (a .NET task has only its `Id`).
    pub fn name(&self) -> Option<&str> {
        self.header().name.as_deref().map(String::as_str)
    }

    /// Where in the code the task (or its `TaskCompletionSource`) was created.
    pub fn location(&self) -> &'static Location<'static> {
        self.header().location
    }

    /// The options the task was created with. C#: `Task.CreationOptions`.
    pub fn creation_options(&self) -> TaskCreationOptions {
        self.header().options
    }

    /// The task's current status. C#: `Task.Status`.
    pub fn status(&self) -> TaskStatus {
        TaskStatus::from_snapshot(self.header().state.load(), self.header().kind)
    }

    /// True once the task reached a final state. C#: `Task.IsCompleted`.
    pub fn is_completed(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// True if the task ran to completion. C#: `Task.IsCompletedSuccessfully`.
    pub fn is_completed_successfully(&self) -> bool {
        self.final_kind() == Some(FinalKind::RanToCompletion)
    }

    /// True if the task faulted. C#: `Task.IsFaulted`.
    pub fn is_faulted(&self) -> bool {
        self.final_kind() == Some(FinalKind::Faulted)
    }

    /// True if the task was canceled. C#: `Task.IsCanceled`.
    pub fn is_canceled(&self) -> bool {
        self.final_kind() == Some(FinalKind::Canceled)
    }

    fn final_kind(&self) -> Option<FinalKind> {
        let s = self.header().state.load();
        s.is_complete().then(|| s.final_kind())
    }

    /// The outcome, once complete and unless it was moved out. Reading a
    /// failure marks it observed.
    fn read(&self) -> Read<'_, T> {
        let s = self.header().state.load();
        if !s.is_complete() {
            return Read::Pending;
        }
        // Checked before the stage is read (`handles.rs`): a handle that
        // finds the output not taken may read it.
        if super::handles::output_taken(self.header()) {
            return Read::Taken;
        }
        // SAFETY: COMPLETE (acquired above) makes the stage immutable, and it
        // holds an `Outcome<T>` because this handle was made for this cell
        // (rule 5 of header.rs); the output was not moved out, and cannot be
        // while this handle is not the only one (`handles.rs`).
        let p = unsafe { (self.header().vtable.outcome)(self.raw.header_ptr()) };
        debug_assert!(!p.is_null(), "the output was moved out unseen");
        // SAFETY: as above.
        let o = unsafe { &*(p as *const Outcome<T>) };
        if o.is_err() {
            self.header().state.set_observed();
        }
        Read::Ready(o)
    }

    /// The outcome, once complete (`None` if pending, or if the value was
    /// moved out: only a value is ever moved, never a failure).
    fn outcome(&self) -> Option<&Outcome<T>> {
        match self.read() {
            Read::Ready(o) => Some(o),
            Read::Pending | Read::Taken => None,
        }
    }

    /// The errors of a faulted task; `None` if it is not (yet) faulted, as
    /// for a canceled task. Reading it observes the fault. C#:
    /// `Task.Exception`.
    pub fn exception(&self) -> Option<AggregateError> {
        if !self.is_faulted() {
            return None;
        }
        self.outcome().and_then(|o| o.as_ref().err().cloned())
    }

    /// Blocks until the task completes, then reports all its errors. A
    /// canceled task reports one `TaskError::Canceled`. C#: `Task.Wait()`.
    ///
    /// On a pool worker this tells the pool the thread is blocked, so other
    /// work is not starved.
    ///
    /// On a dispatcher thread, while it waits, the thread runs the queued
    /// work that belongs to this task's chain (so waiting for a task that
    /// needs this thread completes instead of deadlocking), and a wait that
    /// can never finish returns a `DeadlockError` (`tasklane::context`) inside
    /// the `AggregateError`, leaving the task itself untouched.
    pub fn wait(&self) -> Result<(), AggregateError> {
        self.block_until_complete(None)?;
        match self.read() {
            // A value moved out was a value: it ran to completion.
            Read::Ready(Ok(_)) | Read::Taken => Ok(()),
            Read::Ready(Err(e)) => Err(e.clone()),
            Read::Pending => unreachable!("complete after blocking"),
        }
    }

    /// Blocks until the task completes or `timeout` passes; true if it
    /// completed. A timeout too large to add to now waits without limit (C#:
    /// `Wait(Timeout.Infinite)`). Errors are not reported (use
    /// `wait`/`exception`). C#: `Task.Wait(TimeSpan)`.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        matches!(
            self.wait_outcome(Instant::now().checked_add(timeout)),
            WaitOutcome::Completed
        )
    }

    pub(crate) fn wait_outcome(&self, deadline: Option<Instant>) -> WaitOutcome {
        if self.is_completed() {
            return WaitOutcome::Completed;
        }
        super::wait::wait_for(self.raw, deadline)
    }

    /// Blocks until complete; a deadlock (reported instead of a hang) is
    /// the error, with the task left untouched.
    fn block_until_complete(&self, deadline: Option<Instant>) -> Result<(), AggregateError> {
        match self.wait_outcome(deadline) {
            WaitOutcome::Completed | WaitOutcome::TimedOut => Ok(()),
            WaitOutcome::Failed(e) => Err(AggregateError::one(e)),
        }
    }

    /// Registers `waker` to be woken when the task completes, updating this
    /// handle's earlier registration. True if the task is complete.
    fn register_waker(&mut self, waker: &Waker) -> bool {
        let header = self.raw.header();
        if let Some(key) = self.key {
            if header.continuations.update_waker(key, waker) {
                let complete = header.state.load().is_complete();
                if !complete {
                    super::awaited::parked_on(self.raw);
                }
                return complete;
            }
            self.key = None;
            return true;
        }
        crate::diag::counters::waker_registered();
        match register(self.raw, Continuation::Waker(waker.clone())) {
            Registered::Stored(k) => {
                self.key = Some(k);
                super::awaited::parked_on(self.raw);
                false
            }
            Registered::MustDrain => {
                super::run_continuations::run_continuations(self.raw);
                true
            }
            Registered::Completed(_) => true,
        }
    }

    /// Ready once the task is complete; otherwise registers (or refreshes)
    /// this handle's waker.
    pub(crate) fn poll_completion(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_completed() || self.register_waker(cx.waker()) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// A future that waits for completion and then yields the task itself
    /// (for outputs that are not `Clone`, or to inspect the status). C#:
    /// `await Task.WhenAny(task)`, which yields the task without throwing.
    pub fn completion(&self) -> Completion<T> {
        Completion {
            task: Some(self.clone()),
        }
    }

    /// Takes the output out of the task, without cloning it, once it
    /// completes: what awaiting the task by value does (see [`Task`]). C#:
    /// `await task`.
    pub fn into_output(self) -> IntoOutput<T> {
        IntoOutput { task: Some(self) }
    }

    /// Blocks until complete, then takes the output out without cloning it
    /// (see [`Task::into_output`]). C#: `Task<T>.Result`.
    pub fn into_result(self) -> Result<T, AggregateError> {
        self.block_until_complete(None)?;
        self.take_output().map_err(|e| match e {
            Taken::Failed(agg) => agg,
            Taken::Shared(e) => AggregateError::one(e),
        })
    }

    /// Moves the value out of a completed task when this is its only
    /// handle (`handles.rs`); a failure is cloned out, as always.
    fn take_output(&self) -> Result<T, Taken> {
        match self.read() {
            Read::Ready(Err(agg)) => return Err(Taken::Failed(agg.clone())),
            Read::Ready(Ok(_)) => {}
            Read::Taken => {
                return Err(Taken::Shared(TaskError::new(
                    InvalidOperationError::OutputTaken,
                )));
            }
            Read::Pending => unreachable!("take_output after completion"),
        }
        match super::handles::claim_output(self.header()) {
            Claim::Claimed => {}
            Claim::Shared => {
                return Err(Taken::Shared(TaskError::new(
                    InvalidOperationError::OutputShared,
                )));
            }
            Claim::Taken => {
                return Err(Taken::Shared(TaskError::new(
                    InvalidOperationError::OutputTaken,
                )));
            }
        }
        let mut slot: Option<Outcome<T>> = None;
        // SAFETY: rule 5: the claim made this the only handle that reads the
        // stage, now and later (`handles.rs`); `take_outcome` moves an
        // `Outcome<T>` into the slot.
        unsafe {
            (self.header().vtable.take_outcome)(
                self.raw.header_ptr(),
                &mut slot as *mut Option<Outcome<T>> as *mut (),
            )
        };
        match slot {
            Some(Ok(v)) => Ok(v),
            Some(Err(agg)) => Err(Taken::Failed(agg)),
            None => unreachable!("a completed task's outcome is present"),
        }
    }
}

impl<T> Task<T> {
    /// The outcome of a completed task as `.await` gives it (the first
    /// error), moving the value out when this is the last handle and
    /// cloning it with `clone` otherwise (for holders such as `ValueTask`
    /// that know `T: Clone` without the type saying so).
    pub(crate) fn into_first_outcome(self, clone: fn(&T) -> T) -> Result<T, TaskError> {
        match self.take_output() {
            Ok(v) => Ok(v),
            Err(Taken::Failed(agg)) => Err(agg.first().clone()),
            Err(Taken::Shared(e)) => match self.read() {
                Read::Ready(Ok(v)) => Ok(clone(v)),
                _ => Err(e),
            },
        }
    }
}

/// What reading a task's outcome found.
enum Read<'a, T> {
    Pending,
    /// The value was moved out (by a handle that was the only one then).
    Taken,
    Ready(&'a Outcome<T>),
}

enum Taken {
    Failed(AggregateError),
    Shared(TaskError),
}

/// Registers a continuation on a task, publishing HAS_CONTINUATIONS under the
/// list lock.
pub(crate) fn register(raw: RawTask, cont: Continuation) -> Registered {
    let header = raw.header();
    header.continuations.register(None, cont, || {
        let prev = header.state.set_has_continuations();
        // Complete without having seen our bit: the completer skipped the list.
        prev.is_complete() && !prev.has_continuations()
    })
}

impl<T: Clone> Task<T> {
    /// Blocks until the task completes and returns its value, or all its
    /// errors. C#: `Task<T>.Result`.
    ///
    /// On a dispatcher thread it behaves as [`wait`](Task::wait) does: it
    /// runs the awaited task's chain, and reports a deadlock instead of
    /// hanging.
    pub fn result(&self) -> Result<T, AggregateError> {
        self.block_until_complete(None)?;
        self.try_result().expect("complete after blocking")
    }

    /// The outcome if the task is already complete (`None` if not), without
    /// blocking. A value already moved out by an await of another handle is
    /// [`InvalidOperationError::OutputTaken`].
    pub fn try_result(&self) -> Option<Result<T, AggregateError>> {
        match self.read() {
            Read::Pending => None,
            Read::Ready(o) => Some(o.clone()),
            Read::Taken => Some(Err(AggregateError::one(TaskError::new(
                InvalidOperationError::OutputTaken,
            )))),
        }
    }
}

/// Awaiting a task by value yields its output, moved out: the common case,
/// spawn then await the handle, works for any `T`. If other `Task` handles
/// exist when it completes, the output stays in the task for them and the
/// await yields [`InvalidOperationError::OutputShared`] (await `&task` to
/// get a clone instead, `T: Clone`); once moved out, later reads of any
/// handle yield [`InvalidOperationError::OutputTaken`]. A failure is
/// always yielded (cloned), whoever else holds the task. C#: `await task`.
impl<T> Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Synchronous completion: no registration, nothing scheduled.
        if !self.is_completed() && !self.register_waker(cx.waker()) {
            return Poll::Pending;
        }
        if let Some(key) = self.key.take() {
            drop(self.header().continuations.remove(key));
        }
        Poll::Ready(self.take_output().map_err(|e| match e {
            Taken::Failed(agg) => agg.first().clone(),
            Taken::Shared(e) => e,
        }))
    }
}

/// Awaiting `&task` yields a clone of the output (`T: Clone`), leaving it in
/// the task for every other handle. C#: `await task` on a task others await
/// too.
impl<T: Clone> IntoFuture for &Task<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = Shared<T>;

    fn into_future(self) -> Shared<T> {
        Shared { task: self.clone() }
    }
}

/// The await of `&task`: yields a clone of the output. Made by awaiting a
/// reference to a [`Task`].
#[must_use = "futures do nothing unless awaited"]
pub struct Shared<T> {
    task: Task<T>,
}

impl<T> Shared<T> {
    /// The task awaited.
    pub fn task(&self) -> &Task<T> {
        &self.task
    }

    /// True once the task reached a final state.
    pub fn is_completed(&self) -> bool {
        self.task.is_completed()
    }
}

impl<T> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Shared").field(&self.task).finish()
    }
}

impl<T: Clone> Future for Shared<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = &mut self.task;
        if !task.is_completed() && !task.register_waker(cx.waker()) {
            return Poll::Pending;
        }
        Poll::Ready(match task.try_result().expect("complete") {
            Ok(v) => Ok(v),
            Err(agg) => Err(agg.first().clone()),
        })
    }
}

impl<T> Clone for Task<T> {
    fn clone(&self) -> Task<T> {
        super::handles::add(self.header());
        Task {
            raw: self.raw,
            key: None,
            _t: PhantomData,
        }
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        let header = self.raw.header();
        if let Some(key) = self.key.take() {
            drop(header.continuations.remove(key));
        }
        if super::handles::remove(header) {
            handles_gone(self.raw);
        }
    }
}

/// The last handle of any kind (`Task`, `TaskCompletionSource`) is gone:
/// nobody can observe the task any more. Releases the handles' ref.
pub(crate) fn handles_gone(raw: RawTask) {
    match raw.header().state.transition_handles_gone() {
        TransitionHandlesGone::Report => {
            crate::diag::unobserved::report(raw);
            raw.ref_dec();
        }
        TransitionHandlesGone::Released => {}
        TransitionHandlesGone::Dealloc => raw.dealloc(),
    }
}

impl<T: Send> Task<T> {
    /// Keeps this handle but forgets its output type, for code that only
    /// needs the task's failure (`Task::forget`). `T: Send` because the
    /// erased handle may be the last and drop the output on any thread.
    pub(crate) fn into_erased(mut self) -> ErasedTask {
        if let Some(key) = self.key.take() {
            drop(self.raw.header().continuations.remove(key));
        }
        let raw = self.raw;
        std::mem::forget(self);
        ErasedTask { raw }
    }
}

/// A handle whose output type is forgotten: counted among the task's
/// handles like a `Task<T>`, able to read only the failure.
pub(crate) struct ErasedTask {
    raw: RawTask,
}

impl ErasedTask {
    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    /// The stored failure of a completed task (a canceled one too), marking
    /// it observed; None if it ran to completion or is not complete.
    pub(crate) fn take_failure(&self) -> Option<AggregateError> {
        let header = self.raw.header();
        if !header.state.load().is_complete() {
            return None;
        }
        // SAFETY: COMPLETE (acquired above) makes the stage immutable (rule
        // 5 of header.rs).
        let failure = unsafe { (header.vtable.failure)(self.raw.header_ptr()) };
        if failure.is_some() {
            header.state.set_observed();
        }
        failure
    }
}

impl Drop for ErasedTask {
    fn drop(&mut self) {
        // A `Task`'s drop never touches its output type, so the handle can
        // be released as any `Task` (as `TaskCompletionSource` does).
        drop(Task::<()>::from_new_raw(self.raw));
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("status", &self.status())
            .field("location", &format_args!("{}", self.location()))
            .finish()
    }
}

impl<T> PartialEq for Task<T> {
    /// Handles are equal when they refer to the same task.
    fn eq(&self, other: &Task<T>) -> bool {
        self.raw == other.raw
    }
}

impl<T> Eq for Task<T> {}

/// Waits for a task to complete and yields the task itself. Made by
/// [`Task::completion`]. C#: the task of `Task.WhenAny(task)`.
#[must_use = "futures do nothing unless awaited"]
pub struct Completion<T> {
    task: Option<Task<T>>,
}

impl<T> Future for Completion<T> {
    type Output = Task<T>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Task<T>> {
        let task = self
            .task
            .as_mut()
            .expect("Completion polled after it finished");
        if task.is_completed() || task.register_waker(cx.waker()) {
            let mut t = self.task.take().expect("present");
            if let Some(key) = t.key.take() {
                drop(t.header().continuations.remove(key));
            }
            return Poll::Ready(t);
        }
        Poll::Pending
    }
}

/// Takes the output out of the last handle when the task completes. Made by
/// [`Task::into_output`].
#[must_use = "futures do nothing unless awaited"]
pub struct IntoOutput<T> {
    task: Option<Task<T>>,
}

impl<T> Future for IntoOutput<T> {
    type Output = Result<T, TaskError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self
            .task
            .as_mut()
            .expect("IntoOutput polled after it finished");
        if task.is_completed() || task.register_waker(cx.waker()) {
            let mut t = self.task.take().expect("present");
            if let Some(key) = t.key.take() {
                drop(t.header().continuations.remove(key));
            }
            return Poll::Ready(t.take_output().map_err(|e| match e {
                Taken::Failed(agg) => agg.first().clone(),
                Taken::Shared(e) => e,
            }));
        }
        Poll::Pending
    }
}
