//! Which workers are parked and which are searching for work: the decisions
//! behind "wake one parked worker only when nobody is already searching".
//! The protocol and its proof are in `pool/README.md`.

use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{
    AtomicUsize, Ordering::AcqRel, Ordering::Acquire, Ordering::SeqCst, fence,
};

/// Bits of `state` below this count searching workers; above, unparked ones.
const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

pub(crate) struct Idle {
    /// Packed: searching workers (low bits), unparked workers (high bits).
    state: AtomicUsize,
    /// Parked workers, by index.
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

fn num_searching(s: usize) -> usize {
    s & SEARCH_MASK
}

fn num_unparked(s: usize) -> usize {
    s >> UNPARK_SHIFT
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// Work was queued that another worker could take. Returns the parked
    /// worker to wake, if one should wake: only when no worker is searching
    /// (a searcher will find the work) and some worker is parked. The woken
    /// worker is counted as unparked and searching before this returns, so
    /// concurrent notifiers do not wake a second one.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        // Orders the caller's queue push before the state read, against the
        // parking worker's fence (README, "no lost wake-up"). A fence, not a
        // read-modify-write of `state`: the state's cache line stays shared
        // between busy workers instead of moving at every push.
        fence(SeqCst);
        if !self.should_wake(self.state.load(Acquire)) {
            return None;
        }
        let mut sleepers = crate::loom::lock(&self.sleepers);
        if !self.should_wake(self.state.load(Acquire)) {
            return None;
        }
        let idx = sleepers.pop()?;
        // The woken worker counts as unparked and searching from here, so
        // concurrent notifiers see a searcher and wake nobody else.
        self.state.fetch_add(1 | (1 << UNPARK_SHIFT), AcqRel);
        Some(idx)
    }

    /// The Go rule: wake only when nobody searches and somebody sleeps.
    fn should_wake(&self, s: usize) -> bool {
        num_searching(s) == 0 && num_unparked(s) < self.num_workers
    }

    /// A worker with nothing to do wants to steal. At most half the workers
    /// search at once; false means "do not search".
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.load(Acquire);
        if 2 * num_searching(s) >= self.num_workers {
            return false;
        }
        // Two workers may both pass the check: more than half searching for
        // a moment only costs contention, never a lost wake-up.
        self.state.fetch_add(1, AcqRel);
        true
    }

    /// A searching worker found work. True if it was the last searcher: the
    /// caller must then notify another worker, since more work may wait.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, AcqRel);
        debug_assert!(num_searching(prev) > 0);
        num_searching(prev) == 1
    }

    /// A worker is about to park. True if it was the last searcher: the
    /// caller must then re-check every queue before sleeping.
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = crate::loom::lock(&self.sleepers);
        let dec = (1 << UNPARK_SHIFT) + usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, AcqRel);
        debug_assert!(num_unparked(prev) > 0);
        sleepers.push(index);
        drop(sleepers);
        // Orders this state change before the caller's re-check of the
        // queues, against the notifier's fence (README, "no lost wake-up").
        fence(SeqCst);
        is_searching && num_searching(prev) == 1
    }

    /// A parked worker woke. True if a notifier took it out of the sleepers
    /// (it is now counted unparked and searching); false for a spurious
    /// wakeup (it is still parked).
    pub(crate) fn was_notified(&self, index: usize) -> bool {
        let sleepers = crate::loom::lock(&self.sleepers);
        !sleepers.contains(&index)
    }

    /// A parked worker leaves on its own (shutdown, or retiring): takes it out
    /// of the sleepers if it is still there, counting it unparked. True if it
    /// was still parked.
    pub(crate) fn remove_sleeper(&self, index: usize) -> bool {
        let mut sleepers = crate::loom::lock(&self.sleepers);
        if let Some(pos) = sleepers.iter().position(|&i| i == index) {
            sleepers.swap_remove(pos);
            self.state.fetch_add(1 << UNPARK_SHIFT, AcqRel);
            true
        } else {
            false
        }
    }
}
