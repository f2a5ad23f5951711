//! The waiter list every primitive of this module shares: a FIFO queue of
//! parked futures, kept in a slab (indices, no pointers, no `unsafe`) under
//! the primitive's lock. See `README.md` beside this file for the protocol.

use std::task::Waker;

const NIL: u32 = u32::MAX;

/// A waiter's place in the list, held by its future.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaitKey {
    index: u32,
    generation: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    /// In the queue, parked.
    Waiting,
    /// Taken off the queue by a notify: what it waited for is its (a
    /// permit, a turn to retry); it has not seen it yet.
    Notified,
}

struct Slot {
    waker: Option<Waker>,
    state: State,
    generation: u32,
    /// What the waiter waits for (permits, or 0 when the primitive does not
    /// count).
    need: usize,
    prev: u32,
    next: u32,
}

/// A FIFO list of waiters. Every method is called under the owning
/// primitive's lock; wakers come back to be woken after it is released.
pub(crate) struct Waiters {
    slots: Vec<Slot>,
    free: u32,
    head: u32,
    tail: u32,
    waiting: usize,
}

impl Waiters {
    pub(crate) const fn new() -> Waiters {
        Waiters {
            slots: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            waiting: 0,
        }
    }

    /// Waiters in the queue (notified ones not counted).
    pub(crate) fn len(&self) -> usize {
        self.waiting
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.waiting == 0
    }

    /// Parks a waiter at the back of the queue.
    pub(crate) fn push(&mut self, waker: &Waker, need: usize) -> WaitKey {
        let index = if self.free != NIL {
            let i = self.free;
            self.free = self.slots[i as usize].next;
            i
        } else {
            self.slots.push(Slot {
                waker: None,
                state: State::Free,
                generation: 0,
                need: 0,
                prev: NIL,
                next: NIL,
            });
            (self.slots.len() - 1) as u32
        };
        let tail = self.tail;
        let slot = &mut self.slots[index as usize];
        slot.waker = Some(waker.clone());
        slot.state = State::Waiting;
        slot.need = need;
        slot.prev = tail;
        slot.next = NIL;
        let generation = slot.generation;
        if tail == NIL {
            self.head = index;
        } else {
            self.slots[tail as usize].next = index;
        }
        self.tail = index;
        self.waiting += 1;
        WaitKey { index, generation }
    }

    fn slot(&mut self, key: WaitKey) -> Option<&mut Slot> {
        self.slots
            .get_mut(key.index as usize)
            .filter(|s| s.generation == key.generation && s.state != State::Free)
    }

    /// True if the waiter was notified (it stays listed until it is
    /// [`removed`](Self::remove)); otherwise refreshes its waker.
    pub(crate) fn poll(&mut self, key: WaitKey, waker: &Waker) -> bool {
        match self.slot(key) {
            Some(s) if s.state == State::Notified => true,
            Some(s) => {
                if !s.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    s.waker = Some(waker.clone());
                }
                false
            }
            None => false,
        }
    }

    /// Takes a waiter out, whatever its state; true if it had been notified
    /// (a canceled waiter must then hand what it was given on).
    pub(crate) fn remove(&mut self, key: WaitKey) -> bool {
        let Some(state) = self.slot(key).map(|s| s.state) else {
            return false;
        };
        if state == State::Waiting {
            self.unlink(key.index);
        }
        let free = self.free;
        let s = &mut self.slots[key.index as usize];
        s.waker = None;
        s.state = State::Free;
        s.generation = s.generation.wrapping_add(1);
        s.next = free;
        self.free = key.index;
        state == State::Notified
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next) = {
            let s = &self.slots[index as usize];
            (s.prev, s.next)
        };
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
        self.waiting -= 1;
    }

    /// What the first waiter in the queue needs, if any.
    pub(crate) fn front_need(&self) -> Option<usize> {
        (self.head != NIL).then(|| self.slots[self.head as usize].need)
    }

    /// Notifies the first waiter: off the queue, marked notified; its waker
    /// is returned to be woken once the lock is released.
    pub(crate) fn notify_one(&mut self) -> Option<Waker> {
        if self.head == NIL {
            return None;
        }
        let index = self.head;
        self.unlink(index);
        let s = &mut self.slots[index as usize];
        s.state = State::Notified;
        s.waker.take()
    }

    /// Puts a notified waiter back at the front of the queue, waiting again:
    /// it was woken to retry and lost the race (a barging lock).
    pub(crate) fn requeue_front(&mut self, key: WaitKey, waker: &Waker) {
        let head = self.head;
        let Some(s) = self.slot(key) else {
            return;
        };
        if s.state != State::Notified {
            return;
        }
        s.state = State::Waiting;
        s.waker = Some(waker.clone());
        s.prev = NIL;
        s.next = head;
        if head == NIL {
            self.tail = key.index;
        } else {
            self.slots[head as usize].prev = key.index;
        }
        self.head = key.index;
        self.waiting += 1;
    }

    /// Notifies every waiter in the queue; their wakers go into `out`.
    pub(crate) fn notify_all(&mut self, out: &mut Vec<Waker>) {
        while let Some(w) = self.notify_one() {
            out.push(w);
        }
    }
}

impl Waiters {
    /// Wakes every waiter still queued, consuming the list (taken out of
    /// its primitive, so this runs outside the lock).
    pub(crate) fn wake_waiting(mut self) {
        while let Some(w) = self.notify_one() {
            w.wake();
        }
    }
}

impl Default for Waiters {
    fn default() -> Self {
        Waiters::new()
    }
}

/// Wakes what a notify returned, after the lock is released.
pub(crate) fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_notified_in_order_and_slots_are_reused() {
        let waker = Waker::noop();
        let mut w = Waiters::new();
        let a = w.push(waker, 1);
        let b = w.push(waker, 2);
        let c = w.push(waker, 3);
        assert_eq!(w.len(), 3);
        assert_eq!(w.front_need(), Some(1));
        assert!(!w.remove(b), "b was only waiting");
        assert!(w.notify_one().is_some());
        assert!(w.poll(a, waker), "a is notified");
        assert!(!w.poll(c, waker));
        assert_eq!(w.front_need(), Some(3));
        assert!(w.remove(a), "a had been notified");
        // a's and b's slots are reused; the stale keys name nothing.
        let d = w.push(waker, 4);
        assert!(!w.poll(a, waker));
        assert!(!w.remove(b));
        assert_eq!(w.len(), 2);
        let mut out = Vec::new();
        w.notify_all(&mut out);
        assert_eq!(out.len(), 2);
        assert!(w.poll(c, waker) && w.poll(d, waker));
        assert!(w.is_empty());
        // A notified waiter put back goes first.
        let e = w.push(waker, 5);
        w.requeue_front(d, waker);
        assert_eq!(w.front_need(), Some(4));
        assert_eq!(w.len(), 2);
        assert!(w.notify_one().is_some() && w.poll(d, waker) && !w.poll(e, waker));
    }
}
