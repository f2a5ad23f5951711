//! `Op`: the one future every waiting socket operation is. Each public
//! `async fn` of `net` builds an `Op` from a direction and a non-blocking
//! syscall, so cancellation and timeouts have a single place to plug in.
//!
//! # Cancellation and deadlines (phase 2 of issue 7)
//!
//! Dropping a socket future is already a clean cancellation: an `Op`'s
//! syscall result is only ever produced inside the `poll` that returns it
//! (so nothing read, accepted or received is lost between polls), and its
//! `Drop` removes its waiter, so the socket stays usable (reactor README,
//! rule R4). `TcpStream::connect` has the same property (its future owns the
//! half-open socket and closes it when dropped).
//!
//! That makes the token and the deadline a wrapper around any of these
//! futures, written once, here: a `WithCancel<F>` future (phase 2) that
//! polls `F`, then the token's `cancelled()` future and a `time::Delay`,
//! ending with a canceled error or `ErrorKind::TimedOut`. The public
//! `*_with_token` / `*_timeout` methods (`TcpStream::connect_timeout`,
//! `TcpListener::accept_with_token`, `UdpSocket::recv_from_with_token`, …)
//! are one-line calls to it.

use super::poll_evented::PollEvented;
use super::reactor::{Interest, Slot};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A socket operation in flight: wait for `interest`, run `f`, repeat on
/// `WouldBlock`.
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

    /// An operation through an exclusive borrow (`&mut self` reads or
    /// writes): it uses the direction's single waker slot.
    pub(crate) fn exclusive(io: &'a PollEvented<E>, interest: Interest, f: F) -> Self {
        let slot = match interest {
            Interest::Read => Slot::Reader,
            Interest::Write => Slot::Writer,
        };
        Op {
            io,
            interest,
            slot,
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
