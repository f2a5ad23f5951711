//! `fire_and_forget`: the safe `async void`; and `Task::forget`, which gives
//! an existing task the same treatment.
//!
//! Both capture the current `SynchronizationContext` (if any), tell it an
//! operation started, and when the work ends tell it the operation
//! completed. A failure goes to that context's
//! [`unhandled_error`](super::SynchronizationContext::unhandled_error), and
//! if it declines (or there is none) to the runtime-wide handler
//! ([`crate::diag::set_unhandled_error_handler`]). A cancellation for the
//! reason `RuntimeShutdown` or `ContextShutdown` (the runtime or the
//! context shut down) is not a failure of the work and is not reported;
//! every other cancellation is.

use super::home::home_for;
use super::sync_context::SynchronizationContext;
use crate::diag::{ErrorOrigin, UnhandledError};
use crate::task::BoxError;
use crate::task::ErasedTask;
use crate::task::continuation::{Continuation, Registered};
use crate::task::header::TaskKind;
use crate::task::spawn::{Spawn, Start};
use crate::task::{AggregateError, CancelReason, Task, TaskCreationOptions, TaskError};
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// What fire-and-forget work may end with: nothing, or a `Result` whose
/// error is its failure (the value is discarded). C#: an `async void`
/// method returns nothing and throws its failure.
pub trait FireAndForgetOutput {
    /// The failure, if the work failed.
    fn into_failure(self) -> Option<TaskError>;
}

impl FireAndForgetOutput for () {
    fn into_failure(self) -> Option<TaskError> {
        None
    }
}

impl<T, E> FireAndForgetOutput for Result<T, E>
where
    E: Into<BoxError> + 'static,
{
    fn into_failure(self) -> Option<TaskError> {
        self.err().map(TaskError::new)
    }
}

pin_project_lite::pin_project! {
    /// Runs the future and turns its failure into the task's.
    struct ForgetBody<F> {
        #[pin]
        future: F,
    }
}

impl<F> Future for ForgetBody<F>
where
    F: Future,
    F::Output: FireAndForgetOutput,
{
    type Output = Result<(), AggregateError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .future
            .poll(cx)
            .map(|out| match out.into_failure() {
                None => Ok(()),
                Some(e) => Err(AggregateError::one(e)),
            })
    }
}

/// Starts `future` and returns nothing to await: the safe form of C#'s
/// `async void`. As calling an `async void` method, it runs right here, on
/// the calling thread, up to its first `.await` that really suspends (the
/// work before it is done when this returns); the rest resumes on the
/// current `SynchronizationContext` if there is one (as an `async void`
/// event handler's awaits do), else on the thread pool. The context is
/// told `operation_started` now and `operation_completed` when the work
/// ends (inside this call, if it ends without suspending).
/// If the work fails — returns `Err`, panics, or ends canceled — the
/// failure goes to the context's unhandled-error handler, else to the
/// runtime-wide one, which by default logs it with this call's location and
/// lets the process go on ([`crate::diag::UnhandledErrorPolicy::Abort`]
/// makes it crash, as .NET does).
///
/// One ending is not reported: a cancellation for the reason
/// [`CancelReason::RuntimeShutdown`] or [`CancelReason::ContextShutdown`].
/// That is the work's task canceled because its runtime or context shut
/// down while it was pending, or the work returning such a cancellation as
/// its error (a [`TaskError`] or [`CanceledError`](crate::task::CanceledError),
/// read as [`TaskError::new`] reads it): the work was stopped, it did not
/// fail. The context is still told `operation_completed`. Every other
/// cancellation is reported like a fault (one requested through a token,
/// [`CancelReason::Requested`], for instance), and so is an error that only
/// wraps a cancellation (an [`AggregateError`] returned as it is).
///
/// ```
/// use std::sync::{Arc, mpsc};
/// use tasklane::context::fire_and_forget;
/// use tasklane::diag::set_unhandled_error_handler;
///
/// let (tx, rx) = mpsc::channel();
/// let tx = std::sync::Mutex::new(tx);
/// let previous = set_unhandled_error_handler(Some(Arc::new(move |e| {
///     tx.lock().unwrap().send(e.error.to_string()).unwrap();
/// })));
/// fire_and_forget(async { Err::<(), _>(std::io::Error::other("disk full")) });
/// assert_eq!(rx.recv().unwrap(), "disk full");
/// set_unhandled_error_handler(previous);
/// ```
///
/// The future must be `Send` (it may run on the pool):
///
/// ```compile_fail
/// let local = std::rc::Rc::new(1);
/// tasklane::context::fire_and_forget(async move {
///     tasklane::yield_now().await;
///     drop(local);
/// });
/// ```
///
/// C#: `async void`, with `AsyncVoidMethodBuilder`'s context notifications.
#[track_caller]
pub fn fire_and_forget<F>(future: F)
where
    F: Future + Send + 'static,
    F::Output: FireAndForgetOutput,
{
    let ctx = <dyn SynchronizationContext>::current();
    if let Some(c) = &ctx {
        c.operation_started();
    }
    // As calling an `async void` method: the body runs here up to its first
    // real suspension, then resumes on the captured context.
    let spawn = Spawn {
        home: home_for(ctx.as_ref()),
        options: TaskCreationOptions::DENY_CHILD_ATTACH,
        location: Location::caller(),
        kind: TaskKind::AsyncMethod,
        start: Start::Inline,
        name: None,
    };
    let task: Task<()> = spawn.spawn(ForgetBody { future });
    watch(task.into_erased(), ctx);
}

impl<T: Send + 'static> Task<T> {
    /// Lets the task run on unobserved, as if it had been started by
    /// [`fire_and_forget()`]: the current `SynchronizationContext` is told an
    /// operation started (and completed, when the task ends), and a failure
    /// goes to its unhandled-error handler, else to the runtime-wide one —
    /// instead of surfacing later as an unobserved fault. As there, a
    /// cancellation for the reason [`CancelReason::RuntimeShutdown`] or
    /// [`CancelReason::ContextShutdown`] is not reported; any other
    /// cancellation or fault is. The value, if any, is dropped.
    ///
    /// ```
    /// let t = tasklane::Task::run(|| println!("background"));
    /// t.forget();
    /// ```
    ///
    /// C#: `_ = task;` made safe — the failure is reported, never lost.
    pub fn forget(self) {
        let ctx = <dyn SynchronizationContext>::current();
        if let Some(c) = &ctx {
            c.operation_started();
        }
        watch(self.into_erased(), ctx);
    }
}

/// The forgotten task and the context it captured.
type Forgotten = (ErasedTask, Option<Arc<dyn SynchronizationContext>>);

/// Waits (as a continuation) for the task to end, then reports.
struct Watcher {
    pending: Mutex<Option<Forgotten>>,
}

impl Watcher {
    fn fire(&self) {
        let taken = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((task, ctx)) = taken {
            finished(task, ctx);
        }
    }
}

impl Wake for Watcher {
    fn wake(self: Arc<Self>) {
        self.fire();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.fire();
    }
}

fn watch(task: ErasedTask, ctx: Option<Arc<dyn SynchronizationContext>>) {
    let raw = task.raw();
    let watcher = Arc::new(Watcher {
        pending: Mutex::new(Some((task, ctx))),
    });
    match crate::task::handle_register(raw, Continuation::Waker(Waker::from(watcher.clone()))) {
        Registered::Stored(_) => {}
        Registered::MustDrain => crate::task::run_continuations::run_continuations(raw),
        Registered::Completed(_) => watcher.fire(),
    }
}

/// True for a cancellation that shutting down caused, not the work.
fn canceled_by_shutdown(agg: &AggregateError) -> bool {
    agg.is_canceled()
        && agg.first().as_canceled().is_some_and(|c| {
            matches!(
                c.reason(),
                CancelReason::RuntimeShutdown | CancelReason::ContextShutdown
            )
        })
}

fn finished(task: ErasedTask, ctx: Option<Arc<dyn SynchronizationContext>>) {
    if let Some(agg) = task.take_failure() {
        if !canceled_by_shutdown(&agg) {
            let raw = task.raw();
            let header = raw.header();
            let error = if agg.len() == 1 {
                agg.first().clone()
            } else {
                TaskError::new(agg)
            };
            route(
                ctx.as_ref(),
                UnhandledError {
                    error,
                    origin: ErrorOrigin::FireAndForget,
                    location: header.location,
                    task_id: Some(header.id()),
                    context: ctx.as_ref().map(|c| c.name()),
                },
            );
        }
    }
    if let Some(c) = &ctx {
        c.operation_completed();
    }
    drop(task);
}

/// Gives an unhandled error to `ctx`, and what it declines to the
/// runtime-wide handler.
pub(crate) fn route(ctx: Option<&Arc<dyn SynchronizationContext>>, error: UnhandledError) {
    let declined = match ctx {
        None => Some(error),
        Some(c) => {
            let copy = error.clone();
            // The context's handler is user code; a panic in it declines,
            // and is reported too.
            match catch_unwind(AssertUnwindSafe(|| c.unhandled_error(error))) {
                Ok(Ok(())) => None,
                Ok(Err(back)) => Some(back),
                Err(panic) => {
                    crate::diag::guard::report(
                        crate::diag::guard::Site {
                            origin: ErrorOrigin::Handler,
                            location: copy.location,
                            task_id: copy.task_id,
                        },
                        TaskError::from_panic_in(panic, "an unhandled-error handler"),
                    );
                    Some(copy)
                }
            }
        }
    };
    if let Some(e) = declined {
        crate::diag::unhandled::report(&e);
    }
}
