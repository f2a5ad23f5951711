//! `timeout`: run a future with a deadline.

use super::delay::{Delay, deadline_after, delay_until};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The deadline of a [`timeout`] passed before its future completed. C#:
/// `TimeoutException` (from `Task.WaitAsync(TimeSpan)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the deadline passed before the operation completed")
    }
}

impl Error for Elapsed {}

pin_project_lite::pin_project! {
    /// Runs a future until it completes or a deadline passes. Made by
    /// [`timeout`] and [`timeout_at`]. The future is polled first, so one
    /// that is ready never costs a timer. C#: the task
    /// `task.WaitAsync(TimeSpan)` returns.
    #[must_use = "futures do nothing unless polled"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        delay: Delay,
    }
}

/// Runs `future`, giving up with [`Elapsed`] after `duration` (the future is
/// then dropped). C#: `task.WaitAsync(TimeSpan)`.
///
/// ```
/// use std::time::Duration;
/// use tasklane::time::timeout;
/// let r = tasklane::block_on(timeout(Duration::from_millis(10), std::future::pending::<()>()));
/// assert!(r.is_err());
/// let r = tasklane::block_on(timeout(Duration::from_secs(5), async { 7 }));
/// assert_eq!(r, Ok(7));
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    timeout_at(deadline_after(duration), future)
}

/// Runs `future`, giving up with [`Elapsed`] at `deadline`. C#:
/// `task.WaitAsync` with the time left until `deadline`.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        delay: delay_until(deadline),
    }
}

impl<F> Timeout<F> {
    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }

    /// The wrapped future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// Takes the wrapped future back.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(this.delay).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.delay.deadline())
            .finish_non_exhaustive()
    }
}
