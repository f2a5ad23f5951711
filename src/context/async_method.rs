//! `async_method`: an async function's own continuation, as C# has one per
//! `async` method.
//!
//! In C# every async method captures the context when it suspends, so a
//! library method's `ConfigureAwait(false)` moves only that method's rest
//! off the UI thread: its caller's own `await` captured the UI context and
//! resumes there. In Rust an `async fn` awaited inline is part of its
//! caller's task, so a `configure_await(false)` inside it moves the whole
//! task. [`async_method`] (or `#[tasklane::async_method]` on the function)
//! draws the C# line: when the wrapped future completes on another home
//! than the one it started on, the task goes back to that home before its
//! caller continues, as the caller's captured-context continuation would.

use super::home::{Rehome, rehome_current};
use crate::task::schedule::{Home, home_of};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// A future whose moves of the running task (by `configure_await(false)`
    /// or `switch_to` inside it) end with it: made by [`async_method`]. C#:
    /// the task of an `async` method, awaited by its caller.
    #[must_use = "futures do nothing unless awaited"]
    pub struct AsyncMethod<F: Future> {
        #[pin]
        inner: F,
        // The running task's home when the method started (None outside a
        // task), once polled.
        entry: Option<Option<Home>>,
        // The output, kept while the task goes back home.
        output: Option<F::Output>,
    }
}

/// Scopes what `configure_await(false)` and `switch_to` do inside `future`
/// to it: if the running task is on another home when `future` completes
/// than when it started, it goes back (one hop) before the caller
/// continues. A future that never suspended, or ended where it began,
/// completes with no hop. C#: the boundary of an `async` method; use
/// `#[tasklane::async_method]` on an `async fn` to wrap its body.
///
/// ```
/// use tasklane::context::{ConfigureAwaitExt, Dispatcher, async_method};
/// use tasklane::Task;
///
/// // A library function: after its slow part it does not need the UI thread.
/// async fn get_data() -> u32 {
///     async_method(async {
///         let v = Task::run(|| 41).configure_await(false).await.unwrap();
///         v + 1 // runs on the pool
///     })
///     .await
/// }
///
/// let ui = Dispatcher::start("ui").unwrap();
/// let on_ui = ui.spawn(async {
///     let data = get_data().await;
///     // Back on the UI thread, as after a C# await of an async method.
///     (data, tasklane::Dispatcher::current().is_some())
/// });
/// assert_eq!(on_ui.result().unwrap(), (42, true));
/// # ui.shutdown();
/// ```
pub fn async_method<F: Future>(future: F) -> AsyncMethod<F> {
    AsyncMethod {
        inner: future,
        entry: None,
        output: None,
    }
}

/// The home of the task being polled on this thread, if any.
fn current_home() -> Option<Home> {
    // Rule 2 of header.rs: the task polled here is ours to read.
    crate::task::current::current().and_then(home_of)
}

impl<F: Future> Future for AsyncMethod<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let Some(v) = this.output.take() {
            // Resumed at home after the hop.
            return Poll::Ready(v);
        }
        let entry = this.entry.get_or_insert_with(current_home);
        let v = match this.inner.poll(cx) {
            Poll::Ready(v) => v,
            Poll::Pending => return Poll::Pending,
        };
        let moved_away = match (entry.as_ref(), current_home()) {
            (Some(entry), Some(now)) => !entry.ptr_eq(&now),
            _ => false,
        };
        if moved_away {
            let home = entry.clone().expect("checked above");
            if rehome_current(home) == Rehome::Moved {
                // The wake during this poll schedules the task on its old
                // home, where the caller continues.
                *this.output = Some(v);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        Poll::Ready(v)
    }
}
