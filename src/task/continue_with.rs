//! `continue_with` and `unwrap`.

use super::cell::Outcome;
use super::continuation::{Continuation, Registered};
use super::header::TaskKind;
use super::raw::{TaskRef, waker};
use super::spawn::{Spawn, Start};
use super::{AggregateError, CancelReason, CanceledError, ContinuationOptions, Task, TaskError};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The body of a continuation: runs `f` on the completed antecedent if the
/// options allow, else ends Canceled.
struct ContinuationBody<A, F> {
    antecedent: Task<A>,
    f: Option<F>,
    options: ContinuationOptions,
}

impl<A, F> Unpin for ContinuationBody<A, F> {}

impl<A, F, U> Future for ContinuationBody<A, F>
where
    F: FnOnce(&Task<A>) -> U,
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
        Poll::Ready(Ok(f(&self.antecedent)))
    }
}

impl<T: Send + Sync + 'static> Task<T> {
    /// Runs `f` with this task once it completes, and returns the task of
    /// `f`'s result. `options` choose when it runs (a condition that fails
    /// ends the continuation Canceled) and where (queued to the pool, or
    /// `EXECUTE_SYNCHRONOUSLY` on the completing thread). A continuation added
    /// to a completed task still runs. C#: `Task.ContinueWith`.
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
        let spawn = Spawn {
            home: crate::runtime::current_home(),
            options: options.creation_options(),
            location: Location::caller(),
            kind: TaskKind::Continuation,
            start: Start::Waiting,
        };
        let body = ContinuationBody {
            antecedent: self.clone(),
            f: Some(f),
            options,
        };
        let task = spawn.spawn(body);
        let raw = task.raw();
        let entry = if options.contains(ContinuationOptions::EXECUTE_SYNCHRONOUSLY) {
            Continuation::Inline(TaskRef::new_ref(raw))
        } else {
            Continuation::Waker(waker(raw))
        };
        let asynchronous = self
            .creation_options()
            .contains(super::TaskCreationOptions::RUN_CONTINUATIONS_ASYNCHRONOUSLY);
        match super::handle::register(self.raw(), entry) {
            Registered::Stored(_) => {}
            Registered::MustDrain => super::cell::run_continuations(self.raw()),
            Registered::Completed(entry) => {
                super::cell::run_continuation(self.raw(), entry, asynchronous)
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
