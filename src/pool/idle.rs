//! Which workers are parked and which are searching for work: the decisions
//! behind "wake one parked worker only when nobody is already searching".
//! The protocol and its proof are in `pool/README.md`.

use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};

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
        // Orders the caller's queue push before the state read (see README,
        // "no lost wake-up").
        crate::loom::sync::atomic::fence(SeqCst);
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = crate::loom::lock(&self.sleepers);
        if !self.notify_should_wakeup() {
            return None;
        }
        let idx = sleepers.pop()?;
        self.state.fetch_add(1 | (1 << UNPARK_SHIFT), SeqCst);
        Some(idx)
    }

    fn notify_should_wakeup(&self) -> bool {
        let s = self.state.load(SeqCst);
        num_searching(s) == 0 && num_unparked(s) < self.num_workers
    }

    /// A worker with nothing to do wants to steal. At most half the workers
    /// search at once; false means "do not search".
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.load(SeqCst);
        if 2 * num_searching(s) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searching worker found work. True if it was the last searcher: the
    /// caller must then notify another worker, since more work may wait.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(num_searching(prev) > 0);
        num_searching(prev) == 1
    }

    /// A worker is about to park. True if it was the last searcher: the
    /// caller must then re-check every queue before sleeping.
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = crate::loom::lock(&self.sleepers);
        let dec = (1 << UNPARK_SHIFT) + usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        debug_assert!(num_unparked(prev) > 0);
        sleepers.push(index);
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
            self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
            true
        } else {
            false
        }
    }

    /// Every parked worker, for shutdown.
    pub(crate) fn sleepers(&self) -> Vec<usize> {
        crate::loom::lock(&self.sleepers).clone()
    }

    /// Workers searching for work now.
    pub(crate) fn searching(&self) -> usize {
        num_searching(self.state.load(SeqCst))
    }

    /// Workers not parked now.
    pub(crate) fn unparked(&self) -> usize {
        num_unparked(self.state.load(SeqCst))
    }
}
