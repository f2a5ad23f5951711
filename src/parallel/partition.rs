//! How a loop's iterations are handed out.
//!
//! **Ranges** (`for_`, and `for_each` over a slice): *guided chunks, then
//! stealing*. A participant takes a chunk of (what is left) ÷
//! (participants × [`CHUNKS_PER_PARTICIPANT`]) iterations from one shared
//! counter (one compare-and-swap), counting the participants running or
//! queued at that moment (a loop nobody joins takes big chunks), into a
//! slot it publishes, and runs it from the front in blocks sized to take
//! about 100 µs each. Once the counter is spent, a participant that runs
//! dry takes the upper half of the fullest slot (rayon's splitting, done
//! lazily by the thief). Large chunks while much is left keep claims rare;
//! stealing keeps every participant busy to the end of an uneven loop, and
//! when one is preempted (more workers than cores) the others take over
//! its chunk instead of waiting for it. Chosen over rayon's recursive
//! halving because participants here join one at a time (replicas), and
//! over .NET's fixed range partitions, which leave the expensive end of an
//! uneven loop to one worker; `docs/BENCHMARKS.md` ("Parallel") has the
//! measurements.
//!
//! **Iterators** (`for_each_iter`): chunks pulled under a lock, growing
//! 1, 2, 4, … up to [`MAX_ITERATOR_CHUNK`] per participant, as .NET's
//! chunk partitioner for `IEnumerable<T>`: nothing is known of the length,
//! and small first chunks keep a short or slow iterator spread out.

use super::settings::{CHUNKS_PER_PARTICIPANT, MAX_ITERATOR_CHUNK};
use crate::loom::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::ops::Range;
use std::sync::Mutex;

/// Hands out a range: guided chunks from a shared counter into each
/// participant's published slot, blocks taken from the slot's front by its
/// owner, and — once the counter is spent — the upper half of the fullest
/// slot taken by a participant that ran dry.
///
/// A slot packs a range as `start << 32 | end`, offsets from the loop's
/// first index (so ranges of up to 2³² − 1 iterations publish; longer ones
/// run unpublished, in chunks). The owner advances `start`, a thief lowers
/// `end`, each with one compare-and-swap on the same word, so an iteration
/// is handed out once: to the owner if its CAS wins, to the thief if its
/// does. A slot is written plainly only by its owner and only while empty,
/// and thieves never write an empty slot.
pub(crate) struct RangeClaimer {
    next: AtomicUsize,
    end: usize,
    origin: usize,
    slots: Box<[AtomicU64]>,
    joined: AtomicUsize,
}

fn pack(r: &Range<u64>) -> u64 {
    (r.start << 32) | r.end
}

fn unpack(v: u64) -> Range<u64> {
    (v >> 32)..(v & 0xFFFF_FFFF)
}

impl RangeClaimer {
    /// `slots`: participants that may publish (0: none steals).
    pub(crate) fn new(range: Range<usize>, slots: usize) -> RangeClaimer {
        let slots = if range.len() < u32::MAX as usize {
            slots
        } else {
            0
        };
        RangeClaimer {
            next: AtomicUsize::new(range.start),
            end: range.end,
            origin: range.start,
            slots: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            joined: AtomicUsize::new(0),
        }
    }

    /// A participant's slot, if one is left.
    pub(crate) fn join(&self) -> Option<usize> {
        let i = self.joined.fetch_add(1, Ordering::Relaxed);
        (i < self.slots.len()).then_some(i)
    }

    /// The next chunk of the shared counter for one of `participants`
    /// (those running the loop now, and those queued to), or None when it
    /// is spent.
    pub(crate) fn claim(&self, participants: usize) -> Option<Range<usize>> {
        // Alone (nobody running beside it or queued to): half of what is
        // left, so a worker that frees up later still finds work.
        let divisor = match participants {
            0 | 1 => 2,
            p => p * CHUNKS_PER_PARTICIPANT,
        };
        let mut cur = self.next.load(Ordering::Relaxed);
        loop {
            if cur >= self.end {
                return None;
            }
            let left = self.end - cur;
            let chunk = (left / divisor).max(1);
            match self.next.compare_exchange_weak(
                cur,
                cur + chunk,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(cur..cur + chunk),
                Err(now) => cur = now,
            }
        }
    }

    /// Up to `n` iterations from the front of slot `me`.
    fn take(&self, me: usize, n: usize) -> Option<Range<usize>> {
        let slot = &self.slots[me];
        let mut v = slot.load(Ordering::Acquire);
        loop {
            let r = unpack(v);
            if r.start >= r.end {
                return None;
            }
            let upto = r.end.min(r.start + n.max(1) as u64);
            match slot.compare_exchange_weak(
                v,
                pack(&(upto..r.end)),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    return Some(self.origin + r.start as usize..self.origin + upto as usize);
                }
                Err(now) => v = now,
            }
        }
    }

    /// Empties slot `me` (what it held is above a break: it need not run).
    pub(crate) fn drop_slot(&self, me: Option<usize>) {
        let Some(me) = me else { return };
        let slot = &self.slots[me];
        let mut v = slot.load(Ordering::Acquire);
        loop {
            let r = unpack(v);
            if r.start >= r.end {
                return;
            }
            match slot.compare_exchange_weak(
                v,
                pack(&(r.end..r.end)),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(now) => v = now,
            }
        }
    }

    /// Puts `r` in slot `me` (empty: only its owner writes it then).
    fn publish(&self, me: usize, r: Range<usize>) {
        let r = (r.start - self.origin) as u64..(r.end - self.origin) as u64;
        self.slots[me].store(pack(&r), Ordering::Release);
    }

    /// The upper half of the fullest other slot holding two or more.
    fn steal(&self, me: usize) -> Option<Range<usize>> {
        let joined = self.joined.load(Ordering::Acquire).min(self.slots.len());
        loop {
            let mut best: Option<(usize, u64)> = None;
            for j in (0..joined).filter(|j| *j != me) {
                let v = self.slots[j].load(Ordering::Acquire);
                let r = unpack(v);
                let len = r.end.saturating_sub(r.start);
                if len >= 2 && best.is_none_or(|(_, b)| len > unpack(b).end - unpack(b).start) {
                    best = Some((j, v));
                }
            }
            let (j, v) = best?;
            let r = unpack(v);
            let mid = r.start + (r.end - r.start) / 2;
            if self.slots[j]
                .compare_exchange(
                    v,
                    pack(&(r.start..mid)),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
            {
                return Some(self.origin + mid as usize..self.origin + r.end as usize);
            }
        }
    }

    /// The next iterations for participant `me` (at most `n` when it has a
    /// slot): from its slot, else a new chunk into it (`participants` says
    /// among how many the counter is shared, asked only then), else half of
    /// another's slot. None when nothing is left to hand out.
    pub(crate) fn next(
        &self,
        me: Option<usize>,
        n: usize,
        participants: impl FnOnce() -> usize,
    ) -> Option<Range<usize>> {
        let Some(me) = me else {
            return self.claim(participants());
        };
        if let Some(r) = self.take(me, n) {
            return Some(r);
        }
        let refill = self.claim(participants()).or_else(|| self.steal(me))?;
        self.publish(me, refill);
        self.take(me, n)
    }
}

/// Hands out an iterator's items in growing chunks, numbered in order.
pub(crate) struct IterClaimer<I: Iterator> {
    source: Mutex<(I, usize)>,
}

impl<I: Iterator> IterClaimer<I> {
    pub(crate) fn new(iter: I) -> IterClaimer<I> {
        IterClaimer {
            source: Mutex::new((iter, 0)),
        }
    }

    /// Up to `want` items into `out` (cleared first), with the index of
    /// the first; None when the iterator is done.
    pub(crate) fn claim(&self, want: usize, out: &mut Vec<I::Item>) -> Option<usize> {
        out.clear();
        let mut s = self.source.lock().unwrap_or_else(|p| p.into_inner());
        let first = s.1;
        out.extend(s.0.by_ref().take(want));
        s.1 += out.len();
        (!out.is_empty()).then_some(first)
    }
}

/// The next chunk size of an iterator participant: doubling to the cap.
pub(crate) fn grow(chunk: usize) -> usize {
    (chunk * 2).min(MAX_ITERATOR_CHUNK)
}
