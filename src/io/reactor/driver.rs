//! Who drives the reactor: a dedicated I/O thread that sleeps in
//! `epoll_wait` and wakes the tasks whose sockets became ready (.NET's
//! `SocketAsyncEngine` design; the README gives the measurements behind the
//! choice).

use super::{Reactor, ReactorSettings, Slab, WAKE_TOKEN};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::AtomicBool;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::task::Waker;

type StartResult = Result<&'static Reactor, (io::ErrorKind, String)>;

static GLOBAL: OnceLock<StartResult> = OnceLock::new();

/// The process-wide reactor, started on first use.
pub(super) fn global() -> io::Result<&'static Reactor> {
    match GLOBAL.get_or_init(start) {
        Ok(r) => Ok(r),
        Err((kind, msg)) => Err(io::Error::new(*kind, msg.clone())),
    }
}

fn failed(what: &'static str) -> impl Fn(io::Error) -> (io::ErrorKind, String) {
    move |e| {
        (
            e.kind(),
            format!("tasklane reactor could not start: {what} failed: {e}"),
        )
    }
}

fn start() -> StartResult {
    let settings = ReactorSettings::default();
    let poll = mio::Poll::new().map_err(failed("creating the epoll instance"))?;
    let registry = poll
        .registry()
        .try_clone()
        .map_err(failed("cloning the epoll registry"))?;
    let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)
        .map_err(failed("creating the reactor's eventfd"))?;
    // The reactor lives as long as the process, as .NET's socket engine.
    let reactor: &'static Reactor = Box::leak(Box::new(Reactor {
        registry,
        slab: Mutex::new(Slab::default()),
        waker,
        stopped: AtomicBool::new(false),
    }));
    let events = settings.events_per_turn;
    std::thread::Builder::new()
        .name(settings.thread_name.to_owned())
        .stack_size(settings.stack_size)
        .spawn(move || run(reactor, poll, events))
        .map_err(failed("starting the I/O thread"))?;
    Ok(reactor)
}

/// The I/O thread: wait for readiness, publish it, wake the waiters.
fn run(reactor: &'static Reactor, mut poll: mio::Poll, capacity: usize) {
    let mut events = mio::Events::with_capacity(capacity);
    let mut wake: Vec<Waker> = Vec::with_capacity(capacity);
    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // epoll_wait only fails on a broken epoll fd: nothing can be
                // waited for any more, so end every wait with an error.
                tracing::error!(error = %e, "tasklane reactor: epoll_wait failed; stopping I/O");
                reactor.stop();
                return;
            }
        }
        reactor.dispatch(&events, &mut wake);
        wake_all(&mut wake);
    }
}

/// Wakes every collected waker. A panicking waker (user code) is logged and
/// skipped: it must not take the I/O thread, and every other socket, down.
pub(super) fn wake_all(wake: &mut Vec<Waker>) {
    for w in wake.drain(..) {
        if catch_unwind(AssertUnwindSafe(|| w.wake())).is_err() {
            tracing::error!("tasklane reactor: a waker panicked; continuing");
        }
    }
}

/// The reactor, if something already started it.
pub(super) fn started() -> Option<&'static Reactor> {
    GLOBAL.get().and_then(|r| r.as_ref().ok().copied())
}
