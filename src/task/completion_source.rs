//! `TaskCompletionSource<T>`: a task completed by hand.

use super::cell::{Cell, NeverPolled, Outcome, Stage, finish};
use super::header::{Header, TaskKind};
use super::raw::RawTask;
use super::state::{FinalKind, State};
use super::{
    AggregateError, BrokenPromiseError, CanceledError, InvalidOperationError, SetResultError, Task,
    TaskCreationOptions, TaskError,
};
use crate::cancel::CancellationToken;
use crate::flow::ExecutionContext;
use crate::loom::sync::atomic::Ordering;
use crate::task::BoxError;
use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;

type PromiseCell<T> = Cell<NeverPolled<T>, T>;

/// The producer side of a promise: its [`task`](Self::task) completes when
/// you call `set_result`, `set_error` or `set_canceled`. Use it to wrap a
/// callback- or event-based API in a `Task`.
///
/// Clones share the promise. If every clone is dropped without completing
/// it, the task faults with a [`BrokenPromiseError`] naming where the source
/// was created — .NET would leave it pending forever.
///
/// ```
/// use tasklane::{Task, TaskCompletionSource};
/// let tcs = TaskCompletionSource::<u32>::new();
/// let task = tcs.task();
/// std::thread::spawn(move || tcs.set_result(42).unwrap());
/// assert_eq!(task.result().unwrap(), 42);
/// ```
///
/// C#: `TaskCompletionSource<TResult>`.
pub struct TaskCompletionSource<T> {
    raw: RawTask,
    _t: PhantomData<T>,
}

// SAFETY: the source only moves a `T` into the cell; readers need
// `Task<T>`'s own bounds.
unsafe impl<T: Send> Send for TaskCompletionSource<T> {}
// SAFETY: all operations through `&self` are atomic claims on the state word.
unsafe impl<T: Send> Sync for TaskCompletionSource<T> {}

impl<T> TaskCompletionSource<T> {
    /// Says what the promise waits on, for task dumps (a promise is never
    /// polled, so the word stays until it completes).
    pub(crate) fn record_waiting(&self, word: super::waiting::WaitWord) {
        self.raw
            .header()
            .waiting
            .store(word.0, crate::loom::sync::atomic::Ordering::Relaxed);
    }

    /// A new, pending promise. C#: `new TaskCompletionSource<T>()`.
    #[track_caller]
    pub fn new() -> TaskCompletionSource<T> {
        Self::with_options(TaskCreationOptions::NONE)
    }

    /// A new promise with options; `RUN_CONTINUATIONS_ASYNCHRONOUSLY` keeps
    /// continuations off the thread that completes it. C#: `new
    /// TaskCompletionSource<T>(TaskCreationOptions)`.
    #[track_caller]
    pub fn with_options(options: TaskCreationOptions) -> TaskCompletionSource<T> {
        let mut header = Header::new(
            State::new(1, false, false),
            PromiseCell::<T>::vtable(),
            TaskKind::Promise,
            options,
            Location::caller(),
            None,
            ExecutionContext::default(),
            None,
        );
        // Made inside a task's poll: that task likely completes it (a dump
        // follows a wait on the promise to it).
        header.creator = super::current::current().map_or(0, |t| t.address());
        header.sources.store(1, Ordering::Relaxed);
        // The sources count as one handle, and read no output.
        header
            .handles
            .store(super::handles::SOURCED, Ordering::Relaxed);
        let raw = PromiseCell::<T>::allocate(header, Stage::Consumed);
        TaskCompletionSource {
            raw,
            _t: PhantomData,
        }
    }

    /// The task this source completes. C#: `TaskCompletionSource.Task`.
    pub fn task(&self) -> Task<T> {
        super::handles::add(self.raw.header());
        Task::from_new_raw(self.raw)
    }

    /// True once the promise is complete. C#: `tcs.Task.IsCompleted`.
    pub fn is_completed(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// Where this source was created.
    pub fn location(&self) -> &'static Location<'static> {
        self.raw.header().location
    }

    fn try_complete(&self, outcome: Outcome<T>, kind: FinalKind) -> Result<(), Outcome<T>> {
        let header = self.raw.header();
        if !header.state.try_claim_promise() {
            return Err(outcome);
        }
        let cell = self.raw.header_ptr().cast::<PromiseCell<T>>();
        // SAFETY: the claim (RUNNING) gives us the stage (rule 5); the cell
        // is a PromiseCell<T>, made in `with_options`.
        unsafe { cell.as_ref() }
            .stage
            .with_mut(|s| unsafe { *s = Stage::Finished(outcome) });
        // `finish` consumes a ref; the handles' shared ref stays.
        self.raw.ref_inc();
        finish(self.raw, kind);
        Ok(())
    }

    /// Completes the task with a value; if it is already complete, hands the
    /// value back in the error. C#: `SetResult`.
    pub fn set_result(&self, value: T) -> Result<(), SetResultError<T>> {
        self.try_complete(Ok(value), FinalKind::RanToCompletion)
            .map_err(|o| match o {
                Ok(value) => SetResultError::new(value),
                Err(_) => unreachable!("try_complete hands back the outcome it was given"),
            })
    }

    /// Completes the task with a value; false if already complete. C#:
    /// `TrySetResult`.
    pub fn try_set_result(&self, value: T) -> bool {
        self.try_complete(Ok(value), FinalKind::RanToCompletion)
            .is_ok()
    }

    /// Faults the task with one error. A cancellation given here faults the
    /// task too (as `SetException(new OperationCanceledException())` does);
    /// use `set_canceled` to cancel it. C#: `SetException`.
    pub fn set_error<E: Into<BoxError> + 'static>(
        &self,
        error: E,
    ) -> Result<(), InvalidOperationError> {
        self.set_errors(vec![TaskError::new(error)])
    }

    /// Faults the task with one error; false if already complete. C#:
    /// `TrySetException`.
    pub fn try_set_error<E: Into<BoxError> + 'static>(&self, error: E) -> bool {
        self.set_error(error).is_ok()
    }

    /// Faults the task with several errors, kept in order. C#:
    /// `SetException(IEnumerable<Exception>)`.
    pub fn set_errors(&self, errors: Vec<TaskError>) -> Result<(), InvalidOperationError> {
        let errors: Vec<TaskError> = errors
            .into_iter()
            .map(|e| match e {
                TaskError::Canceled(c) => TaskError::Faulted(c.into_fault()),
                other => other,
            })
            .collect();
        let agg =
            AggregateError::from_errors(errors).ok_or(InvalidOperationError::EmptyErrorList)?;
        self.try_complete(Err(agg), FinalKind::Faulted)
            .map_err(|_| InvalidOperationError::PromiseAlreadyCompleted)
    }

    /// Faults the task with several errors; false if already complete (or
    /// the list is empty). C#: `TrySetException(IEnumerable<Exception>)`.
    pub fn try_set_errors(&self, errors: Vec<TaskError>) -> bool {
        self.set_errors(errors).is_ok()
    }

    /// Cancels the task. C#: `SetCanceled()`.
    pub fn set_canceled(&self) -> Result<(), InvalidOperationError> {
        self.cancel_with(CanceledError::new())
    }

    /// Cancels the task, recording the token that caused it. C#:
    /// `SetCanceled(CancellationToken)`.
    pub fn set_canceled_with(&self, token: CancellationToken) -> Result<(), InvalidOperationError> {
        self.cancel_with(CanceledError::with_token(token))
    }

    /// Cancels the task; false if already complete. C#: `TrySetCanceled()`.
    pub fn try_set_canceled(&self) -> bool {
        self.set_canceled().is_ok()
    }

    /// Cancels the task with a token; false if already complete. C#:
    /// `TrySetCanceled(CancellationToken)`.
    pub fn try_set_canceled_with(&self, token: CancellationToken) -> bool {
        self.set_canceled_with(token).is_ok()
    }

    /// Completes the task with `outcome` as it is (a value, faults, or a
    /// cancellation); false if already complete. For the runtime's own
    /// promises (`when_all`), which hand on errors unchanged.
    pub(crate) fn try_complete_with(&self, outcome: Outcome<T>) -> bool {
        let kind = match &outcome {
            Ok(_) => FinalKind::RanToCompletion,
            Err(agg) if agg.is_canceled() => FinalKind::Canceled,
            Err(_) => FinalKind::Faulted,
        };
        self.try_complete(outcome, kind).is_ok()
    }

    /// The task of this source, without a handle.
    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    fn cancel_with(&self, c: CanceledError) -> Result<(), InvalidOperationError> {
        self.try_complete(
            Err(AggregateError::one(TaskError::Canceled(c))),
            FinalKind::Canceled,
        )
        .map_err(|_| InvalidOperationError::PromiseAlreadyCompleted)
    }
}

impl<T> Default for TaskCompletionSource<T> {
    #[track_caller]
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for TaskCompletionSource<T> {
    fn clone(&self) -> Self {
        let h = self.raw.header();
        h.sources.fetch_add(1, Ordering::Relaxed);
        TaskCompletionSource {
            raw: self.raw,
            _t: PhantomData,
        }
    }
}

impl<T> Drop for TaskCompletionSource<T> {
    fn drop(&mut self) {
        let h = self.raw.header();
        if h.sources.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        if !h.state.load().is_complete() {
            // The last source is gone and nobody completed the promise.
            let (location, task_id) = (h.location, h.id());
            crate::diag::observe::report(|| crate::diag::observe::Observed::BrokenPromise {
                location,
                task_id,
            });
            let err = TaskError::new(BrokenPromiseError::new(h.location));
            let _ = self.try_complete(Err(AggregateError::one(err)), FinalKind::Faulted);
        }
        // The sources together held one handle.
        if super::handles::sources_gone(h) {
            super::handle::handles_gone(self.raw);
        }
    }
}

impl<T> fmt::Debug for TaskCompletionSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskCompletionSource")
            .field("task_id", &self.raw.header().id())
            .field("completed", &self.is_completed())
            .field("location", &format_args!("{}", self.location()))
            .finish()
    }
}

/// A task that is already complete with `outcome`.
#[track_caller]
pub(crate) fn completed_task<T>(outcome: Outcome<T>) -> Task<T> {
    let kind = match &outcome {
        Ok(_) => FinalKind::RanToCompletion,
        Err(agg) if agg.is_canceled() => FinalKind::Canceled,
        Err(_) => FinalKind::Faulted,
    };
    let header = Header::new(
        State::new_complete(1, kind),
        PromiseCell::<T>::vtable(),
        TaskKind::Promise,
        TaskCreationOptions::NONE,
        Location::caller(),
        None,
        ExecutionContext::default(),
        None,
    );
    Task::from_new_raw(PromiseCell::<T>::allocate(header, Stage::Finished(outcome)))
}
