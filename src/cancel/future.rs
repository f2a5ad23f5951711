//! Awaiting a token: `cancelled()`, `run_until_cancelled`, and `wait_async`
//! on a task.

use super::callbacks::{Callback, Key};
use super::state::Registered;
use super::token::CancellationToken;
use crate::task::{CanceledError, Task, TaskError};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Completes when its token is cancelled. Made by
/// [`CancellationToken::cancelled`]. Registers its waker on the token on the
/// first pending poll, and unregisters it when dropped. C#: as awaiting
/// `Task.Delay(Timeout.Infinite, token)`.
#[must_use = "futures do nothing unless polled"]
pub struct Cancelled {
    token: CancellationToken,
    key: Option<Key>,
    /// The waker listed under `key`, and the source's reset count when it
    /// was listed: a poll with the same waker and no reset since needs no
    /// lock (many tasks awaiting one shutdown token poll without contending).
    listed: Option<(std::task::Waker, u64)>,
}

impl Cancelled {
    pub(crate) fn new(token: CancellationToken) -> Cancelled {
        Cancelled {
            token,
            key: None,
            listed: None,
        }
    }

    /// The token awaited.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Future for Cancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let polled = self.get_mut().poll_token(cx);
        if polled.is_pending() {
            crate::task::record_waiting(crate::task::waiting::WaitWord::token());
        }
        polled
    }
}

impl Cancelled {
    fn poll_token(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let this = self;
        let Some(inner) = this.token.inner() else {
            return Poll::Pending;
        };
        loop {
            if inner.is_cancellation_requested() {
                return Poll::Ready(());
            }
            if let Some(key) = this.key {
                // Still listed (no cancellation, checked above; no reset
                // since) with the same waker: nothing to update.
                if let Some((w, resets)) = &this.listed {
                    if *resets == inner.resets() && w.will_wake(cx.waker()) {
                        return Poll::Pending;
                    }
                }
                let resets = inner.resets();
                if inner.update_waker(key, cx.waker()) {
                    this.listed = Some((cx.waker().clone(), resets));
                    return Poll::Pending;
                }
                // No longer listed: cancellation took it (seen at the top of
                // the loop), or the source was reset (register again).
                this.key = None;
                this.listed = None;
                continue;
            }
            let resets = inner.resets();
            return match inner.register(Callback::Waker(cx.waker().clone())) {
                Registered::Listed(key) => {
                    this.key = Some(key);
                    this.listed = Some((cx.waker().clone(), resets));
                    Poll::Pending
                }
                Registered::Canceled(_) => Poll::Ready(()),
                // The source is gone: it can never be cancelled.
                Registered::Disposed(_) => Poll::Pending,
            };
        }
    }
}

impl Drop for Cancelled {
    fn drop(&mut self) {
        if let (Some(key), Some(inner)) = (self.key.take(), self.token.inner()) {
            inner.unregister(key);
        }
    }
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancelled")
            .field("token", &self.token)
            .field("registered", &self.key.is_some())
            .finish()
    }
}

pin_project_lite::pin_project! {
    /// Runs a future until it completes or a token is cancelled. Made by
    /// [`CancellationToken::run_until_cancelled`] and [`with_cancellation`].
    /// C#: an async method given a token it honours.
    #[must_use = "futures do nothing unless polled"]
    pub struct RunUntilCancelled<F> {
        #[pin]
        future: F,
        cancelled: Cancelled,
    }
}

impl<F> RunUntilCancelled<F> {
    pub(crate) fn new(future: F, token: CancellationToken) -> Self {
        RunUntilCancelled {
            future,
            cancelled: Cancelled::new(token),
        }
    }

    /// The token that stops the future.
    pub fn token(&self) -> &CancellationToken {
        &self.cancelled.token
    }
}

impl<F: Future> Future for RunUntilCancelled<F> {
    type Output = Result<F::Output, CanceledError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let canceled = |c: &Cancelled| CanceledError::with_token(c.token.clone());
        // Cancellation first: an already-cancelled token never polls the work.
        if this.cancelled.token.is_cancellation_requested() {
            return Poll::Ready(Err(canceled(this.cancelled)));
        }
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(&mut *this.cancelled).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(canceled(this.cancelled))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for RunUntilCancelled<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntilCancelled")
            .field("token", &self.cancelled.token)
            .finish_non_exhaustive()
    }
}

/// Runs `future` until it completes (`Ok`) or `token` is cancelled (`Err`
/// with a [`CanceledError`] carrying the token). Same as
/// [`CancellationToken::run_until_cancelled`]. C#: passing the token to an
/// async method that honours it.
pub fn with_cancellation<F: Future>(future: F, token: &CancellationToken) -> RunUntilCancelled<F> {
    token.run_until_cancelled(future)
}

/// Waits for a task, or until a token is cancelled. Made by
/// [`Task::wait_async`]. C#: the task `Task.WaitAsync(CancellationToken)`
/// returns.
#[must_use = "futures do nothing unless polled"]
pub struct WaitAsync<T> {
    task: crate::task::Shared<T>,
    cancelled: Cancelled,
}

impl<T: Clone> Task<T> {
    /// Awaits this task, but stops waiting (with a [`TaskError::Canceled`]
    /// carrying `token`) as soon as `token` is cancelled. The task itself
    /// goes on; only this wait ends. A task already complete wins over a
    /// cancelled token. C#: `Task.WaitAsync(CancellationToken)`.
    ///
    /// ```
    /// use tasklane::{CancellationTokenSource, TaskCompletionSource, block_on};
    /// let never = TaskCompletionSource::<u8>::new();
    /// let cts = CancellationTokenSource::new();
    /// let token = cts.token();
    /// std::thread::spawn(move || cts.cancel().unwrap());
    /// let r = block_on(never.task().wait_async(&token));
    /// assert!(r.unwrap_err().is_canceled());
    /// ```
    pub fn wait_async(&self, token: &CancellationToken) -> WaitAsync<T> {
        WaitAsync {
            // The wait reads a clone: the task stays readable for others.
            task: std::future::IntoFuture::into_future(self),
            cancelled: Cancelled::new(token.clone()),
        }
    }
}

impl<T: Clone> Future for WaitAsync<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let canceled =
            |t: &CancellationToken| TaskError::Canceled(CanceledError::with_token(t.clone()));
        if !this.task.is_completed() && this.cancelled.token.is_cancellation_requested() {
            return Poll::Ready(Err(canceled(&this.cancelled.token)));
        }
        if let Poll::Ready(r) = Pin::new(&mut this.task).poll(cx) {
            return Poll::Ready(r);
        }
        match Pin::new(&mut this.cancelled).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(canceled(&this.cancelled.token))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> fmt::Debug for WaitAsync<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitAsync")
            .field("task", &self.task)
            .field("token", &self.cancelled.token)
            .finish()
    }
}
