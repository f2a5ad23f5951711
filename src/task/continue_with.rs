//! `continue_with` and `unwrap`.

use super::cell::Outcome;
use super::continuation::{Continuation, Registered};
use super::header::TaskKind;
use super::raw::TaskRef;
use super::spawn::{Spawn, Start};
use super::{
    AggregateError, CancelReason, CanceledError, ContinuationOptions, Task, TaskError, work_error,
};
use crate::task::BoxError;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The body of a continuation: runs `f` on the completed antecedent if the
/// options allow, else ends Canceled.
pub(crate) struct ContinuationBody<A, F> {
    antecedent: Task<A>,
    f: Option<F>,
    options: ContinuationOptions,
}

impl<A, F> ContinuationBody<A, F> {
    pub(crate) fn new(antecedent: Task<A>, f: F, options: ContinuationOptions) -> Self {
        ContinuationBody {
            antecedent,
            f: Some(f),
            options,
        }
    }
}

impl<A, F> Unpin for ContinuationBody<A, F> {}

impl<A, F, U> Future for ContinuationBody<A, F>
where
    F: FnOnce(&Task<A>) -> Outcome<U>,
{
    type Output = Outcome<U>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Outcome<U>> {
        let status = self.antecedent.status();
        debug_assert!(
            status.is_final(),
            "a continuation runs after its antecedent"
        );
        if !self.options.allows(status) {
            return Poll::Ready(Err(AggregateError::one(TaskError::Canceled(
                CanceledError::with_reason(CancelReason::ContinuationConditionNotMet),
            ))));
        }
        let f = self.f.take().expect("a continuation runs once");
        Poll::Ready(f(&self.antecedent))
    }
}

impl<T: Send + Sync + 'static> Task<T> {
    /// Runs `f` with this task once it completes, and returns the task of
    /// `f`'s result. `options` choose when it runs (a condition that fails
    /// ends the continuation Canceled) and where (queued to the pool, or
    /// `EXECUTE_SYNCHRONOUSLY` on the completing thread). A continuation added
    /// to a completed task still runs. Options that exclude each other
    /// (`ONLY_ON_RAN_TO_COMPLETION | ONLY_ON_FAULTED`, `LONG_RUNNING |
    /// EXECUTE_SYNCHRONOUSLY`) make the returned task Faulted at once with
    /// [`InvalidOperationError::ConflictingOptions`](super::InvalidOperationError::ConflictingOptions) (C# throws
    /// `ArgumentOutOfRangeException` at the call). C#: `Task.ContinueWith`.
    ///
    /// ```
    /// use tasklane::{ContinuationOptions, Task};
    /// let t = Task::run(|| 20);
    /// let c = t.continue_with(|t| t.result().unwrap() + 1, ContinuationOptions::NONE);
    /// assert_eq!(c.result().unwrap(), 21);
    /// ```
    #[track_caller]
    pub fn continue_with<U, F>(&self, f: F, options: ContinuationOptions) -> Task<U>
    where
        F: FnOnce(&Task<T>) -> U + Send + 'static,
        U: Send + 'static,
    {
        let body = ContinuationBody::new(self.clone(), move |t: &Task<T>| Ok(f(t)), options);
        self.spawn_continuation(body, options, Location::caller())
    }

    /// As [`continue_with`](Task::continue_with), for a fallible `f`:
    /// returning `Err(e)` faults the continuation with `e` itself
    /// (recoverable by `downcast_ref`), and a [`CanceledError`] faults it
    /// too, as an exception from a C# continuation delegate does (only a
    /// token given with [`continue_with_token`](Task::continue_with_token)
    /// cancels it). C#: `Task.ContinueWith` with a delegate that throws.
    ///
    /// ```
    /// use tasklane::{ContinuationOptions, Task};
    /// let c = Task::run(|| 1).try_continue_with(
    ///     |_| -> Result<u8, std::io::Error> { Err(std::io::Error::other("no")) },
    ///     ContinuationOptions::NONE,
    /// );
    /// let err = c.wait().unwrap_err();
    /// assert!(err.first().downcast_ref::<std::io::Error>().is_some());
    /// ```
    #[track_caller]
    pub fn try_continue_with<U, E, F>(&self, f: F, options: ContinuationOptions) -> Task<U>
    where
        F: FnOnce(&Task<T>) -> Result<U, E> + Send + 'static,
        E: Into<BoxError> + 'static,
        U: Send + 'static,
    {
        let body = ContinuationBody::new(
            self.clone(),
            move |t: &Task<T>| {
                f(t).map_err(|e| AggregateError::one(work_error(TaskError::new(e), None)))
            },
            options,
        );
        self.spawn_continuation(body, options, Location::caller())
    }

    /// Makes the continuation task of `body` and registers it on this task.
    /// Options that exclude each other give a task Faulted at once.
    pub(crate) fn spawn_continuation<U, B>(
        &self,
        body: B,
        options: ContinuationOptions,
        location: &'static Location<'static>,
    ) -> Task<U>
    where
        B: Future<Output = Outcome<U>> + Send + 'static,
        U: Send + 'static,
    {
        if let Err(e) = options.validate() {
            return super::completion_source::completed_task(Err(AggregateError::one(
                TaskError::new(e),
            )));
        }
        let spawn = Spawn {
            home: crate::runtime::current_home(),
            options: options.creation_options(),
            location,
            kind: TaskKind::Continuation,
            start: Start::Waiting,
        };
        let task = spawn.spawn(body);
        let raw = task.raw();
        let entry = if options.contains(ContinuationOptions::EXECUTE_SYNCHRONOUSLY) {
            Continuation::Inline(TaskRef::new_ref(raw))
        } else {
            Continuation::Queue(TaskRef::new_ref(raw))
        };
        let asynchronous = self
            .creation_options()
            .contains(super::TaskCreationOptions::RUN_CONTINUATIONS_ASYNCHRONOUSLY);
        match super::handle::register(self.raw(), entry) {
            Registered::Stored(_) => {}
            Registered::MustDrain => super::run_continuations::run_continuations(self.raw()),
            Registered::Completed(entry) => {
                super::run_continuations::run_continuation(self.raw(), entry, asynchronous)
            }
        }
        task
    }
}

impl<T: Clone + Send + Sync + 'static> Task<Task<T>> {
    /// A task that completes as the inner task does: Faulted or Canceled as
    /// the outer task if it did not produce an inner task, else exactly as the
    /// inner task (all its errors). C#: `TaskExtensions.Unwrap`.
    #[track_caller]
    pub fn unwrap(&self) -> Task<T> {
        let outer = self.clone();
        let spawn = Spawn {
            home: crate::runtime::current_home(),
            options: super::TaskCreationOptions::NONE,
            location: Location::caller(),
            kind: TaskKind::Continuation,
            start: Start::Inline,
        };
        spawn.spawn(super::body::OutcomeBody::new(async move {
            let outer = outer.completion().await;
            let inner = match outer.result() {
                Ok(inner) => inner,
                Err(agg) => return Err(agg),
            };
            let inner = inner.completion().await;
            inner.result()
        }))
    }
}
