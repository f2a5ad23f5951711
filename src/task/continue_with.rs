//! Continuations: the body that runs a `continue_with` delegate, and how a
//! continuation task is made and registered on its antecedent, on the
//! scheduler it is given. (`continue_with` itself, which chooses the
//! current scheduler, is the runtime's: `runtime/tasks_continue.rs`.)

use super::cell::Outcome;
use super::continuation::{Continuation, Registered};
use super::header::TaskKind;
use super::raw::TaskRef;
use super::spawn::{Spawn, Start};
use super::{AggregateError, CancelReason, CanceledError, ContinuationOptions, Task, TaskError};
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
    /// Makes the continuation task of `body` and registers it on this task.
    /// Options that exclude each other give a task Faulted at once.
    pub(crate) fn spawn_continuation<U, B>(
        &self,
        home: super::schedule::Home,
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
            home,
            options: options.creation_options(),
            location,
            kind: TaskKind::Continuation,
            start: Start::Waiting,
            name: None,
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
