//! The signal handler and its pipe. Handler (async-signal-safe): count the
//! delivery, write one byte. Waiters: compare the count with the one they
//! started from; when equal, wait for the pipe to be readable, drain it,
//! and look again.

use super::SignalKind;
use crate::io::poll_evented::PollEvented;
use crate::io::reactor::{Interest, Slot as WaiterSlot};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering::SeqCst};
use std::task::{Context, Poll, ready};

/// Deliveries seen by the handler, per signal (index = `slot(kind)`). Plain
/// std atomics: the handler must touch nothing else.
static DELIVERED: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
/// The pipe's write end, for the handler (-1 before the pipe exists).
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);

type Shared<T> = Result<T, (io::ErrorKind, String)>;

struct Pipe {
    rx: PollEvented<mio::unix::pipe::Receiver>,
    /// Kept open for the process's lifetime: the handler writes to it.
    _tx: mio::unix::pipe::Sender,
}

static PIPE: OnceLock<Shared<Pipe>> = OnceLock::new();
static INSTALLED: [OnceLock<Shared<()>>; 2] = [OnceLock::new(), OnceLock::new()];

fn index(kind: SignalKind) -> usize {
    match kind {
        SignalKind::Interrupt => 0,
        SignalKind::Terminate => 1,
    }
}

fn signum(kind: SignalKind) -> libc::c_int {
    match kind {
        SignalKind::Interrupt => libc::SIGINT,
        SignalKind::Terminate => libc::SIGTERM,
    }
}

fn shared_err(e: &(io::ErrorKind, String)) -> io::Error {
    io::Error::new(e.0, e.1.clone())
}

fn pipe() -> io::Result<&'static Pipe> {
    let p = PIPE.get_or_init(|| {
        let (tx, rx) =
            mio::unix::pipe::new().map_err(|e| (e.kind(), format!("signal pipe: {e}")))?;
        let rx = PollEvented::new_process_wide(rx)
            .map_err(|e| (e.kind(), format!("signal pipe: {e}")))?;
        WRITE_FD.store(tx.as_raw_fd(), SeqCst);
        Ok(Pipe { rx, _tx: tx })
    });
    p.as_ref().map_err(shared_err)
}

fn install(kind: SignalKind) -> io::Result<()> {
    pipe()?;
    let i = index(kind);
    let r = INSTALLED[i].get_or_init(|| {
        let action = move || {
            DELIVERED[i].fetch_add(1, SeqCst);
            let fd = WRITE_FD.load(SeqCst);
            if fd >= 0 {
                let byte = 1u8;
                // SAFETY: writes one byte from a live stack variable to a
                // pipe fd that stays open for the process's lifetime; write
                // is async-signal-safe. A full pipe (EAGAIN) is fine: a
                // wake-up is already pending.
                unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
            }
        };
        // SAFETY: the action only does an atomic add, an atomic load and
        // write(2): all async-signal-safe, no allocation, no lock.
        unsafe { signal_hook_registry::register(signum(kind), action) }
            .map(drop)
            .map_err(|e| (e.kind(), format!("installing the {kind:?} handler: {e}")))
    });
    r.as_ref().map(|_| ()).map_err(shared_err)
}

/// One future's wait for one signal.
pub(super) struct Waiting {
    pub(super) kind: SignalKind,
    start: u64,
    slot: WaiterSlot,
}

impl Waiting {
    pub(super) fn start(kind: SignalKind) -> io::Result<Waiting> {
        install(kind)?;
        Ok(Waiting {
            kind,
            start: DELIVERED[index(kind)].load(SeqCst),
            slot: WaiterSlot::Keyed(None),
        })
    }

    fn delivered(&self) -> bool {
        DELIVERED[index(self.kind)].load(SeqCst) != self.start
    }

    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let rx = &pipe()?.rx;
        loop {
            if self.delivered() {
                rx.remove_waiter(&self.slot);
                return Poll::Ready(Ok(()));
            }
            let ev = ready!(rx.poll_ready(cx, Interest::Read, &mut self.slot))?;
            // Drain the pipe; the counters, not the bytes, say what came.
            let mut buf = [0u8; 64];
            loop {
                match rx.io().read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        rx.clear_readiness(ev);
                        break;
                    }
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
        }
    }

    pub(super) fn cancel(&self) {
        if let Ok(p) = pipe() {
            p.rx.remove_waiter(&self.slot);
        }
    }
}
