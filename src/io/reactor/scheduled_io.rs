//! One registered socket's readiness and its waiters: the atomic protocol
//! between the reactor (which sets readiness and wakes) and operations
//! (which wait for readiness, try the syscall, and clear what turned out to
//! be stale). The rules and the proof are in `reactor/README.md`.

use super::ready::{Interest, Ready};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use std::task::{Context, Poll, Waker};

/// Set once the socket is deregistered or the reactor is gone: every wait
/// ends at once and operations report [`super::reactor_gone`].
const SHUTDOWN: usize = 1 << 5;
/// The event counter lives above this shift; it changes on every event, so
/// a clear based on an older event cannot erase a newer one (rule R2).
const TICK_SHIFT: usize = 16;
const LOW_MASK: usize = (1 << TICK_SHIFT) - 1;

/// A readiness the operation saw, with the event count it came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReadyEvent {
    pub(crate) ready: Ready,
    tick: usize,
    pub(crate) is_shutdown: bool,
}

/// Where a waiting operation keeps its waker.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The single reader (`&mut` reads: `AsyncRead`, the read half).
    Reader,
    /// The single writer (`&mut` writes: `AsyncWrite`, the write half).
    Writer,
    /// One of any number of `&self` operations (accept, UDP send/receive),
    /// with its key once registered. Its owner calls
    /// [`ScheduledIo::remove_waiter`] when dropped.
    Keyed(Option<u64>),
}

#[derive(Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
    keyed: Vec<(u64, Interest, Waker)>,
    next_key: u64,
}

/// Readiness word plus waiters of one registered socket.
pub(crate) struct ScheduledIo {
    /// `ready bits | SHUTDOWN | tick << TICK_SHIFT`.
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

impl ScheduledIo {
    /// A socket assumed `initial`-ready until its first event.
    pub(crate) fn new(initial: Ready) -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(initial.bits()),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// Reactor: an event arrived. Adds its bits and advances the tick, then
    /// moves the wakers it satisfies into `wake` (woken by the caller once
    /// it holds no lock).
    pub(crate) fn set_readiness(&self, ready: Ready, wake: &mut Vec<Waker>) {
        // Step D1: publish readiness before looking at waiters (rule R1).
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            let tick = (cur >> TICK_SHIFT).wrapping_add(1);
            let low = (cur & LOW_MASK) | ready.bits();
            Some((tick << TICK_SHIFT) | low)
        });
        // Step D2: take every waiter the new bits satisfy.
        self.take_wakers(ready, wake);
    }

    /// Socket deregistered or reactor gone: every wait ends now.
    pub(crate) fn shutdown(&self, wake: &mut Vec<Waker>) {
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        self.take_wakers(Ready::ALL, wake);
    }

    fn take_wakers(&self, ready: Ready, wake: &mut Vec<Waker>) {
        let mut w = crate::loom::lock(&self.waiters);
        if ready.intersects(Interest::Read.mask()) {
            wake.extend(w.reader.take());
        }
        if ready.intersects(Interest::Write.mask()) {
            wake.extend(w.writer.take());
        }
        let mut i = 0;
        while i < w.keyed.len() {
            if ready.intersects(w.keyed[i].1.mask()) {
                wake.push(w.keyed.swap_remove(i).2);
            } else {
                i += 1;
            }
        }
    }

    fn event_for(cur: usize, interest: Interest) -> Option<ReadyEvent> {
        let ready = Ready::from_bits(cur).intersection(interest.mask());
        let is_shutdown = cur & SHUTDOWN != 0;
        (!ready.is_empty() || is_shutdown).then_some(ReadyEvent {
            ready,
            tick: cur >> TICK_SHIFT,
            is_shutdown,
        })
    }

    /// The readiness for `interest` now, if any (no waker stored).
    pub(crate) fn ready_now(&self, interest: Interest) -> Option<ReadyEvent> {
        Self::event_for(self.readiness.load(Acquire), interest)
    }

    /// Operation: Ready with the readiness for `interest`, or Pending with
    /// the task's waker stored in `slot` so the next event wakes it.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        slot: &mut Slot,
    ) -> Poll<ReadyEvent> {
        // Step W1: the fast path, no lock.
        if let Some(ev) = self.ready_now(interest) {
            return Poll::Ready(ev);
        }
        // Step W2: store the waker under the lock ... (a replaced waker is
        // dropped only after the lock is released: dropping one may free a
        // task whose output closes another socket, which takes the slab
        // lock, and the reactor takes the slab lock before this one).
        let mut w = crate::loom::lock(&self.waiters);
        let waiters = &mut *w;
        let replaced = match slot {
            Slot::Reader => store(&mut waiters.reader, cx.waker()),
            Slot::Writer => store(&mut waiters.writer, cx.waker()),
            Slot::Keyed(Some(key)) => match waiters.keyed.iter_mut().find(|e| e.0 == *key) {
                Some(e) if e.2.will_wake(cx.waker()) => None,
                Some(e) => Some(std::mem::replace(&mut e.2, cx.waker().clone())),
                // Woken (and removed) since: register again, same key.
                None => {
                    waiters.keyed.push((*key, interest, cx.waker().clone()));
                    None
                }
            },
            Slot::Keyed(key @ None) => {
                let k = waiters.next_key;
                waiters.next_key += 1;
                waiters.keyed.push((k, interest, cx.waker().clone()));
                *key = Some(k);
                None
            }
        };
        // Step W3: ... and look again while holding it (rule R1: an event
        // published before D2 took the lock is seen here; one after it
        // finds the waker).
        let r = match Self::event_for(self.readiness.load(Acquire), interest) {
            Some(ev) => Poll::Ready(ev),
            None => Poll::Pending,
        };
        drop(w);
        drop(replaced);
        r
    }

    /// Operation: the syscall said `WouldBlock` after `event`: clear the
    /// bits it saw, unless a newer event arrived meanwhile (rule R2).
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let clear = event.ready.clearable().bits();
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            ((cur >> TICK_SHIFT) == event.tick).then_some(cur & !clear)
        });
    }

    /// A keyed operation ends or is dropped: forget its waker.
    pub(crate) fn remove_waiter(&self, slot: &Slot) {
        if let Slot::Keyed(Some(key)) = slot {
            let mut w = crate::loom::lock(&self.waiters);
            let removed = w
                .keyed
                .iter()
                .position(|e| e.0 == *key)
                .map(|i| w.keyed.swap_remove(i));
            // Dropped after the lock (see W2).
            drop(w);
            drop(removed);
        }
    }
}

/// Stores `waker` in `slot`, giving back the one it replaces (to be dropped
/// outside the lock).
fn store(slot: &mut Option<Waker>, waker: &Waker) -> Option<Waker> {
    match slot {
        Some(w) if w.will_wake(waker) => None,
        _ => slot.replace(waker.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize as StdUsize;
    use std::task::Wake;

    struct Count(StdUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn pending_then_woken_by_matching_event_only() {
        let io = ScheduledIo::new(Ready::EMPTY);
        let count = Arc::new(Count(StdUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut slot = Slot::Reader;
        assert!(
            io.poll_ready(&mut cx, Interest::Read, &mut slot)
                .is_pending()
        );
        let mut wake = Vec::new();
        io.set_readiness(Ready::WRITABLE, &mut wake);
        assert!(wake.is_empty(), "a write event does not wake a reader");
        io.set_readiness(Ready::READABLE, &mut wake);
        assert_eq!(wake.len(), 1);
        wake.drain(..).for_each(Waker::wake);
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        let ev = match io.poll_ready(&mut cx, Interest::Read, &mut slot) {
            Poll::Ready(ev) => ev,
            Poll::Pending => panic!("readable"),
        };
        assert_eq!(ev.ready, Ready::READABLE);
    }

    #[test]
    fn stale_clear_keeps_newer_event() {
        let io = ScheduledIo::new(Ready::EMPTY);
        let mut wake = Vec::new();
        io.set_readiness(Ready::READABLE, &mut wake);
        let old = io.ready_now(Interest::Read).expect("readable");
        io.set_readiness(Ready::READABLE, &mut wake);
        io.clear_readiness(old);
        assert!(io.ready_now(Interest::Read).is_some(), "newer event kept");
        let new = io.ready_now(Interest::Read).expect("readable");
        io.clear_readiness(new);
        assert!(io.ready_now(Interest::Read).is_none());
    }

    #[test]
    fn closed_bits_survive_clear_and_keyed_waiters_are_removed() {
        let io = ScheduledIo::new(Ready::EMPTY);
        let waker = Waker::from(Arc::new(Count(StdUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        let mut slot = Slot::Keyed(None);
        assert!(
            io.poll_ready(&mut cx, Interest::Read, &mut slot)
                .is_pending()
        );
        io.remove_waiter(&slot);
        let mut wake = Vec::new();
        io.set_readiness(Ready::READABLE.union(Ready::READ_CLOSED), &mut wake);
        assert!(wake.is_empty(), "removed waiter is not woken");
        let ev = io.ready_now(Interest::Read).expect("ready");
        io.clear_readiness(ev);
        assert_eq!(
            io.ready_now(Interest::Read).map(|e| e.ready),
            Some(Ready::READ_CLOSED)
        );
    }
}
