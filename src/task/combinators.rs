//! `when_all` and `when_any`.

use super::cell::Outcome;
use super::header::TaskKind;
use super::spawn::{Spawn, Start};
use super::{AggregateError, InvalidOperationError, Task, TaskCreationOptions, TaskError};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

fn combinator_spawn(location: &'static Location<'static>) -> Spawn {
    Spawn {
        home: crate::runtime::current_home(),
        options: TaskCreationOptions::NONE,
        location,
        kind: TaskKind::Continuation,
        start: Start::Inline,
    }
}

/// Waits for every input in order, registering on one pending input at a
/// time: each input is checked once when it is reached, so the whole wait is
/// linear in the number of inputs however they complete.
struct WhenAll<T> {
    tasks: Vec<Task<T>>,
    next: usize,
}

impl<T> Unpin for WhenAll<T> {}

impl<T: Clone> Future for WhenAll<T> {
    type Output = Outcome<Vec<T>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        while this.next < this.tasks.len() {
            let t = &mut this.tasks[this.next];
            if t.poll_completion(cx).is_pending() {
                return Poll::Pending;
            }
            this.next += 1;
        }
        // Faulted if any faulted (all errors, input order), else Canceled if
        // any was canceled, else every value in input order.
        let mut errors: Vec<TaskError> = Vec::new();
        let mut canceled: Option<TaskError> = None;
        for t in &this.tasks {
            if t.is_faulted() {
                if let Some(agg) = t.exception() {
                    errors.extend(agg.errors().iter().cloned());
                }
            } else if t.is_canceled() && canceled.is_none() {
                canceled = t
                    .try_result()
                    .and_then(|r| r.err())
                    .map(|a| a.first().clone());
            }
        }
        if let Some(agg) = AggregateError::from_errors(errors) {
            return Poll::Ready(Err(agg));
        }
        if let Some(c) = canceled {
            return Poll::Ready(Err(AggregateError::one(c)));
        }
        let values = this
            .tasks
            .iter()
            .map(|t| match t.try_result() {
                Some(Ok(v)) => v,
                _ => unreachable!("every input ran to completion"),
            })
            .collect();
        Poll::Ready(Ok(values))
    }
}

/// Waits for the first input to complete.
struct WhenAny<T> {
    tasks: Vec<Task<T>>,
}

impl<T> Unpin for WhenAny<T> {}

impl<T> Future for WhenAny<T> {
    type Output = Outcome<Task<T>>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        for t in &self.tasks {
            if t.is_completed() {
                return Poll::Ready(Ok(t.clone()));
            }
        }
        for t in &mut self.tasks {
            if t.poll_completion(cx).is_ready() {
                let first = t.clone();
                return Poll::Ready(Ok(first));
            }
        }
        Poll::Pending
    }
}

impl<T: Clone + Send + Sync + 'static> Task<T> {
    /// A task that completes when every input has: Faulted with all the
    /// inputs' errors (input order) if any faulted, else Canceled if any was
    /// canceled, else the values in input order. Empty input completes at
    /// once. Reading the inputs' faults observes them. C#: `Task.WhenAll`.
    ///
    /// ```
    /// use tasklane::Task;
    /// let all = Task::when_all((1..=3).map(|i| Task::run(move || i * 10)));
    /// assert_eq!(all.result().unwrap(), vec![10, 20, 30]);
    /// ```
    #[track_caller]
    pub fn when_all<I>(tasks: I) -> Task<Vec<T>>
    where
        I: IntoIterator<Item = Task<T>>,
    {
        let tasks: Vec<Task<T>> = tasks.into_iter().collect();
        if tasks.is_empty() {
            return Task::from_result(Vec::new());
        }
        combinator_spawn(Location::caller())
            .spawn(super::body::OutcomeBody::new(WhenAll { tasks, next: 0 }))
    }
}

impl<T: Send + Sync + 'static> Task<T> {
    /// A task that completes when the first input completes, with that input
    /// itself (not its result); it never faults because an input did. Empty
    /// input is misuse: the task faults with
    /// [`InvalidOperationError::EmptyWhenAny`]. C#: `Task.WhenAny`.
    ///
    /// ```
    /// use tasklane::{Task, TaskCompletionSource};
    /// let never = TaskCompletionSource::<u8>::new();
    /// let first = Task::when_any(vec![never.task(), Task::from_result(7)]).result().unwrap();
    /// assert_eq!(first.result().unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn when_any<I>(tasks: I) -> Task<Task<T>>
    where
        I: IntoIterator<Item = Task<T>>,
    {
        let tasks: Vec<Task<T>> = tasks.into_iter().collect();
        if tasks.is_empty() {
            return Task::from_error(InvalidOperationError::EmptyWhenAny);
        }
        combinator_spawn(Location::caller()).spawn(super::body::OutcomeBody::new(WhenAny { tasks }))
    }
}
