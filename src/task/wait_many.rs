//! `wait_all` and `wait_any`: block until every (or any) of several tasks
//! completes, with a timeout or a token. C#: `Task.WaitAll`, `Task.WaitAny`.
//!
//! The inputs get completion actions (as `when_all` / `when_any` do) that
//! complete one private promise, and the calling thread waits for that
//! promise as `wait()` waits for a task: on a dispatcher thread it runs the
//! inputs' chains, on a pool thread it counts as blocked.

use super::continuation::CompletionAction;
use super::raw::RawTask;
use super::wait::WaitOutcome;
use super::{
    AggregateError, CanceledError, InvalidOperationError, Task, TaskCompletionSource, TaskError,
};
use crate::cancel::CancellationToken;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Wait for every input, or the first.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Mode {
    All,
    Any,
}

/// Completes the promise when enough inputs completed.
struct Signal {
    mode: Mode,
    remaining: AtomicUsize,
    /// The index of the first input to complete (`usize::MAX`: none yet).
    first: AtomicUsize,
    promise: TaskCompletionSource<()>,
}

impl CompletionAction for Signal {
    fn invoke(&self, index: usize) {
        let _ = self
            .first
            .compare_exchange(usize::MAX, index, Ordering::AcqRel, Ordering::Acquire);
        let done = match self.mode {
            Mode::Any => true,
            Mode::All => self.remaining.fetch_sub(1, Ordering::AcqRel) == 1,
        };
        if done {
            self.promise.try_set_result(());
        }
    }

    fn waiting_task(&self) -> Option<RawTask> {
        Some(self.promise.raw())
    }
}

/// How a wait for several tasks ended.
enum Ended {
    /// Enough inputs completed; for `Any`, the first one's index.
    Completed(usize),
    TimedOut,
    Canceled(CanceledError),
    /// Reported instead of a hang (see `Task::wait`).
    Deadlock(AggregateError),
}

/// Waits (see the module docs) until `mode`'s inputs completed, `timeout`
/// passed or `token` fired.
#[track_caller]
fn wait<T>(
    tasks: &[Task<T>],
    mode: Mode,
    timeout: Option<Duration>,
    token: Option<&CancellationToken>,
) -> Ended {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let signal = Arc::new(Signal {
        mode,
        remaining: AtomicUsize::new(tasks.len()),
        first: AtomicUsize::new(usize::MAX),
        promise: TaskCompletionSource::new(),
    });
    let waited = signal.promise.task();
    let mut keys = Vec::with_capacity(tasks.len());
    for (i, t) in tasks.iter().enumerate() {
        let key = super::combinators::register_action(t.raw(), &signal, i);
        keys.push(key);
        if mode == Mode::Any && waited.is_completed() {
            break;
        }
    }
    let fired = token.map(|token| {
        let promise = signal.promise.clone();
        token.register_internal(move || {
            promise.try_set_result(());
        })
    });
    let outcome = waited.wait_outcome(deadline);
    // Whatever ended the wait, the actions still listed go.
    for (t, key) in tasks.iter().zip(keys) {
        if let Some(key) = key {
            drop(t.raw().header().continuations.remove(key));
        }
    }
    drop(fired);
    let first = signal.first.load(Ordering::Acquire);
    let enough = match mode {
        Mode::Any => first != usize::MAX,
        Mode::All => tasks.iter().all(Task::is_completed),
    };
    if enough {
        return Ended::Completed(first);
    }
    match (outcome, token) {
        (WaitOutcome::Failed(e), _) => Ended::Deadlock(AggregateError::one(e)),
        (_, Some(token)) if token.is_cancellation_requested() => {
            Ended::Canceled(CanceledError::with_token(token.clone()))
        }
        _ => Ended::TimedOut,
    }
}

/// Every failure of completed `tasks`, in argument order: a faulted task's
/// errors, a canceled task's cancellation. C#: the `AggregateException` of
/// `Task.WaitAll`. Reading them observes them.
fn failures<T>(tasks: &[Task<T>]) -> Result<(), AggregateError> {
    let mut errors = Vec::new();
    for t in tasks {
        if t.is_faulted() {
            if let Some(agg) = t.exception() {
                errors.extend(agg.errors().iter().cloned());
            }
        } else if t.is_canceled() {
            if let Err(agg) = t.wait() {
                errors.extend(agg.errors().iter().cloned());
            }
        }
    }
    AggregateError::from_errors(errors).map_or(Ok(()), Err)
}

impl<T> Task<T> {
    /// Blocks until every task completes, then reports every failure in
    /// argument order: each faulted task's errors and each canceled task's
    /// cancellation. Waits as [`wait`](Task::wait) does (a dispatcher thread
    /// runs the tasks' chains, a pool thread counts as blocked). C#:
    /// `Task.WaitAll(params Task[])`.
    ///
    /// ```
    /// use tasklane::Task;
    /// let tasks: Vec<Task<u32>> = (1..=3).map(|i| Task::run(move || i)).collect();
    /// Task::wait_all(&tasks).unwrap();
    /// assert!(tasks.iter().all(|t| t.is_completed_successfully()));
    /// ```
    #[track_caller]
    pub fn wait_all(tasks: &[Task<T>]) -> Result<(), AggregateError> {
        if tasks.is_empty() {
            return Ok(());
        }
        match wait(tasks, Mode::All, None, None) {
            Ended::Completed(_) => failures(tasks),
            Ended::Deadlock(d) => Err(d),
            Ended::TimedOut | Ended::Canceled(_) => unreachable!("no timeout, no token"),
        }
    }

    /// As [`wait_all`](Task::wait_all), giving up after `timeout`:
    /// `Ok(false)` if some task is still running then (no failure is
    /// reported before every task completed). C#: `Task.WaitAll(Task[],
    /// TimeSpan)`.
    #[track_caller]
    pub fn wait_all_timeout(tasks: &[Task<T>], timeout: Duration) -> Result<bool, AggregateError> {
        if tasks.is_empty() {
            return Ok(true);
        }
        match wait(tasks, Mode::All, Some(timeout), None) {
            Ended::Completed(_) => failures(tasks).map(|()| true),
            Ended::TimedOut => Ok(false),
            Ended::Deadlock(d) => Err(d),
            Ended::Canceled(_) => unreachable!("no token"),
        }
    }

    /// As [`wait_all`](Task::wait_all), ending early with a
    /// `TaskError::Canceled` carrying `token` when it fires first (the
    /// tasks are left running). C#: `Task.WaitAll(Task[],
    /// CancellationToken)`.
    #[track_caller]
    pub fn wait_all_with_token(
        tasks: &[Task<T>],
        token: &CancellationToken,
    ) -> Result<(), AggregateError> {
        if tasks.is_empty() {
            return Ok(());
        }
        match wait(tasks, Mode::All, None, Some(token)) {
            Ended::Completed(_) => failures(tasks),
            Ended::Canceled(c) => Err(AggregateError::one(TaskError::Canceled(c))),
            Ended::Deadlock(d) => Err(d),
            Ended::TimedOut => unreachable!("no timeout"),
        }
    }

    /// Blocks until any task completes and returns the index of the first
    /// to complete (over tasks already complete, the first of them in
    /// argument order). Its failure is not reported (inspect the task). No
    /// tasks is misuse: [`InvalidOperationError::NoTasks`]. C#:
    /// `Task.WaitAny(params Task[])`.
    ///
    /// ```
    /// use tasklane::{Task, TaskCompletionSource};
    /// let never = TaskCompletionSource::<u32>::new();
    /// let tasks = vec![never.task(), Task::run(|| 2)];
    /// assert_eq!(Task::wait_any(&tasks).unwrap(), 1);
    /// ```
    #[track_caller]
    pub fn wait_any(tasks: &[Task<T>]) -> Result<usize, AggregateError> {
        Self::wait_any_ended(tasks, None, None).map(|i| i.expect("no timeout, no token"))
    }

    /// As [`wait_any`](Task::wait_any), giving up after `timeout`: `None`
    /// then (C#: `-1`). C#: `Task.WaitAny(Task[], TimeSpan)`.
    #[track_caller]
    pub fn wait_any_timeout(
        tasks: &[Task<T>],
        timeout: Duration,
    ) -> Result<Option<usize>, AggregateError> {
        Self::wait_any_ended(tasks, Some(timeout), None)
    }

    /// As [`wait_any`](Task::wait_any), ending early with a
    /// `TaskError::Canceled` carrying `token` when it fires first. C#:
    /// `Task.WaitAny(Task[], CancellationToken)`.
    #[track_caller]
    pub fn wait_any_with_token(
        tasks: &[Task<T>],
        token: &CancellationToken,
    ) -> Result<usize, AggregateError> {
        Self::wait_any_ended(tasks, None, Some(token)).map(|i| i.expect("no timeout"))
    }

    #[track_caller]
    fn wait_any_ended(
        tasks: &[Task<T>],
        timeout: Option<Duration>,
        token: Option<&CancellationToken>,
    ) -> Result<Option<usize>, AggregateError> {
        if tasks.is_empty() {
            return Err(AggregateError::one(TaskError::new(
                InvalidOperationError::NoTasks("wait_any"),
            )));
        }
        match wait(tasks, Mode::Any, timeout, token) {
            Ended::Completed(i) => Ok(Some(i)),
            Ended::TimedOut => Ok(None),
            Ended::Canceled(c) => Err(AggregateError::one(TaskError::Canceled(c))),
            Ended::Deadlock(d) => Err(d),
        }
    }
}
