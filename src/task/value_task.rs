//! `ValueTask<T>`: a result that may already be there, awaited without any
//! allocation, or a [`Task<T>`], or an operation of a reusable
//! [`ManualResetValueTaskSource`].
//!
//! # Implementation
//!
//! A `ValueTask` is an enum: the value itself, an error, a task handle, or
//! an `Arc` of a source with the version of the operation it stands for. A
//! source keeps one operation's state behind a mutex: the version, the
//! outcome, and the waker of whoever awaits it. `reset` starts the next
//! operation by bumping the version, so a `ValueTask` of an earlier
//! operation is told apart and reports a typed error instead of reading
//! someone else's result. Nothing on these paths allocates: the waker is
//! cloned into a slot that already exists.

use super::{AggregateError, CanceledError, InvalidOperationError, Task, TaskError};
use crate::loom::sync::Mutex;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A result that may already be available: awaiting a ready `ValueTask`
/// allocates nothing and never suspends. It can also stand for a
/// [`Task<T>`] or for one operation of a [`ManualResetValueTaskSource`], so
/// a method can return the value directly on its fast path and fall back to
/// real asynchronous work otherwise, with one return type.
///
/// Awaiting yields `Result<T, TaskError>`, as awaiting a `Task<T>` does. A
/// `ValueTask` is consumed by awaiting it: polling it again after it
/// produced its result yields [`InvalidOperationError::ValueTaskConsumed`]
/// (C# leaves that undefined); one that stands for a source operation the
/// source has since moved past (with [`reset`](ManualResetValueTaskSource::reset))
/// yields [`InvalidOperationError::StaleValueTask`]. To await a result
/// several times, convert it with [`as_task`](ValueTask::as_task).
///
/// ```
/// use tasklane::ValueTask;
///
/// fn cached_or_fetched(cache: Option<u32>) -> ValueTask<u32> {
///     match cache {
///         Some(v) => ValueTask::from_result(v), // no allocation
///         None => ValueTask::from_task(tasklane::Task::run(|| 42)),
///     }
/// }
/// let v = tasklane::block_on(async {
///     cached_or_fetched(Some(7)).await.unwrap() + cached_or_fetched(None).await.unwrap()
/// });
/// assert_eq!(v, 49);
/// ```
///
/// C#: `System.Threading.Tasks.ValueTask<TResult>`.
#[must_use = "a ValueTask does nothing unless awaited"]
pub struct ValueTask<T> {
    repr: Repr<T>,
}

enum Repr<T> {
    Ready(T),
    Failed(TaskError),
    Task {
        task: Task<T>,
        clone: fn(&T) -> T,
    },
    Source {
        source: Arc<ManualResetValueTaskSource<T>>,
        version: u32,
    },
    Consumed,
}

impl<T> Unpin for ValueTask<T> {}

impl<T> ValueTask<T> {
    /// A `ValueTask` that is already complete with `value`. C#:
    /// `new ValueTask<TResult>(result)` / `ValueTask.FromResult`.
    pub fn from_result(value: T) -> ValueTask<T> {
        ValueTask {
            repr: Repr::Ready(value),
        }
    }

    /// A `ValueTask` that is already complete with `error` (faulted or, for
    /// a [`TaskError::Canceled`], canceled). C#: `ValueTask.FromException`,
    /// `ValueTask.FromCanceled`.
    pub fn from_error(error: TaskError) -> ValueTask<T> {
        ValueTask {
            repr: Repr::Failed(error),
        }
    }

    /// A `ValueTask` standing for `task`: awaiting it awaits the task. C#:
    /// `new ValueTask<TResult>(Task<TResult>)`.
    pub fn from_task(task: Task<T>) -> ValueTask<T>
    where
        T: Clone,
    {
        ValueTask {
            repr: Repr::Task {
                task,
                clone: T::clone,
            },
        }
    }

    /// True once awaiting would not suspend: the result (or error) is
    /// there, or the `ValueTask` can only report misuse. C#:
    /// `ValueTask<TResult>.IsCompleted`.
    pub fn is_completed(&self) -> bool {
        match &self.repr {
            Repr::Ready(_) | Repr::Failed(_) | Repr::Consumed => true,
            Repr::Task { task, .. } => task.is_completed(),
            Repr::Source { source, version } => source.is_completed_for(*version),
        }
    }

    /// True if the result is there and is a value. C#:
    /// `ValueTask<TResult>.IsCompletedSuccessfully`.
    pub fn is_completed_successfully(&self) -> bool {
        match &self.repr {
            Repr::Ready(_) => true,
            Repr::Failed(_) | Repr::Consumed => false,
            Repr::Task { task, .. } => task.is_completed_successfully(),
            Repr::Source { source, version } => source.succeeded_for(*version),
        }
    }

    /// True once this `ValueTask` has produced its result (or error).
    pub fn is_consumed(&self) -> bool {
        matches!(self.repr, Repr::Consumed)
    }
}

impl<T: Send + Sync + 'static> ValueTask<T> {
    /// A [`Task<T>`] with the same outcome, which may be awaited, waited on
    /// and continued from any number of times. A ready `ValueTask` becomes a
    /// completed task (one allocation); a source operation is awaited by a
    /// task on the current pool. C#: `ValueTask<TResult>.AsTask()`.
    #[track_caller]
    pub fn as_task(self) -> Task<T> {
        match self.repr {
            Repr::Ready(v) => Task::from_result(v),
            Repr::Failed(e) => {
                super::completion_source::completed_task(Err(AggregateError::one(e)))
            }
            Repr::Task { task, .. } => task,
            repr @ (Repr::Source { .. } | Repr::Consumed) => {
                Task::try_run_async(ValueTask { repr })
            }
        }
    }
}

impl<T> Future for ValueTask<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let out = match &mut this.repr {
            Repr::Ready(_) | Repr::Failed(_) => None,
            Repr::Task { task, .. } => {
                if task.poll_completion(cx).is_pending() {
                    return Poll::Pending;
                }
                None
            }
            Repr::Source { source, version } => match source.poll_for(*version, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(out) => Some(out),
            },
            Repr::Consumed => Some(Err(TaskError::new(
                InvalidOperationError::ValueTaskConsumed,
            ))),
        };
        let taken = std::mem::replace(&mut this.repr, Repr::Consumed);
        Poll::Ready(match (out, taken) {
            (Some(out), _) => out,
            (None, Repr::Ready(v)) => Ok(v),
            (None, Repr::Failed(e)) => Err(e),
            // Moves the value out when this is the task's last handle, else
            // clones it, as awaiting the task would.
            (None, Repr::Task { task, clone }) => task.into_first_outcome(clone),
            (None, Repr::Source { .. } | Repr::Consumed) => {
                unreachable!("source and consumed ValueTasks produce their outcome above")
            }
        })
    }
}

impl<T> From<Task<T>> for ValueTask<T>
where
    T: Clone,
{
    fn from(task: Task<T>) -> ValueTask<T> {
        ValueTask::from_task(task)
    }
}

impl<T> fmt::Debug for ValueTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.repr {
            Repr::Ready(_) => "ready",
            Repr::Failed(_) => "failed",
            Repr::Task { .. } => "task",
            Repr::Source { .. } => "source",
            Repr::Consumed => "consumed",
        };
        f.debug_struct("ValueTask")
            .field("kind", &kind)
            .field("completed", &self.is_completed())
            .finish()
    }
}

/// A reusable completion source for [`ValueTask`]s: one operation at a
/// time, each started by [`reset`](Self::reset), completed once with
/// [`set_result`](Self::set_result) (or an error), and awaited once through
/// the [`ValueTask`] that [`value_task`](Self::value_task) hands out. A hot
/// path (a socket's reads, a channel's receives) keeps one source and
/// completes it over and over with no allocation at all.
///
/// Each operation has a version; a `ValueTask` remembers the version it was
/// made for, so awaiting it after the source moved on is a typed error
/// ([`InvalidOperationError::StaleValueTask`]) rather than someone else's
/// result.
///
/// ```
/// use std::sync::Arc;
/// use tasklane::{ManualResetValueTaskSource, block_on};
///
/// let source = Arc::new(ManualResetValueTaskSource::<u32>::new());
/// for i in 0..3 {
///     source.reset();
///     let pending = source.value_task();
///     let s = source.clone();
///     std::thread::spawn(move || s.set_result(i).unwrap());
///     assert_eq!(block_on(pending).unwrap(), i);
/// }
/// ```
///
/// C#: `ManualResetValueTaskSourceCore<TResult>` behind an
/// `IValueTaskSource<TResult>`.
pub struct ManualResetValueTaskSource<T> {
    core: Mutex<SourceCore<T>>,
}

struct SourceCore<T> {
    version: u32,
    outcome: SourceOutcome<T>,
    /// Whoever awaits the current operation.
    waker: Option<Waker>,
}

enum SourceOutcome<T> {
    Pending,
    Done(Result<T, TaskError>),
    /// The operation's result was taken by its `ValueTask`.
    Taken,
}

impl<T> ManualResetValueTaskSource<T> {
    /// A source whose first operation (version 0) is pending. C#: `new
    /// ManualResetValueTaskSourceCore<TResult>()`.
    pub fn new() -> ManualResetValueTaskSource<T> {
        ManualResetValueTaskSource {
            core: Mutex::new(SourceCore {
                version: 0,
                outcome: SourceOutcome::Pending,
                waker: None,
            }),
        }
    }

    /// Starts the next operation: bumps the version, forgets the previous
    /// outcome and waiter, and returns the new version. `ValueTask`s of
    /// earlier operations report [`InvalidOperationError::StaleValueTask`]
    /// from here on. C#: `ManualResetValueTaskSourceCore.Reset`.
    pub fn reset(&self) -> u32 {
        let mut core = crate::loom::lock(&self.core);
        core.version = core.version.wrapping_add(1);
        core.outcome = SourceOutcome::Pending;
        let stale_waiter = core.waker.take();
        let version = core.version;
        drop(core);
        // A waiter of the previous operation learns it is stale.
        if let Some(w) = stale_waiter {
            w.wake();
        }
        version
    }

    /// The version of the current operation. C#:
    /// `ManualResetValueTaskSourceCore.Version`.
    pub fn version(&self) -> u32 {
        crate::loom::lock(&self.core).version
    }

    /// True once the current operation has an outcome. C#:
    /// `core.GetStatus(core.Version) != ValueTaskSourceStatus.Pending`.
    pub fn is_completed(&self) -> bool {
        !matches!(
            crate::loom::lock(&self.core).outcome,
            SourceOutcome::Pending
        )
    }

    /// Completes the current operation with `value` and wakes its awaiter.
    /// If the operation already completed, the value comes back in the
    /// error. C#: `ManualResetValueTaskSourceCore.SetResult`.
    pub fn set_result(&self, value: T) -> Result<(), SourceCompletedError<T>> {
        self.complete(Ok(value))
            .map_err(|(out, version)| SourceCompletedError {
                value: out.ok(),
                version,
            })
    }

    /// Completes the current operation with an error (a
    /// [`TaskError::Canceled`] cancels it). C#:
    /// `ManualResetValueTaskSourceCore.SetException`.
    pub fn set_error(&self, error: TaskError) -> Result<(), SourceCompletedError<T>> {
        self.complete(Err(error))
            .map_err(|(_, version)| SourceCompletedError {
                value: None,
                version,
            })
    }

    /// Cancels the current operation. C#: `SetException(new
    /// OperationCanceledException())` on the core.
    pub fn set_canceled(&self) -> Result<(), SourceCompletedError<T>> {
        self.set_error(TaskError::Canceled(CanceledError::new()))
    }

    fn complete(&self, out: Result<T, TaskError>) -> Result<(), (Result<T, TaskError>, u32)> {
        let mut core = crate::loom::lock(&self.core);
        if !matches!(core.outcome, SourceOutcome::Pending) {
            return Err((out, core.version));
        }
        core.outcome = SourceOutcome::Done(out);
        let waker = core.waker.take();
        drop(core);
        // Waking is user code: outside the lock.
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    fn is_completed_for(&self, version: u32) -> bool {
        let core = crate::loom::lock(&self.core);
        core.version != version || !matches!(core.outcome, SourceOutcome::Pending)
    }

    fn succeeded_for(&self, version: u32) -> bool {
        let core = crate::loom::lock(&self.core);
        core.version == version && matches!(core.outcome, SourceOutcome::Done(Ok(_)))
    }

    /// The awaiting side of operation `version`.
    fn poll_for(&self, version: u32, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        let mut core = crate::loom::lock(&self.core);
        if core.version != version {
            return Poll::Ready(Err(TaskError::new(InvalidOperationError::StaleValueTask {
                awaited: version,
                current: core.version,
            })));
        }
        match std::mem::replace(&mut core.outcome, SourceOutcome::Taken) {
            SourceOutcome::Done(out) => Poll::Ready(out),
            SourceOutcome::Taken => Poll::Ready(Err(TaskError::new(
                InvalidOperationError::ValueTaskConsumed,
            ))),
            SourceOutcome::Pending => {
                core.outcome = SourceOutcome::Pending;
                match &mut core.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    // Replaces the slot's waker in place: no allocation.
                    slot => *slot = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl<T> ManualResetValueTaskSource<T> {
    /// A [`ValueTask`] for the current operation. Hand out one per
    /// operation: the first to await it takes the result, a second reports
    /// [`InvalidOperationError::ValueTaskConsumed`]. C#: `new
    /// ValueTask<TResult>(source, core.Version)`.
    pub fn value_task(self: &Arc<Self>) -> ValueTask<T> {
        let version = self.version();
        ValueTask {
            repr: Repr::Source {
                source: self.clone(),
                version,
            },
        }
    }
}

impl<T> Default for ManualResetValueTaskSource<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for ManualResetValueTaskSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = crate::loom::lock(&self.core);
        f.debug_struct("ManualResetValueTaskSource")
            .field("version", &core.version)
            .field(
                "completed",
                &!matches!(core.outcome, SourceOutcome::Pending),
            )
            .finish()
    }
}

/// `set_result` / `set_error` on a source whose current operation already
/// completed: nothing was stored, and the value comes back. Call
/// [`ManualResetValueTaskSource::reset`] to start the next operation first.
/// C#: the `InvalidOperationException` that
/// `ManualResetValueTaskSourceCore.SetResult` throws.
pub struct SourceCompletedError<T> {
    value: Option<T>,
    version: u32,
}

impl<T> SourceCompletedError<T> {
    /// Takes back the value that was not stored (`None` for `set_error`).
    pub fn into_value(self) -> Option<T> {
        self.value
    }

    /// The version of the operation that was already complete.
    pub fn version(&self) -> u32 {
        self.version
    }
}

impl<T> fmt::Debug for SourceCompletedError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceCompletedError")
            .field("version", &self.version)
            .finish()
    }
}

impl<T> fmt::Display for SourceCompletedError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "operation {} of this ManualResetValueTaskSource already completed; call reset() to start the next one",
            self.version
        )
    }
}

impl<T> std::error::Error for SourceCompletedError<T> {}
