//! The global queue: work queued from outside the pool, `yield_now`, and a
//! full local ring's overflow. FIFO for every producer; workers take batches.
//!
//! # Implementation
//!
//! A fixed ring of slots, each with a sequence number (Dmitry Vyukov's
//! bounded MPMC queue): a producer claims position `p` with one CAS on
//! `tail` when slot `p`'s sequence reads `p`, writes the task, and publishes
//! it by storing `p + 1`; a consumer claims ready positions with one CAS on
//! `head` and frees each slot by storing `p + capacity`. No lock, no
//! allocation, and a batch of ready tasks costs one CAS.
//!
//! A full ring spills into `overflow`, a mutex-guarded list. While anything
//! is spilled (`spilled > 0`), every push goes to the overflow too, so a
//! producer's tasks never overtake each other; consumers empty the ring
//! before the overflow, which holds only tasks pushed after the ring's.
//!
//! .NET's global queue is a lock-free `ConcurrentQueue`; Tokio's is a
//! mutex-guarded list. This ring takes every push lock-free until it fills.

use super::queue::Overflow;
use super::slots::Padded;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::task::raw::{Notified, RawTask};
use std::collections::VecDeque;
use std::mem::MaybeUninit;

/// The most tasks one `pop_batch` returns (the first plus this many).
pub(crate) const MAX_BATCH: usize = 32;

/// How often a consumer that finds the head position still being written
/// spins before it reports the queue empty (the producer notifies a worker
/// once it publishes, so giving up is safe, only slower).
#[cfg(not(loom))]
const IN_FLIGHT_SPINS: u32 = 64;
#[cfg(loom)]
const IN_FLIGHT_SPINS: u32 = 1;

/// The overflow list keeps at most this much capacity once it is empty
/// again (tasks; 4 KiB), so a burst's memory is returned after it.
const OVERFLOW_KEPT: usize = 512;

/// Tasks `push_batch` claims ring positions for at once.
const PUSH_CHUNK: usize = 32;

/// Set in `tail` by `close`: no position can be claimed any more.
const CLOSED: usize = 1 << (usize::BITS - 1);

/// One ring slot: `seq == pos` means free for the producer of position
/// `pos`; `seq == pos + 1` means it holds the task of position `pos`.
struct Slot {
    seq: AtomicUsize,
    task: UnsafeCell<MaybeUninit<RawTask>>,
}

pub(crate) struct Inject {
    /// Next position to pop (`head` and `tail` on separate cache lines, so
    /// producers and consumers do not slow each other down).
    head: Padded<AtomicUsize>,
    /// Next position to push.
    tail: Padded<AtomicUsize>,
    slots: Box<[Slot]>,
    mask: usize,
    /// Tasks that did not fit in the ring, in push order; `closed` is read
    /// under its lock.
    overflow: Mutex<VecDeque<RawTask>>,
    /// Tasks in `overflow`; written under its lock.
    spilled: AtomicUsize,
    closed: AtomicBool,
}

// SAFETY: the slots hand each task from one producer to one consumer under
// the sequence protocol above; a RawTask is Send.
unsafe impl Send for Inject {}
// SAFETY: as above.
unsafe impl Sync for Inject {}

impl Inject {
    /// A global queue whose ring holds `capacity` tasks (rounded up to a
    /// power of two, at least 2).
    pub(crate) fn new(capacity: usize) -> Inject {
        let capacity = capacity.max(2).next_power_of_two();
        Inject {
            head: Padded(AtomicUsize::new(0)),
            tail: Padded(AtomicUsize::new(0)),
            slots: (0..capacity)
                .map(|i| Slot {
                    seq: AtomicUsize::new(i),
                    task: UnsafeCell::new(MaybeUninit::uninit()),
                })
                .collect(),
            mask: capacity - 1,
            overflow: Mutex::new(VecDeque::new()),
            spilled: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Tasks queued now (approximate while others push and pop).
    pub(crate) fn len(&self) -> usize {
        let head = self.head.0.load(Acquire);
        let tail = self.tail.0.load(Acquire) & !CLOSED;
        tail.saturating_sub(head) + self.spilled.load(Acquire)
    }

    /// True if nothing is queued (a push still being written counts as
    /// queued).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pushes a task at the back; once closed, the task is dropped (the
    /// registry canceled it).
    pub(crate) fn push(&self, task: Notified) {
        if self.spilled.load(Acquire) == 0 {
            match self.push_ring(task.into_raw()) {
                Pushed::Done => {}
                Pushed::Closed(raw) => drop(Notified(raw)),
                Pushed::Full(raw) => self.push_overflow(&mut std::iter::once(Notified(raw))),
            }
            return;
        }
        self.push_overflow(&mut std::iter::once(task));
    }

    fn push_ring(&self, task: RawTask) -> Pushed {
        let mut pos = self.tail.0.load(Relaxed);
        loop {
            if pos & CLOSED != 0 {
                return Pushed::Closed(task);
            }
            let slot = &self.slots[pos & self.mask];
            let seq = slot.seq.load(Acquire);
            if seq == pos {
                // Claims position `pos`: the slot is free and ours alone. It
                // fails once `close` has set CLOSED in `tail`.
                match self
                    .tail
                    .0
                    .compare_exchange_weak(pos, pos + 1, Relaxed, Relaxed)
                {
                    Ok(_) => {
                        // SAFETY: the claim gave us the free slot; no
                        // consumer reads it before the store below.
                        slot.task.with_mut(|p| unsafe { (*p).write(task) });
                        // Publishes the task to consumers.
                        slot.seq.store(pos + 1, Release);
                        return Pushed::Done;
                    }
                    Err(actual) => pos = actual,
                }
            } else if seq < pos {
                // The slot still holds the task of `pos - capacity`: full.
                return Pushed::Full(task);
            } else {
                // Another producer took `pos`; try the next one.
                pos = self.tail.0.load(Relaxed);
            }
        }
    }

    fn push_overflow(&self, tasks: &mut dyn Iterator<Item = Notified>) {
        let mut q = crate::loom::lock(&self.overflow);
        if self.closed.load(Acquire) {
            drop(q);
            tasks.for_each(drop);
            return;
        }
        q.extend(tasks.map(Notified::into_raw));
        self.spilled.store(q.len(), Release);
    }

    /// Pops one task.
    pub(crate) fn pop(&self) -> Option<Notified> {
        self.pop_batch(1, |_| {})
    }

    /// Pops up to `max` tasks (at most `MAX_BATCH + 1`): the first is
    /// returned, the rest handed to `rest` in queue order.
    pub(crate) fn pop_batch(&self, max: usize, mut rest: impl FnMut(Notified)) -> Option<Notified> {
        let max = max.clamp(1, MAX_BATCH + 1);
        let mut spins = 0;
        loop {
            match self.claim_ring(max) {
                Claim::Got(first, n) => {
                    let first_task = self.take_slot(first);
                    for pos in first + 1..first + n {
                        rest(Notified(self.take_slot(pos)));
                    }
                    return Some(Notified(first_task));
                }
                Claim::InFlight if spins < IN_FLIGHT_SPINS => {
                    // A producer is between its claim and its publish, a
                    // few instructions: wait for it rather than report an
                    // empty queue and send the caller to park.
                    spins += 1;
                    crate::loom::spin_loop();
                    continue;
                }
                Claim::InFlight => return None,
                Claim::Empty => {}
            }
            if self.spilled.load(Acquire) == 0 {
                return None;
            }
            // The overflow holds only tasks pushed after the ring's, so it is
            // taken only once the ring is empty. The check comes after
            // `spilled` was read: that read acquires the spilling producer's
            // earlier ring pushes, so `tail` below counts them.
            let tail = self.tail.0.load(Acquire) & !CLOSED;
            if self.head.0.load(Acquire) == tail {
                return self.pop_overflow(max, rest);
            }
        }
    }

    fn pop_overflow(&self, max: usize, mut rest: impl FnMut(Notified)) -> Option<Notified> {
        let mut batch: [Option<RawTask>; MAX_BATCH] = [None; MAX_BATCH];
        let first = {
            let mut q = crate::loom::lock(&self.overflow);
            let first = q.pop_front()?;
            for slot in batch.iter_mut().take(max - 1) {
                *slot = q.pop_front();
            }
            self.spilled.store(q.len(), Release);
            if q.is_empty() && q.capacity() > OVERFLOW_KEPT {
                // A burst is over: its memory goes back, instead of staying
                // sized for the largest burst the pool ever saw.
                *q = VecDeque::new();
            }
            first
        };
        batch
            .into_iter()
            .map_while(|t| t)
            .for_each(|t| rest(Notified(t)));
        Some(Notified(first))
    }

    /// Claims up to `max` ready positions from `head`.
    fn claim_ring(&self, max: usize) -> Claim {
        let mut head = self.head.0.load(Relaxed);
        loop {
            let mut n = 0;
            while n < max {
                let pos = head + n;
                if self.slots[pos & self.mask].seq.load(Acquire) != pos + 1 {
                    break;
                }
                n += 1;
            }
            if n == 0 {
                // Nothing ready at `head`: either the ring is empty, or a
                // producer claimed `head` and is still writing it (its
                // notify follows; the overflow waits behind it).
                let tail = self.tail.0.load(Acquire) & !CLOSED;
                let now = self.head.0.load(Relaxed);
                if now != head {
                    head = now;
                    continue;
                }
                return if tail > head {
                    Claim::InFlight
                } else {
                    Claim::Empty
                };
            }
            // Claims [head, head + n): every slot in it was seen published,
            // and a CAS that succeeds proves no other consumer took any.
            match self
                .head
                .0
                .compare_exchange_weak(head, head + n, Relaxed, Relaxed)
            {
                Ok(_) => return Claim::Got(head, n),
                Err(actual) => head = actual,
            }
        }
    }

    /// Moves the task out of claimed position `pos` and frees the slot for
    /// the producer of `pos + capacity`.
    fn take_slot(&self, pos: usize) -> RawTask {
        let slot = &self.slots[pos & self.mask];
        // SAFETY: `claim_ring` gave us `pos`, whose slot was published
        // (acquired through `seq`) and is read by nobody else.
        let task = slot.task.with(|p| unsafe { (*p).assume_init_read() });
        // Frees the slot: the producer that sees this may overwrite it.
        slot.seq.store(pos + self.mask + 1, Release);
        task
    }

    /// Closes the queue and drops everything in it; later pushes drop
    /// their task.
    pub(crate) fn close(&self) {
        self.closed.store(true, Release);
        // From here no producer can claim a position: each claim is a CAS
        // on `tail`, which now fails.
        let end = self.tail.0.fetch_or(CLOSED, AcqRel) & !CLOSED;
        // Positions before `end` were claimed; a producer may still be
        // writing one, so wait until consumers (us or workers) took them all.
        while self.head.0.load(Acquire) < end {
            match self.pop() {
                Some(t) => drop(t),
                None => crate::loom::spin_loop(),
            }
        }
        // The overflow: `closed` is read under its lock by every push.
        let spilled: Vec<RawTask> = {
            let mut q = crate::loom::lock(&self.overflow);
            self.spilled.store(0, Release);
            q.drain(..).collect()
        };
        spilled.into_iter().for_each(|t| drop(Notified(t)));
    }
}

/// What `claim_ring` found.
enum Claim {
    /// Positions `[first, first + n)` are the caller's.
    Got(usize, usize),
    /// The position at `head` is claimed by a producer still writing it.
    InFlight,
    /// Every claimed position was consumed: the ring is empty.
    Empty,
}

/// What `push_ring` did.
enum Pushed {
    Done,
    /// The ring is full: the caller spills the task.
    Full(RawTask),
    /// The queue is closed: the caller drops the task.
    Closed(RawTask),
}

impl Overflow for Inject {
    /// Pushes a batch in order, claiming ring positions a chunk at a time
    /// (one CAS per chunk); what does not fit spills, in order.
    fn push_batch(&self, tasks: &mut dyn Iterator<Item = Notified>) {
        let mut chunk: [Option<RawTask>; PUSH_CHUNK] = [None; PUSH_CHUNK];
        loop {
            let mut n = 0;
            for (slot, task) in chunk.iter_mut().zip(&mut *tasks) {
                *slot = Some(task.into_raw());
                n += 1;
            }
            if n == 0 {
                return;
            }
            let pushed = if self.spilled.load(Acquire) == 0 {
                self.push_ring_chunk(&mut chunk[..n])
            } else {
                0
            };
            if pushed < n {
                let rest = chunk[pushed..n]
                    .iter_mut()
                    .map(|t| Notified(t.take().expect("filled above")));
                return self.push_overflow(&mut rest.chain(tasks));
            }
        }
    }
}

impl Inject {
    /// Claims as many free positions as `chunk` has tasks (or as are free
    /// in a row) with one CAS, and publishes the first tasks of `chunk`
    /// there, taking them out. Returns how many it pushed; a closed queue
    /// drops them all and reports them pushed.
    fn push_ring_chunk(&self, chunk: &mut [Option<RawTask>]) -> usize {
        let mut pos = self.tail.0.load(Relaxed);
        loop {
            if pos & CLOSED != 0 {
                chunk.iter_mut().for_each(|t| drop(t.take().map(Notified)));
                return chunk.len();
            }
            let mut k = 0;
            while k < chunk.len() && self.slots[(pos + k) & self.mask].seq.load(Acquire) == pos + k
            {
                k += 1;
            }
            if k == 0 {
                if self.slots[pos & self.mask].seq.load(Acquire) < pos {
                    return 0; // Full.
                }
                pos = self.tail.0.load(Relaxed);
                continue;
            }
            // Claims [pos, pos + k): every slot in it was seen free, and a
            // CAS that succeeds proves no other producer took any.
            match self
                .tail
                .0
                .compare_exchange_weak(pos, pos + k, Relaxed, Relaxed)
            {
                Ok(_) => {
                    for (i, task) in chunk[..k].iter_mut().enumerate() {
                        let slot = &self.slots[(pos + i) & self.mask];
                        let task = task.take().expect("filled by the caller");
                        // SAFETY: the claim gave us this free slot; no
                        // consumer reads it before the store below.
                        slot.task.with_mut(|p| unsafe { (*p).write(task) });
                        // Publishes the task to consumers.
                        slot.seq.store(pos + i + 1, Release);
                    }
                    return k;
                }
                Err(actual) => pos = actual,
            }
        }
    }
}

impl Drop for Inject {
    fn drop(&mut self) {
        self.close();
    }
}
