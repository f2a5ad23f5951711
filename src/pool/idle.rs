//! The pool's thread counts and the decisions they drive: wake one parked
//! worker only when nobody is searching and fewer workers run than the
//! goal; start a thread when none is parked; count blocked workers out of
//! the running ones; stand a surplus worker down; retire an idle one. The
//! protocol and its proof are in `pool/README.md`.
//!
//! # Implementation
//!
//! One 64-bit word holds the counts every hot decision reads together
//! (.NET packs its `ThreadCounts` the same way): searching workers, unparked
//! workers (threads not listed as sleepers), blocked workers (counted out
//! of the running ones: cooperative blocking, or a stall the supervisor
//! found), and the supervisor's "asleep" bit. *Running* = unparked −
//! blocked. The goal (how many should run) is a separate word: whoever
//! raises it notifies afterwards. The rare decisions (park, wake, start,
//! stand down, retire) happen under one lock that also holds the sleepers
//! list and the live thread count.

use super::slots::Padded;
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{
    AtomicU8, AtomicU64, AtomicUsize, Ordering::AcqRel, Ordering::Acquire, Ordering::Release,
    Ordering::SeqCst, fence,
};

const FIELD_MASK: u64 = 0xFFFF;
const SEARCH_ONE: u64 = 1;
const UNPARK_ONE: u64 = 1 << 16;
const BLOCKED_ONE: u64 = 1 << 32;
/// The supervisor sleeps until a worker unparks (see
/// [`Idle::supervisor_try_sleep`]).
const SUPERVISOR_ASLEEP: u64 = 1 << 63;

fn num_searching(s: u64) -> usize {
    (s & FIELD_MASK) as usize
}

fn num_unparked(s: u64) -> usize {
    ((s >> 16) & FIELD_MASK) as usize
}

fn num_blocked(s: u64) -> usize {
    ((s >> 32) & FIELD_MASK) as usize
}

/// Unparked workers not counted as blocked.
fn num_running(s: u64) -> usize {
    num_unparked(s).saturating_sub(num_blocked(s))
}

/// A worker's blocked state (the per-slot `block_state` byte). Who moves a
/// slot out of [`NOT_BLOCKED`] adds one to the blocked count *before* the
/// move; who moves it back subtracts one *after*; so the count never
/// underflows and ends at the number of blocked slots.
pub(crate) mod block_state {
    /// Not counted as blocked.
    pub(crate) const NOT_BLOCKED: u8 = 0;
    /// Inside `blocking(..)`, `wait()`, `block_on`: set and cleared by
    /// the worker itself.
    pub(crate) const COOPERATIVE: u8 = 1;
    /// Found by the supervisor stuck in a poll while its thread sleeps in
    /// the kernel, or in an announced section for a whole window: set and
    /// cleared by the supervisor (or taken over as COOPERATIVE by the
    /// worker, if it then announces blocking; cleared by the worker when
    /// its announced section ends).
    pub(crate) const PRESUMED: u8 = 2;
    /// Inside one of the runtime's own blocking sections (file syscalls,
    /// DNS): *not* counted, since most last microseconds; the supervisor
    /// counts it (as PRESUMED) once it has lasted a window. Set and
    /// cleared by the worker.
    pub(crate) const ANNOUNCED: u8 = 3;
}
use block_state::{ANNOUNCED, COOPERATIVE, NOT_BLOCKED, PRESUMED};

/// What a notifier must do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum NotifyAction {
    /// Nothing: a worker searches, enough run, or no thread may be added.
    Nothing,
    /// Unpark this parked worker (already counted unparked and searching).
    Wake(usize),
    /// Start a thread (already counted live, unparked and searching).
    Start,
}

/// A notifier's decision, and whether it must also wake the supervisor
/// (the first worker to unpark after the pool was idle wakes it, and so
/// does the notifier that first wants a thread past the allowance: the
/// supervisor times its delayed start).
#[must_use]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Notify {
    pub(crate) action: NotifyAction,
    pub(crate) wake_supervisor: bool,
}

impl Notify {
    const NOTHING: Notify = Notify {
        action: NotifyAction::Nothing,
        wake_supervisor: false,
    };
}

/// How a parked worker's idle timeout ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Retire {
    /// The thread left the pool; the goal went from `.0` to `.1`.
    Retired(usize, usize),
    /// A notifier took it out of the sleepers first: it has work.
    Notified,
    /// The pool is at its minimum: keep sleeping.
    Stay,
}

/// The counts, read together (diagnostics, the .NET surface).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) searching: usize,
    pub(crate) unparked: usize,
    pub(crate) blocked: usize,
    pub(crate) live: usize,
    pub(crate) goal: usize,
}

/// What only the lock holder touches.
struct Inner {
    /// Parked workers, by slot index.
    sleepers: Vec<usize>,
    /// Threads that exist: started (or reserved) and not retired.
    live: usize,
    min: usize,
    max: usize,
    /// Threads that may start at once beyond the goal, for blocked ones.
    without_delay: usize,
    /// A thread is wanted past the allowance: the supervisor starts it
    /// after the delay.
    wanted: bool,
}

pub(crate) struct Idle {
    /// Packed counts (see the module docs), on a cache line of its own: it
    /// changes at every search and park.
    state: Padded<AtomicU64>,
    /// Read-mostly, apart from `state`: read on every notify and global
    /// take, written only when the goal or the thread count changes.
    limits: Padded<Limits>,
    inner: Mutex<Inner>,
}

/// The goal and the live thread count, readable without the lock.
struct Limits {
    /// How many workers should run (not blocked, not parked).
    goal: AtomicUsize,
    /// `Inner::live`.
    live: AtomicUsize,
}

impl Idle {
    /// Counts for `workers` threads about to start (unparked), with the
    /// goal at `workers`.
    pub(crate) fn new(workers: usize, max: usize, without_delay: usize) -> Idle {
        Idle {
            state: Padded(AtomicU64::new(workers as u64 * UNPARK_ONE)),
            limits: Padded(Limits {
                goal: AtomicUsize::new(workers),
                live: AtomicUsize::new(workers),
            }),
            inner: Mutex::new(Inner {
                sleepers: Vec::with_capacity(workers),
                live: workers,
                min: workers,
                max: max.max(workers),
                without_delay,
                wanted: false,
            }),
        }
    }

    /// Work was queued that another worker could take. Decides whether a
    /// parked worker wakes or a thread starts for it: only when no worker
    /// is searching (a searcher will find the work) and fewer than the goal
    /// run. The woken (or started) worker is counted as unparked and
    /// searching before this returns, so concurrent notifiers see a
    /// searcher and do nothing.
    pub(crate) fn worker_to_notify(&self) -> Notify {
        // Orders the caller's queue push before the state read, against the
        // fence of a worker that parks or blocks (README, "no lost
        // wake-up"). A fence, not a read-modify-write of `state`: the
        // state's cache line stays shared between busy workers instead of
        // moving at every push.
        fence(SeqCst);
        if !self.should_wake(self.state.0.load(Acquire)) {
            return Notify::NOTHING;
        }
        let mut inner = crate::loom::lock(&self.inner);
        if !self.should_wake(self.state.0.load(Acquire)) {
            return Notify::NOTHING;
        }
        if let Some(index) = inner.sleepers.pop() {
            // The woken worker counts as unparked and searching from here,
            // so concurrent notifiers see a searcher and wake nobody else.
            let wake_supervisor = self.add_unparked(SEARCH_ONE | UNPARK_ONE);
            return Notify {
                action: NotifyAction::Wake(index),
                wake_supervisor,
            };
        }
        // Nobody parked and fewer than the goal run: the others are blocked.
        self.reserve_thread(&mut inner, false)
    }

    /// The Go rule, with the goal: wake only when nobody searches and fewer
    /// workers run than the pool aims at.
    fn should_wake(&self, s: u64) -> bool {
        num_searching(s) == 0 && num_running(s) < self.limits.0.goal.load(Acquire)
    }

    /// Counts a thread about to start (live, unparked, searching), if the
    /// maximum and the allowance permit; past the allowance (unless
    /// `delayed_ok`), leaves it to the supervisor's delayed start, waking
    /// the supervisor when the thread newly became wanted.
    fn reserve_thread(&self, inner: &mut Inner, delayed_ok: bool) -> Notify {
        if inner.live >= inner.max {
            return Notify::NOTHING;
        }
        let goal = self.limits.0.goal.load(Acquire);
        if !delayed_ok && inner.live >= goal + inner.without_delay {
            let newly = !std::mem::replace(&mut inner.wanted, true);
            return Notify {
                action: NotifyAction::Nothing,
                wake_supervisor: newly,
            };
        }
        inner.live += 1;
        self.limits.0.live.store(inner.live, Release);
        let wake_supervisor = self.add_unparked(SEARCH_ONE | UNPARK_ONE);
        Notify {
            action: NotifyAction::Start,
            wake_supervisor,
        }
    }

    /// The supervisor's delayed start of a thread wanted past the
    /// allowance, if one is still wanted.
    pub(crate) fn start_wanted(&self) -> Notify {
        let mut inner = crate::loom::lock(&self.inner);
        if !std::mem::take(&mut inner.wanted) {
            return Notify::NOTHING;
        }
        let s = self.state.0.load(Acquire);
        if !self.should_wake(s) || !inner.sleepers.is_empty() {
            return Notify::NOTHING;
        }
        self.reserve_thread(&mut inner, true)
    }

    /// True if a thread waits for the supervisor to start it.
    pub(crate) fn has_wanted(&self) -> bool {
        crate::loom::lock(&self.inner).wanted
    }

    /// Threads the pool may have without delaying further ones: the goal
    /// plus the allowance for blocked threads.
    pub(crate) fn allowance(&self) -> usize {
        self.goal() + crate::loom::lock(&self.inner).without_delay
    }

    /// A reserved thread could not start: takes its counts back.
    pub(crate) fn start_failed(&self) {
        let mut inner = crate::loom::lock(&self.inner);
        inner.live -= 1;
        self.limits.0.live.store(inner.live, Release);
        self.state.0.fetch_sub(SEARCH_ONE | UNPARK_ONE, AcqRel);
    }

    /// Adds `delta` to the packed counts; true if that woke the pool from
    /// idle while the supervisor slept (the caller must wake it; one caller
    /// wins).
    fn add_unparked(&self, delta: u64) -> bool {
        let prev = self.state.0.fetch_add(delta, AcqRel);
        prev & SUPERVISOR_ASLEEP != 0
            && self.state.0.fetch_and(!SUPERVISOR_ASLEEP, AcqRel) & SUPERVISOR_ASLEEP != 0
    }

    /// A worker with nothing to do wants to steal. At most half the running
    /// workers search at once; false means "do not search".
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.0.load(Acquire);
        if 2 * num_searching(s) >= num_running(s).max(1) {
            return false;
        }
        // Two workers may both pass the check: more than half searching for
        // a moment only costs contention, never a lost wake-up.
        self.state.0.fetch_add(SEARCH_ONE, AcqRel);
        true
    }

    /// A searching worker found work. True if it was the last searcher: the
    /// caller must then notify another worker, since more work may wait.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.0.fetch_sub(SEARCH_ONE, AcqRel);
        debug_assert!(num_searching(prev) > 0);
        num_searching(prev) == 1
    }

    /// A worker is about to park. True if it was the last searcher: the
    /// caller must then re-check every queue before sleeping.
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut inner = crate::loom::lock(&self.inner);
        let dec = UNPARK_ONE + if is_searching { SEARCH_ONE } else { 0 };
        let prev = self.state.0.fetch_sub(dec, AcqRel);
        debug_assert!(num_unparked(prev) > 0);
        inner.sleepers.push(index);
        drop(inner);
        // Orders this state change before the caller's re-check of the
        // queues, against the notifier's fence (README, "no lost wake-up").
        fence(SeqCst);
        is_searching && num_searching(prev) == 1
    }

    /// A running, non-searching worker that sees more workers running than
    /// the goal (blocked ones came back, or the goal fell) parks instead of
    /// taking more work: true if it did (it is listed as a sleeper). Decided
    /// with a compare-and-swap under the lock, so concurrent stand-downs
    /// never take the running count below the goal.
    pub(crate) fn try_stand_down(&self, index: usize) -> bool {
        let mut inner = crate::loom::lock(&self.inner);
        let mut s = self.state.0.load(Acquire);
        loop {
            if num_running(s) <= self.limits.0.goal.load(Acquire) {
                return false;
            }
            match self
                .state
                .0
                .compare_exchange(s, s - UNPARK_ONE, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        inner.sleepers.push(index);
        true
    }

    /// True if more workers run than the goal (a hint: the stand-down
    /// itself re-checks under the lock).
    pub(crate) fn is_surplus(&self) -> bool {
        num_running(self.state.0.load(Acquire)) > self.limits.0.goal.load(Acquire)
    }

    /// A parked worker woke. True if a notifier took it out of the sleepers
    /// (it is now counted unparked and searching); false for a spurious
    /// wakeup (it is still parked).
    pub(crate) fn was_notified(&self, index: usize) -> bool {
        let inner = crate::loom::lock(&self.inner);
        !inner.sleepers.contains(&index)
    }

    /// A parked worker leaves the sleepers on its own (shutdown, or work
    /// the I/O driver queued on it), counting itself unparked. Returns
    /// (it was still parked, the caller must wake the supervisor).
    pub(crate) fn remove_sleeper(&self, index: usize) -> (bool, bool) {
        let mut inner = crate::loom::lock(&self.inner);
        if let Some(pos) = inner.sleepers.iter().position(|&i| i == index) {
            inner.sleepers.swap_remove(pos);
            drop(inner);
            (true, self.add_unparked(UNPARK_ONE))
        } else {
            (false, false)
        }
    }

    /// A parked worker's idle timeout passed: it leaves the pool if the
    /// pool is above its minimum and nobody woke it meanwhile. The goal
    /// falls to what the remaining threads can run (not below the
    /// minimum), as .NET lowers it when a thread times out.
    pub(crate) fn try_retire(&self, index: usize) -> Retire {
        let mut inner = crate::loom::lock(&self.inner);
        let Some(pos) = inner.sleepers.iter().position(|&i| i == index) else {
            return Retire::Notified;
        };
        if inner.live <= inner.min {
            return Retire::Stay;
        }
        inner.sleepers.swap_remove(pos);
        inner.live -= 1;
        self.limits.0.live.store(inner.live, Release);
        let goal = self.limits.0.goal.load(Acquire);
        let to = goal.min(inner.live).max(inner.min);
        self.limits.0.goal.store(to, Release);
        Retire::Retired(goal, to)
    }

    /// True if the pool holds more threads than its minimum: parking
    /// workers then sleep with the idle timeout.
    pub(crate) fn above_min(&self) -> bool {
        let inner = crate::loom::lock(&self.inner);
        inner.live > inner.min
    }

    /// The worker in slot `slot` enters one of the runtime's own blocking
    /// sections: marked, not counted (see `block_state::ANNOUNCED`).
    pub(crate) fn announce_blocking(&self, slot: &AtomicU8) {
        // Fails only if the supervisor already counted this poll's stall.
        let _ = slot.compare_exchange(NOT_BLOCKED, ANNOUNCED, AcqRel, Acquire);
    }

    /// The worker in slot `slot` enters a blocking call (`blocking(..)`,
    /// `wait()`, `block_on`). True if it newly counts as blocked: the caller
    /// must then re-check the queues and notify (README, "blocking").
    pub(crate) fn enter_blocking(&self, slot: &AtomicU8) -> bool {
        // Counted before the slot says so (see `block_state`).
        self.state.0.fetch_add(BLOCKED_ONE, AcqRel);
        let prev = slot.swap(COOPERATIVE, AcqRel);
        if prev != NOT_BLOCKED {
            // The supervisor had already counted this stall.
            debug_assert_eq!(prev, PRESUMED);
            self.unblock();
            return false;
        }
        // Orders the new count before the caller's re-check of the queues,
        // against the notifier's fence, as a parking worker's fence does.
        fence(SeqCst);
        true
    }

    /// The worker in slot `slot` left its blocking call (or section).
    pub(crate) fn leave_blocking(&self, slot: &AtomicU8) {
        match slot.swap(NOT_BLOCKED, AcqRel) {
            COOPERATIVE | PRESUMED => self.unblock(),
            _ => {}
        }
    }

    /// The supervisor found the worker in `slot` stuck: asleep in the
    /// kernel in a poll (`from` = NOT_BLOCKED), or in an announced section
    /// for a window (`from` = ANNOUNCED). Counts it as blocked unless its
    /// state moved meanwhile. True if it now is (the caller re-checks the
    /// queues and notifies).
    pub(crate) fn presume_blocked(&self, slot: &AtomicU8, from: u8) -> bool {
        debug_assert!(from == NOT_BLOCKED || from == ANNOUNCED);
        self.state.0.fetch_add(BLOCKED_ONE, AcqRel);
        if slot
            .compare_exchange(from, PRESUMED, AcqRel, Acquire)
            .is_err()
        {
            self.unblock();
            return false;
        }
        fence(SeqCst);
        true
    }

    /// The supervisor saw a presumed-blocked worker make progress: counts
    /// it as running again (unless the worker took the count over).
    pub(crate) fn presumed_unblocked(&self, slot: &AtomicU8) {
        if slot
            .compare_exchange(PRESUMED, NOT_BLOCKED, AcqRel, Acquire)
            .is_ok()
        {
            self.unblock();
        }
    }

    fn unblock(&self) {
        let prev = self.state.0.fetch_sub(BLOCKED_ONE, AcqRel);
        debug_assert!(num_blocked(prev) > 0, "blocked count underflow");
    }

    /// The supervisor found the pool idle: sleeps (sets the asleep bit)
    /// only if no worker is unparked, so the next unpark sees the bit and
    /// wakes it. False if a worker is unparked.
    pub(crate) fn supervisor_try_sleep(&self) -> bool {
        let mut s = self.state.0.load(Acquire);
        loop {
            if num_unparked(s) > 0 {
                return false;
            }
            match self
                .state
                .0
                .compare_exchange(s, s | SUPERVISOR_ASLEEP, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
    }

    /// True while the supervisor's asleep bit is set (nobody unparked
    /// since it slept).
    pub(crate) fn supervisor_asleep(&self) -> bool {
        self.state.0.load(Acquire) & SUPERVISOR_ASLEEP != 0
    }

    /// The goal: how many workers should run.
    pub(crate) fn goal(&self) -> usize {
        self.limits.0.goal.load(Acquire)
    }

    /// Sets the goal within the limits; returns (old, new). The caller
    /// notifies afterwards if it rose.
    pub(crate) fn set_goal(&self, goal: usize) -> (usize, usize) {
        let inner = crate::loom::lock(&self.inner);
        let to = goal.clamp(inner.min, inner.max);
        (self.limits.0.goal.swap(to, AcqRel), to)
    }

    /// The minimum and maximum thread counts.
    pub(crate) fn limits(&self) -> (usize, usize) {
        let inner = crate::loom::lock(&self.inner);
        (inner.min, inner.max)
    }

    /// Sets the minimum (raising the goal to it) or the maximum (lowering
    /// the goal to it); the caller has validated `min <= max`.
    pub(crate) fn set_limits(&self, min: usize, max: usize) -> (usize, usize) {
        let mut inner = crate::loom::lock(&self.inner);
        inner.min = min;
        inner.max = max;
        let goal = self.limits.0.goal.load(Acquire);
        let to = goal.clamp(min, max);
        self.limits.0.goal.store(to, Release);
        (goal, to)
    }

    /// The pool can do nothing more by itself: it has its maximum thread
    /// count and every thread is counted blocked (waiting, sleeping in a
    /// `blocking` section, or stalled in a poll). Work queued now runs only
    /// when one of them returns.
    pub(crate) fn is_exhausted(&self) -> bool {
        let inner = crate::loom::lock(&self.inner);
        inner.live >= inner.max && num_blocked(self.state.0.load(Acquire)) >= inner.live
    }

    /// Threads that exist now.
    pub(crate) fn live(&self) -> usize {
        self.limits.0.live.load(Acquire)
    }

    /// Every count at once.
    pub(crate) fn counts(&self) -> Counts {
        let s = self.state.0.load(Acquire);
        Counts {
            searching: num_searching(s),
            unparked: num_unparked(s),
            blocked: num_blocked(s),
            live: self.live(),
            goal: self.goal(),
        }
    }
}
