//! A hierarchical timer wheel: `LEVELS` levels of `SLOTS` slots; level `n`'s
//! slots are `SLOTS^n` ticks wide. Entries live in a slab and are threaded
//! into their slot's doubly linked list, so insert and remove are O(1) and
//! allocation-free once the slab has grown to the peak number of timers.
//!
//! An entry due at tick `when` sits at the level of the highest 6-bit group
//! in which `when` differs from `elapsed` (the tick processed last), in the
//! slot named by that group of `when`. Invariants:
//!
//! 1. Every entry's slot starts after `elapsed` (the top level, used as a
//!    ring for entries more than one rotation out, excepted: see
//!    `next_expiration`).
//! 2. An entry at a lower level is due before any entry at a higher one, so
//!    the first occupied level holds the next slot to process.
//!
//! `advance(now)` processes every slot that starts at or before `now`: due
//! entries fire, the others cascade to a lower level. Nothing fires before
//! its tick: `when <= now` is checked for each entry.

use super::settings::{LEVEL_BITS, LEVELS, MAX_SPAN, SLOTS};

const NIL: u32 = u32::MAX;
const SLOT_MASK: u64 = SLOTS as u64 - 1;

/// Names one entry of one wheel; ids are never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct EntryKey {
    pub(crate) slot: u32,
    pub(crate) id: u64,
}

struct Entry<A> {
    /// 0 while the slab slot is free.
    id: u64,
    /// The tick it is due at.
    when: u64,
    prev: u32,
    /// Next entry in the same wheel slot (or the next free slab slot).
    next: u32,
    /// `level * SLOTS + slot` of the wheel slot holding it.
    pos: u16,
    payload: Option<A>,
}

struct Level {
    /// Bit `s` set: slot `s` holds entries.
    occupied: u64,
    heads: [u32; SLOTS],
}

/// The next slot to process.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Expiration {
    level: usize,
    slot: usize,
    /// The tick the slot starts at.
    pub(crate) deadline: u64,
}

/// What `reschedule` did.
pub(crate) enum Rescheduled<A> {
    /// Moved; still pending.
    Pending,
    /// The new tick is already processed: removed, payload handed back to
    /// be fired by the caller.
    Due(A),
    /// No such entry (it fired, or was removed).
    Gone,
}

/// One timer wheel. `A` is what fires.
pub(crate) struct Wheel<A> {
    elapsed: u64,
    levels: [Level; LEVELS],
    entries: Vec<Entry<A>>,
    free: u32,
    next_id: u64,
    len: usize,
}

fn level_for(elapsed: u64, when: u64) -> usize {
    // The low group is masked in so that `when == elapsed` still maps to
    // level 0; past one rotation everything maps to the top level.
    let masked = ((elapsed ^ when) | SLOT_MASK).min(MAX_SPAN - 1);
    let significant = 63 - masked.leading_zeros();
    (significant / LEVEL_BITS) as usize
}

fn slot_for(tick: u64, level: usize) -> usize {
    ((tick >> (level as u32 * LEVEL_BITS)) & SLOT_MASK) as usize
}

fn slot_range(level: usize) -> u64 {
    1 << (level as u32 * LEVEL_BITS)
}

impl<A> Wheel<A> {
    pub(crate) fn new() -> Wheel<A> {
        Wheel {
            elapsed: 0,
            levels: std::array::from_fn(|_| Level {
                occupied: 0,
                heads: [NIL; SLOTS],
            }),
            entries: Vec::new(),
            free: NIL,
            next_id: 1,
            len: 0,
        }
    }

    /// The last tick processed.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Pending entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds an entry due at tick `when`; if that tick was already processed
    /// the payload is handed back (the caller fires it: it is due).
    pub(crate) fn insert(&mut self, when: u64, payload: A) -> Result<EntryKey, A> {
        if when <= self.elapsed {
            return Err(payload);
        }
        let id = self.next_id;
        self.next_id += 1;
        let slot = if self.free != NIL {
            let s = self.free;
            self.free = self.entries[s as usize].next;
            s
        } else {
            let s = u32::try_from(self.entries.len())
                .ok()
                .filter(|&s| s != NIL)
                .expect("more than 4 billion pending timers in one wheel");
            self.entries.push(Entry {
                id: 0,
                when: 0,
                prev: NIL,
                next: NIL,
                pos: 0,
                payload: None,
            });
            s
        };
        let e = &mut self.entries[slot as usize];
        e.id = id;
        e.when = when;
        e.payload = Some(payload);
        self.place(slot);
        self.len += 1;
        Ok(EntryKey { slot, id })
    }

    fn live(&self, key: EntryKey) -> bool {
        self.entries
            .get(key.slot as usize)
            .is_some_and(|e| e.id == key.id)
    }

    /// Removes an entry; `None` if it already fired or was removed.
    pub(crate) fn remove(&mut self, key: EntryKey) -> Option<A> {
        if !self.live(key) {
            return None;
        }
        self.unlink(key.slot);
        Some(self.release(key.slot))
    }

    /// The payload of a pending entry.
    pub(crate) fn payload_mut(&mut self, key: EntryKey) -> Option<&mut A> {
        if !self.live(key) {
            return None;
        }
        self.entries[key.slot as usize].payload.as_mut()
    }

    /// Moves a pending entry to tick `when`.
    pub(crate) fn reschedule(&mut self, key: EntryKey, when: u64) -> Rescheduled<A> {
        if !self.live(key) {
            return Rescheduled::Gone;
        }
        self.unlink(key.slot);
        if when <= self.elapsed {
            return Rescheduled::Due(self.release(key.slot));
        }
        self.entries[key.slot as usize].when = when;
        self.place(key.slot);
        Rescheduled::Pending
    }

    /// The next slot holding entries, and the tick it starts at.
    pub(crate) fn next_expiration(&self) -> Option<Expiration> {
        for (level, l) in self.levels.iter().enumerate() {
            if l.occupied == 0 {
                continue;
            }
            let now_slot = slot_for(self.elapsed, level);
            let slot = (l.occupied.rotate_right(now_slot as u32).trailing_zeros() as usize
                + now_slot)
                % SLOTS;
            let level_range = slot_range(level) * SLOTS as u64;
            let level_start = self.elapsed & !(level_range - 1);
            let mut deadline = level_start + slot as u64 * slot_range(level);
            if deadline <= self.elapsed {
                // Only the top level wraps: its slots "before" now belong to
                // the next rotation.
                debug_assert_eq!(level, LEVELS - 1, "a lower-level slot is overdue");
                deadline += level_range;
            }
            return Some(Expiration {
                level,
                slot,
                deadline,
            });
        }
        None
    }

    /// Processes every slot that starts at or before tick `now`, pushing the
    /// payloads of the entries due by `now` onto `fired`.
    pub(crate) fn advance(&mut self, now: u64, fired: &mut Vec<A>) {
        while let Some(exp) = self.next_expiration() {
            if exp.deadline > now {
                break;
            }
            self.elapsed = exp.deadline;
            let level = &mut self.levels[exp.level];
            let mut at = std::mem::replace(&mut level.heads[exp.slot], NIL);
            level.occupied &= !(1 << exp.slot);
            while at != NIL {
                let next = self.entries[at as usize].next;
                if self.entries[at as usize].when <= now {
                    fired.push(self.release(at));
                } else {
                    // Cascades to a lower level (invariant 1 holds: the slot
                    // just taken started at `elapsed`).
                    self.place(at);
                }
                at = next;
            }
        }
        self.elapsed = self.elapsed.max(now);
    }

    /// Links entry `at` into the slot its `when` maps to.
    fn place(&mut self, at: u32) {
        let when = self.entries[at as usize]
            .when
            .min(self.elapsed.saturating_add(MAX_SPAN - 1));
        let level = level_for(self.elapsed, when);
        let slot = slot_for(when, level);
        let head = self.levels[level].heads[slot];
        let e = &mut self.entries[at as usize];
        e.prev = NIL;
        e.next = head;
        e.pos = (level * SLOTS + slot) as u16;
        if head != NIL {
            self.entries[head as usize].prev = at;
        }
        let l = &mut self.levels[level];
        l.heads[slot] = at;
        l.occupied |= 1 << slot;
    }

    /// Unlinks entry `at` from its slot's list.
    fn unlink(&mut self, at: u32) {
        let (prev, next, pos) = {
            let e = &self.entries[at as usize];
            (e.prev, e.next, e.pos as usize)
        };
        let (level, slot) = (pos / SLOTS, pos % SLOTS);
        if prev != NIL {
            self.entries[prev as usize].next = next;
        } else {
            self.levels[level].heads[slot] = next;
            if next == NIL {
                self.levels[level].occupied &= !(1 << slot);
            }
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
    }

    /// Frees an unlinked entry's slab slot, returning its payload.
    fn release(&mut self, at: u32) -> A {
        let e = &mut self.entries[at as usize];
        e.id = 0;
        e.prev = NIL;
        e.next = self.free;
        self.free = at;
        self.len -= 1;
        let payload = e.payload.take().expect("a pending entry holds its payload");
        if self.len == 0 {
            // Empty: restart the slab from its first slot (capacity kept),
            // so the next burst of timers fills memory in order instead of
            // following a free list scattered by firing order.
            self.entries.clear();
            self.free = NIL;
        }
        payload
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Advances one tick at a time, recording the tick each payload fired.
    fn run_until(w: &mut Wheel<u64>, end: u64, log: &mut Vec<(u64, u64)>) {
        let mut fired = Vec::new();
        for now in w.elapsed() + 1..=end {
            w.advance(now, &mut fired);
            log.extend(fired.drain(..).map(|p| (p, now)));
        }
    }

    #[test]
    fn every_entry_fires_exactly_at_its_tick() {
        let mut w = Wheel::new();
        let whens: Vec<u64> = vec![
            1, 2, 63, 64, 65, 100, 4095, 4096, 4097, 5000, 70_000, 262_145,
        ];
        for &t in &whens {
            w.insert(t, t).unwrap();
        }
        let mut log = Vec::new();
        run_until(&mut w, 300_000, &mut log);
        assert_eq!(log.len(), whens.len());
        for (payload, at) in log {
            assert_eq!(payload, at, "fired at the wrong tick");
        }
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn big_jumps_fire_everything_due_and_nothing_early() {
        let mut w = Wheel::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut whens = Vec::new();
        for _ in 0..5000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let t = 1 + state % 10_000_000;
            whens.push(t);
            w.insert(t, t).unwrap();
        }
        let mut fired = Vec::new();
        let mut now = 0;
        let mut count = 0;
        while now < 10_000_000 {
            now += 1 + (now % 7_919) * 3;
            w.advance(now, &mut fired);
            for p in fired.drain(..) {
                assert!(p <= now, "fired early: due {p}, now {now}");
                count += 1;
            }
            // Nothing due is left behind.
            if let Some(exp) = w.next_expiration() {
                assert!(exp.deadline > now);
            }
        }
        assert_eq!(count, whens.len());
    }

    #[test]
    fn remove_and_reschedule() {
        let mut w = Wheel::new();
        let a = w.insert(10, 'a').unwrap();
        let b = w.insert(5000, 'b').unwrap();
        let c = w.insert(20, 'c').unwrap();
        assert_eq!(w.remove(a), Some('a'));
        assert_eq!(w.remove(a), None);
        assert!(matches!(w.reschedule(b, 15), Rescheduled::Pending));
        let mut fired = Vec::new();
        w.advance(16, &mut fired);
        assert_eq!(fired, vec!['b']);
        assert!(matches!(w.reschedule(b, 30), Rescheduled::Gone));
        assert!(matches!(w.reschedule(c, 3), Rescheduled::Due('c')));
        assert_eq!(w.len(), 0);
        assert_eq!(
            w.insert(16, 'd'),
            Err('d'),
            "a processed tick is due at once"
        );
        // A freed slab slot is reused under a new id: stale keys stay dead.
        let e = w.insert(40, 'e').unwrap();
        assert!(e.id != a.id && e.id != b.id && e.id != c.id);
        assert_eq!(w.remove(c), None);
        assert_eq!(w.remove(e), Some('e'));
    }

    #[test]
    fn far_future_entries_wait_in_the_top_level() {
        let mut w = Wheel::new();
        let far = 3 * MAX_SPAN + 12_345;
        w.insert(far, far).unwrap();
        w.insert(u64::MAX, u64::MAX).unwrap();
        let mut fired = Vec::new();
        let mut now = 0;
        let mut steps = 0;
        while fired.is_empty() {
            let next = w.next_expiration().expect("pending").deadline;
            assert!(next > now);
            now = next;
            w.advance(now, &mut fired);
            steps += 1;
            assert!(steps < 1000, "no progress");
        }
        assert_eq!(fired, vec![far]);
        assert_eq!(now, far);
        assert_eq!(w.len(), 1, "the never-due entry stays");
    }
}
