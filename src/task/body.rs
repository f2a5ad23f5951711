//! The futures a task cell runs: adapters from what the user gives (a
//! closure, a future, fallible or not) to the cell's `Outcome<T>`.

use super::cell::Outcome;
use super::{AggregateError, BoxError, TaskError};
use crate::cancel::CancellationToken;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Maps a work body's error to the task's error, with .NET's rule for work
/// started with a token: a cancellation ends the task Canceled only if it
/// carries the task's own token and that token is signalled; any other
/// cancellation is a fault.
pub(crate) fn work_error(e: TaskError, own: Option<&CancellationToken>) -> TaskError {
    match e {
        TaskError::Canceled(c) => {
            let own_and_signalled = match (own, c.token()) {
                (Some(own), Some(theirs)) => own == theirs && own.is_cancellation_requested(),
                _ => false,
            };
            if own_and_signalled {
                TaskError::Canceled(c)
            } else {
                TaskError::Faulted(c.into_fault())
            }
        }
        other => other,
    }
}

/// Runs a closure once (`Task::run`).
pub(crate) struct ClosureBody<F> {
    f: Option<F>,
}

impl<F> ClosureBody<F> {
    pub(crate) fn new(f: F) -> Self {
        ClosureBody { f: Some(f) }
    }
}

impl<F> Unpin for ClosureBody<F> {}

impl<F, T> Future for ClosureBody<F>
where
    F: FnOnce() -> T,
{
    type Output = Outcome<T>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Outcome<T>> {
        let f = self.f.take().expect("a closure task runs once");
        Poll::Ready(Ok(f()))
    }
}

/// Runs a fallible closure once (`Task::try_run`).
pub(crate) struct TryClosureBody<F> {
    f: Option<F>,
    token: Option<CancellationToken>,
}

impl<F> TryClosureBody<F> {
    pub(crate) fn new(f: F, token: Option<CancellationToken>) -> Self {
        TryClosureBody { f: Some(f), token }
    }
}

impl<F> Unpin for TryClosureBody<F> {}

impl<F, T, E> Future for TryClosureBody<F>
where
    F: FnOnce() -> Result<T, E>,
    E: Into<BoxError> + 'static,
{
    type Output = Outcome<T>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Outcome<T>> {
        let f = self.f.take().expect("a closure task runs once");
        Poll::Ready(
            f().map_err(|e| {
                AggregateError::one(work_error(TaskError::new(e), self.token.as_ref()))
            }),
        )
    }
}

pin_project_lite::pin_project! {
    /// Runs a future to its value (`Task::run_async`).
    pub(crate) struct AsyncBody<Fut> {
        #[pin]
        fut: Fut,
    }
}

impl<Fut> AsyncBody<Fut> {
    pub(crate) fn new(fut: Fut) -> Self {
        AsyncBody { fut }
    }
}

impl<Fut: Future> Future for AsyncBody<Fut> {
    type Output = Outcome<Fut::Output>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().fut.poll(cx).map(Ok)
    }
}

pin_project_lite::pin_project! {
    /// Runs a fallible future (`Task::try_run_async`). As a C# async method,
    /// any cancellation it ends with makes the task Canceled.
    pub(crate) struct TryAsyncBody<Fut> {
        #[pin]
        fut: Fut,
    }
}

impl<Fut> TryAsyncBody<Fut> {
    pub(crate) fn new(fut: Fut) -> Self {
        TryAsyncBody { fut }
    }
}

impl<Fut, T, E> Future for TryAsyncBody<Fut>
where
    Fut: Future<Output = Result<T, E>>,
    E: Into<BoxError> + 'static,
{
    type Output = Outcome<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .fut
            .poll(cx)
            .map(|r| r.map_err(|e| AggregateError::one(TaskError::new(e))))
    }
}

pin_project_lite::pin_project! {
    /// Runs a future that already produces an outcome (combinators).
    pub(crate) struct OutcomeBody<Fut> {
        #[pin]
        fut: Fut,
    }
}

impl<Fut> OutcomeBody<Fut> {
    pub(crate) fn new(fut: Fut) -> Self {
        OutcomeBody { fut }
    }
}

impl<Fut, T> Future for OutcomeBody<Fut>
where
    Fut: Future<Output = Outcome<T>>,
{
    type Output = Outcome<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().fut.poll(cx)
    }
}
