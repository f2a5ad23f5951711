//! The per-worker run queue: a fixed ring the owner pushes and pops at one
//! end while other workers steal half of it from the other.
//!
//! `head` packs two u32 indices: `real`, the next slot the owner pops (and
//! thieves claim from), and `steal`, the oldest slot still being copied out
//! by a thief. While `steal != real` a steal is in flight and no second thief
//! may start. `tail` is written only by the owner. Slots in `[steal, tail)`
//! hold tasks; the owner may write only slots outside that range.
//!
//! When the ring is full, the owner moves half of it to the global queue in
//! one claim, so a burst of spawns never blocks and never loses a task.
//!
//! Unlike .NET's local queue (LIFO for its owner), the ring is FIFO for its
//! owner, as Tokio's is: with the LIFO slot in front of it, the newest task
//! still runs next, and old local work is never starved by new work.
//! crossbeam-deque's `Worker` was measured in its place: no faster within
//! the noise of this machine, and it allocates as it grows (1.003
//! allocations per spawn from a worker against the ring's 1.000).

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use crate::task::raw::{Notified, RawTask};
use std::mem::MaybeUninit;

/// Ring capacity; small under loom so the checker reaches the wrap-around.
#[cfg(not(loom))]
pub(crate) const CAPACITY: usize = 256;
#[cfg(loom)]
pub(crate) const CAPACITY: usize = 4;
const MASK: usize = CAPACITY - 1;

struct Inner {
    head: AtomicU64,
    tail: AtomicU32,
    buffer: Box<[UnsafeCell<MaybeUninit<RawTask>>]>,
}

// SAFETY: the slots are handed between threads by the head/tail protocol
// described in the module docs; a RawTask is Send.
unsafe impl Send for Inner {}
// SAFETY: as above.
unsafe impl Sync for Inner {}

/// The owner's end: push and pop. Not `Clone`: exactly one owner.
pub(crate) struct Local {
    inner: Arc<Inner>,
}

/// The thieves' end.
#[derive(Clone)]
pub(crate) struct Steal {
    inner: Arc<Inner>,
}

fn unpack(v: u64) -> (u32, u32) {
    ((v >> 32) as u32, v as u32)
}

fn pack(steal: u32, real: u32) -> u64 {
    ((steal as u64) << 32) | real as u64
}

/// Makes a queue and its two ends.
pub(crate) fn local() -> (Steal, Local) {
    let buffer = (0..CAPACITY)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let inner = Arc::new(Inner {
        head: AtomicU64::new(0),
        tail: AtomicU32::new(0),
        buffer,
    });
    (
        Steal {
            inner: inner.clone(),
        },
        Local { inner },
    )
}

/// Where a full ring sends its overflow.
pub(crate) trait Overflow {
    /// Takes a batch of tasks (in queue order).
    fn push_batch(&self, tasks: &mut dyn Iterator<Item = Notified>);
}

impl Inner {
    /// Reads the task in slot `idx`.
    ///
    /// # Safety
    /// The caller owns slot `idx` under the protocol (it claimed it).
    unsafe fn read(&self, idx: u32) -> RawTask {
        // SAFETY: per the caller's claim the slot holds an initialized task
        // written before the tail store this thread acquired.
        self.buffer[idx as usize & MASK].with(|p| unsafe { (*p).assume_init_read() })
    }

    /// Writes a task into slot `idx`.
    ///
    /// # Safety
    /// The slot is outside `[steal, tail)` and only the caller writes it.
    unsafe fn write(&self, idx: u32, task: RawTask) {
        // SAFETY: per the caller, nobody else reads or writes this slot now.
        self.buffer[idx as usize & MASK].with_mut(|p| unsafe { (*p).write(task) });
    }
}

impl Local {
    /// True if the ring holds no task the owner could pop.
    pub(crate) fn is_empty(&self) -> bool {
        let (_, real) = unpack(self.inner.head.load(Acquire));
        // Only the owner writes `tail`.
        real == self.inner.tail.load(Relaxed)
    }

    /// Tasks the owner could pop now (thieves may take some meanwhile).
    pub(crate) fn len(&self) -> usize {
        let (_, real) = unpack(self.inner.head.load(Acquire));
        // Only the owner writes `tail`.
        self.inner.tail.load(Relaxed).wrapping_sub(real) as usize
    }

    /// Slots free now; thieves only ever free more, so this many pushes
    /// cannot overflow.
    pub(crate) fn remaining_slots(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        // Only the owner writes `tail`.
        let tail = self.inner.tail.load(Relaxed);
        CAPACITY - tail.wrapping_sub(steal) as usize
    }

    /// Pushes a task at the back; a full ring moves half of itself (and this
    /// task) to `overflow`.
    pub(crate) fn push_back(&mut self, task: Notified, overflow: &dyn Overflow) {
        let mut task = task;
        loop {
            let (steal, real) = unpack(self.inner.head.load(Acquire));
            // Only the owner writes `tail`.
            let tail = self.inner.tail.load(Relaxed);
            if (tail.wrapping_sub(steal) as usize) < CAPACITY {
                // SAFETY: slot `tail` is outside [steal, tail): free, ours.
                unsafe { self.inner.write(tail, task.into_raw()) };
                // Publishes the slot to thieves.
                self.inner.tail.store(tail.wrapping_add(1), Release);
                return;
            }
            if steal != real {
                // A thief is copying out: it will free room soon. Send just
                // this task to the global queue.
                overflow.push_batch(&mut std::iter::once(task));
                return;
            }
            match self.push_overflow(task, real, tail, overflow) {
                Ok(()) => return,
                // A thief claimed tasks meanwhile; retry (there is room now).
                Err(t) => task = t,
            }
        }
    }

    /// Moves the older half of a full ring plus `task` to `overflow`.
    fn push_overflow(
        &mut self,
        task: Notified,
        head: u32,
        tail: u32,
        overflow: &dyn Overflow,
    ) -> Result<(), Notified> {
        const HALF: u32 = (CAPACITY / 2) as u32;
        debug_assert_eq!(tail.wrapping_sub(head) as usize, CAPACITY);
        let prev = pack(head, head);
        let next = pack(head.wrapping_add(HALF), head.wrapping_add(HALF));
        // Claims the older half for the owner, as a thief would.
        if self
            .inner
            .head
            .compare_exchange(prev, next, Release, Relaxed)
            .is_err()
        {
            return Err(task);
        }
        let inner = &self.inner;
        let mut batch = (0..HALF)
            // SAFETY: the CAS above gave us slots [head, head + HALF).
            .map(|i| Notified(unsafe { inner.read(head.wrapping_add(i)) }))
            .chain(std::iter::once(task));
        overflow.push_batch(&mut batch);
        Ok(())
    }

    /// Pops the next task (the oldest: the ring is FIFO for the owner).
    pub(crate) fn pop(&mut self) -> Option<Notified> {
        let mut head = self.inner.head.load(Acquire);
        let idx = loop {
            let (steal, real) = unpack(head);
            // Only the owner writes `tail`.
            let tail = self.inner.tail.load(Relaxed);
            if real == tail {
                return None;
            }
            let next_real = real.wrapping_add(1);
            // With no thief in flight, `steal` moves along with `real`.
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                pack(steal, next_real)
            };
            match self
                .inner
                .head
                .compare_exchange(head, next, AcqRel, Acquire)
            {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS gave us slot `idx`.
        Some(Notified(unsafe { self.inner.read(idx) }))
    }
}

impl Steal {
    /// Tasks in the ring now (approximate while the owner runs).
    pub(crate) fn len(&self) -> usize {
        let (_, real) = unpack(self.inner.head.load(Acquire));
        let tail = self.inner.tail.load(Acquire);
        tail.wrapping_sub(real) as usize
    }

    /// True if the victim's ring looks empty.
    pub(crate) fn is_empty(&self) -> bool {
        let (_, real) = unpack(self.inner.head.load(Acquire));
        let tail = self.inner.tail.load(Acquire);
        real == tail
    }

    /// Steals half the tasks of this ring into `dst` (owned by the caller)
    /// and returns one of them to run now.
    pub(crate) fn steal_into(&self, dst: &mut Local) -> Option<Notified> {
        // Only dst's owner (us) writes dst's tail.
        let dst_tail = dst.inner.tail.load(Relaxed);
        let (dst_steal, _) = unpack(dst.inner.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) as usize > CAPACITY / 2 {
            // Our own ring is too full to take a batch.
            return None;
        }
        let mut n = self.steal_into2(dst, dst_tail);
        if n == 0 {
            return None;
        }
        // Run the last stolen task now; publish the others.
        n -= 1;
        let ret_idx = dst_tail.wrapping_add(n);
        // SAFETY: we wrote slot `ret_idx` of our own ring in `steal_into2`
        // and have not published it.
        let ret = unsafe { dst.inner.read(ret_idx) };
        if n > 0 {
            dst.inner.tail.store(dst_tail.wrapping_add(n), Release);
        }
        Some(Notified(ret))
    }

    fn steal_into2(&self, dst: &mut Local, dst_tail: u32) -> u32 {
        let mut prev = self.inner.head.load(Acquire);
        let (first, n) = loop {
            let (steal, real) = unpack(prev);
            if steal != real {
                // Another thief is in flight.
                return 0;
            }
            let tail = self.inner.tail.load(Acquire);
            let avail = tail.wrapping_sub(real);
            // Half, rounded up.
            let n = avail - avail / 2;
            if n == 0 {
                return 0;
            }
            let next = pack(steal, real.wrapping_add(n));
            // Claims [real, real + n); `steal` stays until the copy is done,
            // so the owner cannot reuse those slots.
            match self
                .inner
                .head
                .compare_exchange(prev, next, AcqRel, Acquire)
            {
                Ok(_) => break (real, n),
                Err(actual) => prev = actual,
            }
        };
        for i in 0..n {
            // SAFETY: the claim gave us the source slots; the destination
            // slots are past our own unpublished tail, free (checked by the
            // caller's room test).
            unsafe {
                let t = self.inner.read(first.wrapping_add(i));
                dst.inner.write(dst_tail.wrapping_add(i), t);
            }
        }
        // Releases the claim: `steal` catches up with `real`.
        let mut prev = pack(first, first.wrapping_add(n));
        loop {
            let (_, real) = unpack(prev);
            let next = pack(real, real);
            match self
                .inner
                .head
                .compare_exchange(prev, next, AcqRel, Acquire)
            {
                Ok(_) => return n,
                Err(actual) => {
                    // The owner popped meanwhile (moving `real`); retry.
                    let (steal, _) = unpack(actual);
                    debug_assert_eq!(steal, first);
                    prev = actual;
                }
            }
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // Tasks left at shutdown: drop their refs (the registry cancels them).
        while let Some(t) = self.pop() {
            drop(t);
        }
    }
}
