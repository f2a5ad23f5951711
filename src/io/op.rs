//! The futures of waiting socket operations, and `WithCancel`: the one
//! wrapper that gives any of them a cancellation token and a deadline.
//!
//! Two shapes of operation wait on the reactor, and both make their syscall
//! only inside the `poll` that returns its result:
//! - `Op`: an operation any number of tasks may run on one socket at once
//!   (`&self`: accept, UDP send and receive, readiness waits), its waiter
//!   keyed and removed when it drops;
//! - a stream's reads and writes (`&mut self`, `AsyncRead`/`AsyncWrite`,
//!   the split halves), through the socket's single reader or writer slot
//!   (`PollEvented::poll_transfer`).
//!
//! # Cancellation and deadlines
//!
//! Dropping either is a clean cancellation: nothing read, accepted or
//! received is lost between polls, and no waiter stays behind that matters,
//! so the socket stays usable (reactor README, rule R4).
//! `TcpStream::connect` has the same property (its future owns the
//! half-open socket and closes it when dropped).
//!
//! So the token and the deadline are a wrapper around any of these
//! futures, written once, here: [`WithCancel`] polls the operation, then
//! the token's `cancelled()` future and a `time::Delay`, and ends with
//! [`canceled`] (an `io::Error` whose inner error is the
//! [`CanceledError`] carrying the token) or [`timed_out`]
//! (`ErrorKind::TimedOut`). The public `*_with_token` / `*_timeout`
//! methods (`TcpStream::connect_timeout`, `TcpListener::accept_with_token`,
//! `UdpSocket::recv_from_with_token`, …) are one-line calls to it.

use super::poll_evented::PollEvented;
use super::reactor::{Interest, Slot};
use crate::cancel::{CancellationToken, Cancelled};
use crate::task::CanceledError;
use crate::time::{Delay, Elapsed};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A shared (`&self`) socket operation in flight: wait for `interest`, run
/// `f`, repeat on `WouldBlock`.
pub(crate) struct Op<'a, E: mio::event::Source, T, F: FnMut(&E) -> io::Result<T>> {
    io: &'a PollEvented<E>,
    interest: Interest,
    slot: Slot,
    f: F,
}

impl<'a, E, T, F> Op<'a, E, T, F>
where
    E: mio::event::Source,
    F: FnMut(&E) -> io::Result<T>,
{
    /// An operation on a socket that any number of tasks may use at once
    /// (`&self` methods): its waiter is keyed, and removed when it drops.
    pub(crate) fn shared(io: &'a PollEvented<E>, interest: Interest, f: F) -> Self {
        Op {
            io,
            interest,
            slot: Slot::Keyed(None),
            f,
        }
    }
}

impl<E, T, F> Future for Op<'_, E, T, F>
where
    E: mio::event::Source,
    F: FnMut(&E) -> io::Result<T> + Unpin,
{
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = self.get_mut();
        this.io
            .poll_io(cx, this.interest, &mut this.slot, &mut this.f)
    }
}

impl<E, T, F> Drop for Op<'_, E, T, F>
where
    E: mio::event::Source,
    F: FnMut(&E) -> io::Result<T>,
{
    fn drop(&mut self) {
        self.io.remove_waiter(&self.slot);
    }
}

pin_project_lite::pin_project! {
    /// Runs a waiting I/O future until it completes, its token is
    /// cancelled, or its deadline passes, whichever comes first.
    ///
    /// Order within one poll: an already-cancelled token wins without
    /// polling the operation (no syscall is made, as .NET's `ReadAsync`
    /// with a cancelled token starts nothing); otherwise the operation is
    /// polled first, so a result it produced is never thrown away; then the
    /// token, then the deadline. Dropping the operation is what cancels it
    /// (rule R4), so the socket stays usable.
    #[must_use = "futures do nothing unless polled"]
    pub(crate) struct WithCancel<F> {
        #[pin]
        op: F,
        cancelled: Option<Cancelled>,
        delay: Option<Delay>,
    }
}

impl<F> WithCancel<F> {
    /// `op`, ending Canceled when `token` fires. `CancellationToken::none()`
    /// costs nothing: no registration is made for it.
    pub(crate) fn token(op: F, token: &CancellationToken) -> Self {
        WithCancel {
            op,
            cancelled: token.can_be_canceled().then(|| token.cancelled()),
            delay: None,
        }
    }

    /// `op`, ending `TimedOut` after `timeout`. The timer is armed only if
    /// the operation has to wait.
    pub(crate) fn timeout(op: F, timeout: Duration) -> Self {
        WithCancel {
            op,
            cancelled: None,
            delay: Some(crate::time::delay(timeout)),
        }
    }
}

impl<F, T> Future for WithCancel<F>
where
    F: Future<Output = io::Result<T>>,
{
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = self.project();
        if let Some(c) = this.cancelled.as_ref() {
            if c.token().is_cancellation_requested() {
                return Poll::Ready(Err(canceled(c.token())));
            }
        }
        if let Poll::Ready(r) = this.op.poll(cx) {
            return Poll::Ready(r);
        }
        if let Some(c) = this.cancelled.as_mut() {
            if Pin::new(&mut *c).poll(cx).is_ready() {
                return Poll::Ready(Err(canceled(c.token())));
            }
        }
        if let Some(d) = this.delay.as_mut() {
            if Pin::new(d).poll(cx).is_ready() {
                return Poll::Ready(Err(timed_out()));
            }
        }
        Poll::Pending
    }
}

/// The error a cancelled operation ends with: kind `Other`, inner error the
/// [`CanceledError`] carrying `token` (so `Task::try_run_async` and
/// [`crate::io::as_canceled`] recognise it). Not `Interrupted`: retry loops
/// (std's and futures' `read_exact`, `write_all`) retry that kind.
pub(crate) fn canceled(token: &CancellationToken) -> io::Error {
    io::Error::other(CanceledError::with_token(token.clone()))
}

/// The error an operation whose deadline passed ends with: kind
/// `TimedOut`, inner error [`Elapsed`].
pub(crate) fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, Elapsed::new())
}
