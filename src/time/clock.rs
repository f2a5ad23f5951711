//! Each runtime's clock: real time, until a test pauses it. C#: .NET 8's
//! `TimeProvider`, with `FakeTimeProvider` for tests; Tokio's
//! `time::pause`.
//!
//! A paused clock stands still: `time::now()` reads the same instant, and
//! every timer armed on the runtime's threads (a `Delay`, a timeout,
//! `Task::delay`, `cancel_after`, hyper's `Timer`) goes into the clock's
//! own queue instead of the process's wheels. The queue moves only when
//! the test moves it (`time::advance`), or by itself when nothing of the
//! runtime can run any more (auto-advance): then the clock jumps to the
//! earliest deadline and fires what is due there. A 30 s timeout is tested
//! in microseconds, in order, without sleeping.
//!
//! Resumed, the clock runs at real speed from where it stood; its queue
//! is served by the same helper thread, in real time.
//!
//! "Nothing can run" means: every worker of the runtime is parked or
//! blocked in a wait, nothing is queued, and no `block_on` of the runtime
//! is polling its future; seen twice, `AUTO_ADVANCE_SETTLE` apart (a task
//! woken between two looks is seen running).

use super::driver::Action;
use super::settings::{AUTO_ADVANCE_POLL, AUTO_ADVANCE_SETTLE};
use super::wheel::Rescheduled;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::task::Waker;
use std::time::{Duration, Instant};

/// Names a timer armed in a virtual clock's queue.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct VirtualKey {
    clock: u64,
    seq: u64,
}

/// Says whether nothing of a runtime can run (its pool implements it).
pub(crate) trait Quiescence: Send + Sync {
    /// Every worker parked or blocked in a wait, nothing queued.
    fn is_quiescent(&self) -> bool;
}

/// A runtime's clock.
pub(crate) struct Clock {
    id: u64,
    /// Paused at least once: timers armed under it go to its queue.
    is_virtual: AtomicBool,
    state: Mutex<State>,
    quiescence: OnceLock<Weak<dyn Quiescence>>,
    /// `block_on` calls polling their future under this clock.
    polling: AtomicUsize,
    /// Jump to the next deadline when idle while paused (default on).
    auto_advance: AtomicBool,
    /// The helper thread, once started.
    helper: OnceLock<std::thread::Thread>,
}

struct State {
    /// Stands still (paused).
    frozen: bool,
    /// The clock's reading at `since` (real), or while frozen.
    at: Instant,
    since: Instant,
    timers: BTreeMap<(Instant, u64), Action>,
    deadlines: HashMap<u64, Instant>,
    next_seq: u64,
}

impl State {
    fn now(&self) -> Instant {
        if self.frozen {
            self.at
        } else {
            self.at + self.since.elapsed()
        }
    }

    /// Takes the timers due at `now`, earliest first.
    fn take_due(&mut self, now: Instant) -> Vec<Action> {
        let mut due = Vec::new();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, seq), action) = entry.remove_entry();
            self.deadlines.remove(&seq);
            due.push(action);
        }
        due
    }
}

/// The virtual clocks of the process, by id (for the keys' lookups).
static CLOCKS: Mutex<Vec<(u64, Weak<Clock>)>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Clock {
    pub(crate) fn new() -> Arc<Clock> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let now = Instant::now();
        Arc::new(Clock {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            is_virtual: AtomicBool::new(false),
            state: Mutex::new(State {
                frozen: false,
                at: now,
                since: now,
                timers: BTreeMap::new(),
                deadlines: HashMap::new(),
                next_seq: 0,
            }),
            quiescence: OnceLock::new(),
            polling: AtomicUsize::new(0),
            auto_advance: AtomicBool::new(true),
            helper: OnceLock::new(),
        })
    }

    /// Tells the clock how to see that its runtime is idle.
    pub(crate) fn set_quiescence(&self, q: Weak<dyn Quiescence>) {
        let _ = self.quiescence.set(q);
    }

    fn is_virtual(&self) -> bool {
        self.is_virtual.load(Ordering::Acquire)
    }

    /// The clock's reading.
    pub(crate) fn now(&self) -> Instant {
        if !self.is_virtual() {
            return Instant::now();
        }
        lock(&self.state).now()
    }

    /// True while paused.
    pub(crate) fn is_paused(&self) -> bool {
        self.is_virtual() && lock(&self.state).frozen
    }

    /// Stops the clock; false if it was already stopped.
    pub(crate) fn pause(self: &Arc<Clock>) -> bool {
        let mut s = lock(&self.state);
        if self.is_virtual() && s.frozen {
            return false;
        }
        s.at = if self.is_virtual() {
            s.now()
        } else {
            Instant::now()
        };
        s.frozen = true;
        drop(s);
        if !self.is_virtual.swap(true, Ordering::AcqRel) {
            lock(&CLOCKS).push((self.id, Arc::downgrade(self)));
        }
        self.start_helper();
        true
    }

    /// Lets the clock run at real speed from where it stands; false if it
    /// was not paused.
    pub(crate) fn resume(&self) -> bool {
        let mut s = lock(&self.state);
        if !(self.is_virtual() && s.frozen) {
            return false;
        }
        s.frozen = false;
        s.since = Instant::now();
        drop(s);
        self.wake_helper();
        true
    }

    /// Moves the clock forward by `by`, firing every timer due by then,
    /// earliest first.
    pub(crate) fn advance(&self, by: Duration) {
        let mut s = lock(&self.state);
        let target = s.now() + by;
        s.at = target;
        s.since = Instant::now();
        let due = s.take_due(target);
        drop(s);
        for action in due {
            action.fire();
        }
    }

    pub(crate) fn insert(&self, deadline: Instant, action: Action) -> Result<VirtualKey, Action> {
        let mut s = lock(&self.state);
        if deadline <= s.now() {
            return Err(action);
        }
        let seq = s.next_seq;
        s.next_seq += 1;
        s.timers.insert((deadline, seq), action);
        s.deadlines.insert(seq, deadline);
        drop(s);
        self.wake_helper();
        Ok(VirtualKey {
            clock: self.id,
            seq,
        })
    }

    fn len(&self) -> usize {
        lock(&self.state).timers.len()
    }

    /// A `block_on` of this clock's runtime polls its future while the
    /// guard lives (the runtime is not idle then).
    pub(crate) fn polling(self: &Arc<Clock>) -> PollingGuard {
        self.polling.fetch_add(1, Ordering::SeqCst);
        PollingGuard(self.clone())
    }

    fn start_helper(self: &Arc<Clock>) {
        let weak = Arc::downgrade(self);
        let _ = self.helper.get_or_init(|| {
            std::thread::Builder::new()
                .name("tasklane-virtual-time".to_owned())
                .spawn(move || helper(weak))
                .expect("tasklane: could not start the virtual time thread")
                .thread()
                .clone()
        });
    }

    fn wake_helper(&self) {
        if let Some(t) = self.helper.get() {
            t.unpark();
        }
    }

    /// Turns auto-advance on or off.
    pub(crate) fn set_auto_advance(&self, on: bool) {
        self.auto_advance.store(on, Ordering::SeqCst);
        self.wake_helper();
    }

    fn quiescent(&self) -> bool {
        self.auto_advance.load(Ordering::SeqCst)
            && self.polling.load(Ordering::SeqCst) == 0
            && self
                .quiescence
                .get()
                .and_then(Weak::upgrade)
                .is_none_or(|q| q.is_quiescent())
    }
}

/// Counts a polling `block_on` while it lives.
pub(crate) struct PollingGuard(Arc<Clock>);

impl Drop for PollingGuard {
    fn drop(&mut self) {
        self.0.polling.fetch_sub(1, Ordering::SeqCst);
        self.0.wake_helper();
    }
}

/// The helper thread of a virtual clock: auto-advance while paused, real
/// time while resumed. Ends when the clock is dropped.
fn helper(clock: Weak<Clock>) {
    loop {
        let Some(c) = clock.upgrade() else { return };
        let mut s = lock(&c.state);
        let Some((&(next, _), _)) = s.timers.first_key_value() else {
            drop(s);
            drop(c);
            std::thread::park_timeout(AUTO_ADVANCE_POLL * 10);
            continue;
        };
        if !s.frozen {
            let now = s.now();
            if next <= now {
                let due = s.take_due(now);
                drop(s);
                due.into_iter().for_each(Action::fire);
            } else {
                drop(s);
                drop(c);
                std::thread::park_timeout((next - now).min(AUTO_ADVANCE_POLL * 10));
            }
            continue;
        }
        drop(s);
        // Paused: jump to the next deadline once nothing can run, seen
        // twice a settle apart.
        if c.quiescent() {
            std::thread::sleep(AUTO_ADVANCE_SETTLE);
            if c.quiescent() {
                let mut s = lock(&c.state);
                let next = s.timers.first_key_value().map(|(&(at, _), _)| at);
                if let (true, Some(next)) = (s.frozen, next) {
                    s.at = s.at.max(next);
                    let due = s.take_due(next);
                    drop(s);
                    due.into_iter().for_each(Action::fire);
                }
                continue;
            }
        }
        drop(c);
        std::thread::park_timeout(AUTO_ADVANCE_POLL);
    }
}

fn find(id: u64) -> Option<Arc<Clock>> {
    let mut clocks = lock(&CLOCKS);
    clocks.retain(|(_, w)| w.strong_count() > 0);
    clocks
        .iter()
        .find(|(i, _)| *i == id)
        .and_then(|(_, w)| w.upgrade())
}

/// Disarms a virtual timer; its action if it had not fired.
pub(crate) fn remove(key: VirtualKey) -> Option<Action> {
    let clock = find(key.clock)?;
    let mut s = lock(&clock.state);
    let deadline = s.deadlines.remove(&key.seq)?;
    s.timers.remove(&(deadline, key.seq))
}

/// True if the virtual timer is still armed; it now wakes `waker`.
pub(crate) fn refresh_waker(key: VirtualKey, waker: &Waker) -> bool {
    let Some(clock) = find(key.clock) else {
        return false;
    };
    let mut s = lock(&clock.state);
    let Some(&deadline) = s.deadlines.get(&key.seq) else {
        return false;
    };
    if let Some(Action::Wake(w)) = s.timers.get_mut(&(deadline, key.seq)) {
        if !w.will_wake(waker) {
            *w = waker.clone();
        }
    }
    true
}

/// Moves a virtual timer to `deadline`.
pub(crate) fn reschedule(key: VirtualKey, deadline: Instant) -> Rescheduled<Action> {
    let Some(clock) = find(key.clock) else {
        return Rescheduled::Gone;
    };
    let mut s = lock(&clock.state);
    let Some(old) = s.deadlines.remove(&key.seq) else {
        return Rescheduled::Gone;
    };
    let Some(action) = s.timers.remove(&(old, key.seq)) else {
        return Rescheduled::Gone;
    };
    if deadline <= s.now() {
        return Rescheduled::Due(action);
    }
    s.timers.insert((deadline, key.seq), action);
    s.deadlines.insert(key.seq, deadline);
    drop(s);
    clock.wake_helper();
    Rescheduled::Pending
}

/// Timers armed in virtual clocks.
pub(crate) fn active_count() -> usize {
    let clocks: Vec<Arc<Clock>> = lock(&CLOCKS)
        .iter()
        .filter_map(|(_, w)| w.upgrade())
        .collect();
    clocks.iter().map(|c| c.len()).sum()
}

thread_local! {
    /// The clock of the runtime this thread belongs to or entered.
    static CURRENT: RefCell<Option<Arc<Clock>>> = const { RefCell::new(None) };
}

/// Makes `clock` this thread's until the guard drops.
pub(crate) fn enter(clock: Arc<Clock>) -> EnterClock {
    EnterClock(CURRENT.with(|c| c.borrow_mut().replace(clock)))
}

/// Restores the thread's previous clock.
pub(crate) struct EnterClock(Option<Arc<Clock>>);

impl Drop for EnterClock {
    fn drop(&mut self) {
        let prev = self.0.take();
        // Ignored during thread teardown (the slot is gone).
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

/// This thread's clock, if its runtime's clock is virtual.
#[inline]
pub(crate) fn current_virtual() -> Option<Arc<Clock>> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().filter(|c| c.is_virtual()).cloned())
        .ok()
        .flatten()
}

/// This thread's clock.
pub(crate) fn current() -> Option<Arc<Clock>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}
