//! Loom models of the readiness protocol (`reactor/README.md`, rules R1 and
//! R2): a waiter never sleeps through an event, and a clear based on an old
//! event never erases a newer one.

use super::ready::{Interest, Ready};
use super::scheduled_io::{ScheduledIo, Slot};
use crate::loom::sync::Arc;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

/// Wakes the blocked loom thread (a notification before the wait is kept).
struct Notify(loom::sync::Notify);

impl Wake for Notify {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.notify();
    }
}

/// Polls `f` on this loom thread, parking between polls; loom reports a
/// deadlock if no wake ever comes.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let notify = std::sync::Arc::new(Notify(loom::sync::Notify::new()));
    let waker = Waker::from(notify.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        notify.0.wait();
    }
}

/// Publishes an event the way the I/O thread does: set, then wake outside
/// the waiters lock.
fn reactor_event(io: &ScheduledIo, ready: Ready) {
    let mut wake = Vec::new();
    io.set_readiness(ready, &mut wake);
    wake.into_iter().for_each(|w| w.wake());
}

/// Waits for `interest` the way an operation does; loom reports a deadlock
/// if the waker is lost.
fn wait(io: &ScheduledIo, interest: Interest, slot: &mut Slot) -> super::ReadyEvent {
    block_on(poll_fn(|cx| io.poll_ready(cx, interest, slot)))
}

#[test]
fn waiter_never_misses_an_event() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new(Ready::EMPTY));
        let reactor = {
            let io = io.clone();
            loom::thread::spawn(move || reactor_event(&io, Ready::READABLE))
        };
        let ev = wait(&io, Interest::Read, &mut Slot::Reader);
        assert_eq!(ev.ready, Ready::READABLE);
        reactor.join().unwrap();
    });
}

#[test]
fn stale_clear_never_erases_a_newer_event() {
    loom::model(|| {
        // The socket was readable; the operation took that event, its
        // syscall said WouldBlock, and it clears — while new data arrives.
        let io = Arc::new(ScheduledIo::new(Ready::READABLE));
        let reactor = {
            let io = io.clone();
            loom::thread::spawn(move || reactor_event(&io, Ready::READABLE))
        };
        let mut slot = Slot::Reader;
        let first = wait(&io, Interest::Read, &mut slot);
        io.clear_readiness(first);
        // The new event must still end this wait (from the kept bit or a
        // wake), whichever way the two threads interleaved.
        let second = wait(&io, Interest::Read, &mut slot);
        assert_eq!(second.ready, Ready::READABLE);
        reactor.join().unwrap();
    });
}

#[test]
fn keyed_waiters_are_all_woken_and_a_removed_one_is_not_kept() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new(Ready::EMPTY));
        let other = {
            let io = io.clone();
            loom::thread::spawn(move || {
                let mut slot = Slot::Keyed(None);
                wait(&io, Interest::Write, &mut slot);
                io.remove_waiter(&slot);
            })
        };
        let reactor = {
            let io = io.clone();
            loom::thread::spawn(move || reactor_event(&io, Ready::WRITABLE))
        };
        let mut slot = Slot::Keyed(None);
        let ev = wait(&io, Interest::Write, &mut slot);
        io.remove_waiter(&slot);
        assert_eq!(ev.ready, Ready::WRITABLE);
        other.join().unwrap();
        reactor.join().unwrap();
    });
}

#[test]
fn shutdown_ends_every_wait() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new(Ready::EMPTY));
        let closer = {
            let io = io.clone();
            loom::thread::spawn(move || {
                let mut wake = Vec::new();
                io.shutdown(&mut wake);
                wake.into_iter().for_each(|w| w.wake());
            })
        };
        let ev = block_on(poll_fn(|cx| {
            match io.poll_ready(cx, Interest::Read, &mut Slot::Reader) {
                Poll::Ready(ev) => Poll::Ready(ev),
                Poll::Pending => Poll::Pending,
            }
        }));
        assert!(ev.is_shutdown);
        closer.join().unwrap();
    });
}
