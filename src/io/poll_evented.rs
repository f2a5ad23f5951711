//! `PollEvented`: a mio socket registered with the reactor, and the one
//! loop every socket operation runs — wait for readiness, try the syscall,
//! clear the readiness it proved stale, repeat.

use super::reactor::{self, Interest, Reactor, Ready, ReadyEvent, ScheduledIo, Slot};
use crate::loom::sync::Arc;
use std::io;
use std::task::{Context, Poll, ready};

/// A registered mio source. Dropping it deregisters the source and closes
/// it.
pub(crate) struct PollEvented<E: mio::event::Source> {
    /// Always `Some` until `into_inner` or drop.
    io: Option<E>,
    token: mio::Token,
    /// The source's descriptor, for diagnostics (what a task waits on).
    fd: i32,
    shared: Arc<ScheduledIo>,
    reactor: std::sync::Arc<Reactor>,
}

impl<E: mio::event::Source + std::os::fd::AsRawFd> PollEvented<E> {
    /// Registers `io`, assuming it readable and writable until the first
    /// event says otherwise (an accepted or bound socket: the first
    /// operation tries the syscall at once instead of waiting a trip
    /// through the I/O thread).
    pub(crate) fn new(io: E) -> io::Result<Self> {
        Self::with_initial(io, Ready::READABLE.union(Ready::WRITABLE))
    }

    /// Registers `io` with no readiness assumed (a connect in progress:
    /// its first writable event is the connect's outcome).
    pub(crate) fn new_pending(io: E) -> io::Result<Self> {
        Self::with_initial(io, Ready::EMPTY)
    }

    /// Registers `io` with the process's default runtime's reactor, which
    /// never shuts down (for process-wide sources).
    pub(crate) fn new_process_wide(io: E) -> io::Result<Self> {
        Self::register(
            io,
            Ready::READABLE.union(Ready::WRITABLE),
            reactor::process_wide()?,
        )
    }

    fn with_initial(io: E, initial: Ready) -> io::Result<Self> {
        Self::register(io, initial, reactor::current()?)
    }

    fn register(mut io: E, initial: Ready, reactor: std::sync::Arc<Reactor>) -> io::Result<Self> {
        let reg = reactor.register(&mut io, initial)?;
        Ok(PollEvented {
            fd: io.as_raw_fd(),
            io: Some(io),
            token: reg.token,
            shared: reg.io,
            reactor,
        })
    }
}

impl<E: mio::event::Source> PollEvented<E> {
    /// The mio source.
    pub(crate) fn io(&self) -> &E {
        self.io
            .as_ref()
            .expect("PollEvented holds its source until drop")
    }

    /// Waits for readiness in `interest`; the waker goes to `slot`.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        slot: &mut Slot,
    ) -> Poll<io::Result<ReadyEvent>> {
        let polled = self.shared.poll_ready(cx, interest, slot);
        if polled.is_pending() {
            crate::task::record_waiting(crate::task::waiting::WaitWord::socket(
                self.fd,
                interest == Interest::Write,
            ));
        }
        let ev = ready!(polled);
        if ev.is_shutdown {
            return Poll::Ready(Err(reactor::reactor_gone()));
        }
        Poll::Ready(Ok(ev))
    }

    /// The syscall returned `WouldBlock` after `event`.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.shared.clear_readiness(event);
    }

    /// Runs `f` (a non-blocking syscall) once readiness allows, until it
    /// returns anything but `WouldBlock`. Its result is returned in the same
    /// poll that made the syscall, so dropping the operation between polls
    /// never loses data: the socket stays usable after a cancellation.
    pub(crate) fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        slot: &mut Slot,
        mut f: impl FnMut(&E) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        loop {
            let ev = ready!(self.poll_ready(cx, interest, slot))?;
            match f(self.io()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(ev),
                r => return Poll::Ready(r),
            }
        }
    }

    /// [`poll_io`](Self::poll_io) for a read or write of up to `len` bytes
    /// on a stream socket. A transfer shorter than `len` proves the
    /// kernel's buffer drained (a read) or filled up (a write), so the
    /// readiness it saw is cleared at once: the next call waits for the
    /// next event instead of making a syscall that only says `WouldBlock`
    /// (Tokio does the same). Sound with edge-triggered epoll: data or
    /// space that comes later is a new event, and a clear never erases a
    /// newer one (rule R2); closed bits are never cleared (rule R3).
    pub(crate) fn poll_transfer(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        slot: &mut Slot,
        len: usize,
        mut f: impl FnMut(&E) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let ev = ready!(self.poll_ready(cx, interest, slot))?;
            match f(self.io()) {
                Ok(n) if n > 0 && n < len => {
                    self.clear_readiness(ev);
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(ev),
                r => return Poll::Ready(r),
            }
        }
    }

    /// Tries `f` once without waiting: `WouldBlock` if the socket is not
    /// ready (C#: the `Socket.Receive` non-blocking mode).
    pub(crate) fn try_io<T>(
        &self,
        interest: Interest,
        f: impl FnOnce(&E) -> io::Result<T>,
    ) -> io::Result<T> {
        let Some(ev) = self.shared.ready_now(interest) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        if ev.is_shutdown {
            return Err(reactor::reactor_gone());
        }
        let r = f(self.io());
        if matches!(&r, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.clear_readiness(ev);
        }
        r
    }

    /// A keyed operation ended or was dropped.
    pub(crate) fn remove_waiter(&self, slot: &Slot) {
        self.shared.remove_waiter(slot);
    }

    /// Deregisters and gives back the mio source.
    pub(crate) fn into_inner(mut self) -> E {
        let mut io = self
            .io
            .take()
            .expect("PollEvented holds its source until drop");
        self.reactor.deregister(&mut io, self.token);
        io
    }
}

impl<E: mio::event::Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            self.reactor.deregister(&mut io, self.token);
        }
    }
}

impl<E: mio::event::Source + std::fmt::Debug> std::fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PollEvented").field(&self.io).finish()
    }
}
