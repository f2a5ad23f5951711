//! `switch_to`: move the rest of the running task to another context — a
//! dispatcher, any `SynchronizationContext`, or back to the pool.
//!
//! C#: vs-threading's `JoinableTaskFactory.SwitchToMainThreadAsync()` and
//! `await TaskScheduler.Default` (`SwitchTo`).

use super::home::{Rehome, home_for, rehome_current};
use super::sync_context::SynchronizationContext;
use super::{ContextError, Dispatcher};
use crate::runtime::Handle;
use crate::task::schedule::Home;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Where [`switch_to`] moves a task: made from a [`Dispatcher`], a
/// `SynchronizationContext`, or a runtime [`Handle`] (its thread pool). C#:
/// the awaitable target of `SwitchToMainThreadAsync` / `TaskScheduler`.
#[derive(Clone)]
pub struct SwitchTarget {
    home: Home,
}

impl From<&Dispatcher> for SwitchTarget {
    fn from(d: &Dispatcher) -> SwitchTarget {
        SwitchTarget {
            home: Home(d.shared().clone()),
        }
    }
}

impl From<&Arc<dyn SynchronizationContext>> for SwitchTarget {
    fn from(ctx: &Arc<dyn SynchronizationContext>) -> SwitchTarget {
        SwitchTarget {
            home: home_for(Some(ctx)),
        }
    }
}

impl From<&Handle> for SwitchTarget {
    fn from(h: &Handle) -> SwitchTarget {
        SwitchTarget { home: h.home() }
    }
}

impl std::fmt::Debug for SwitchTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SwitchTarget").field(&self.home).finish()
    }
}

/// Moves the rest of the running task to `target`: after this await, every
/// poll of the task — the code after it, and after every later await — runs
/// there. Already on the target's thread, it completes at once, without a
/// hop. Misuse is a typed error: outside a tasklane task
/// ([`ContextError::NotInTask`]), a task whose future is not `Send`
/// ([`ContextError::TaskPinned`]), a target that is shut down
/// ([`ContextError::ShutDown`]).
///
/// ```
/// use tasklane::context::{Dispatcher, switch_to, switch_to_thread_pool};
/// use tasklane::Task;
///
/// let ui = Dispatcher::start("ui").unwrap();
/// let t = Task::run_async({
///     let ui = ui.clone();
///     async move {
///         switch_to(&ui).await.unwrap();
///         let on_ui = ui.check_access();
///         switch_to_thread_pool().await.unwrap();
///         (on_ui, ui.check_access())
///     }
/// });
/// assert_eq!(t.result().unwrap(), (true, false));
/// # ui.shutdown();
/// ```
///
/// C#: `await joinableTaskFactory.SwitchToMainThreadAsync()`; `await
/// TaskScheduler.Default`.
pub fn switch_to(target: impl Into<SwitchTarget>) -> SwitchTo {
    SwitchTo {
        target: Some(target.into()),
        hopped: false,
    }
}

/// Moves the rest of the running task to the current runtime's thread pool
/// (the default runtime's outside any). C#: `await TaskScheduler.Default`,
/// `await TaskScheduler.Default.SwitchTo()`.
pub fn switch_to_thread_pool() -> SwitchTo {
    SwitchTo {
        target: Some(SwitchTarget {
            home: crate::runtime::current_home(),
        }),
        hopped: false,
    }
}

/// The future of [`switch_to`]. C#: `MainThreadAwaitable`.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct SwitchTo {
    target: Option<SwitchTarget>,
    hopped: bool,
}

impl Future for SwitchTo {
    type Output = Result<(), ContextError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.hopped {
            // Polled again: the task now runs on its new home.
            return Poll::Ready(Ok(()));
        }
        let Some(target) = self.target.take() else {
            return Poll::Ready(Ok(()));
        };
        let home = target.home;
        let on_target = home.0.is_current();
        let describe = || home.0.describe();
        match rehome_current(home.clone()) {
            Rehome::Moved | Rehome::AlreadyThere if on_target => Poll::Ready(Ok(())),
            Rehome::Moved | Rehome::AlreadyThere => {
                // Wake ourselves: the runner reschedules the task after this
                // poll, on its (new) home.
                self.hopped = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Rehome::NotInTask => Poll::Ready(Err(ContextError::NotInTask)),
            Rehome::Pinned => {
                let current = crate::task::current::current()
                    .and_then(crate::task::schedule::home_of)
                    .map_or_else(|| "its home".to_owned(), |h| h.0.describe());
                Poll::Ready(Err(ContextError::TaskPinned {
                    home: current,
                    target: describe(),
                }))
            }
            Rehome::ShutDown => Poll::Ready(Err(ContextError::ShutDown {
                context: describe(),
            })),
        }
    }
}
