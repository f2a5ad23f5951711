//! The timer driver: sharded wheels, and the one thread that advances them
//! and fires what is due. See `README.md` for the protocol between threads
//! arming timers and the timer thread's sleep.

use super::settings::{MAX_SHARDS, THREAD_NAME, TICK};
use super::wheel::{EntryKey, Rescheduled, Wheel};
use crate::diag::ErrorOrigin;
use crate::diag::guard::{self, Site};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicU64, Ordering};
use crate::task::TaskCompletionSource;
use std::panic::Location;
use std::sync::OnceLock;
use std::task::Waker;
use std::time::{Duration, Instant};

/// The tick in nanoseconds (u64 arithmetic: division by a constant).
const TICK_NANOS: u64 = TICK.as_nanos() as u64;

/// A duration in nanoseconds, saturating (584 years).
fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}

/// What a timer does when it fires. Runs on the timer thread, so each is
/// short runtime code: user code reached from here (a cancellation's
/// callbacks) is queued to the pool instead.
pub(crate) enum Action {
    /// A `Delay` future: wake its task.
    Wake(Waker),
    /// `Task::delay`: complete the promise (its continuations run
    /// asynchronously, off this thread).
    Complete(TaskCompletionSource<()>),
    /// Anything else the runtime arms (`cancel_after`, a delay with a token).
    Call(Box<dyn FnOnce() + Send>),
}

impl Action {
    /// Runs the action. A panic (a waker's: user code) is contained and
    /// reported: the timer thread survives.
    pub(crate) fn fire(self) {
        let at = Location::caller();
        guard::contain(
            || Site::at(ErrorOrigin::Waker, at),
            move || match self {
                Action::Wake(w) => w.wake(),
                Action::Complete(tcs) => {
                    tcs.try_set_result(());
                }
                Action::Call(f) => f(),
            },
        );
    }
}

/// Names one armed timer of the wheels: its shard, and its entry there.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct WheelKey {
    shard: u32,
    entry: EntryKey,
}

/// Names one armed timer: in the wheels, or in a paused clock's queue
/// (`clock.rs`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum TimerKey {
    /// Armed in the process's wheels.
    Wheel(WheelKey),
    /// Armed in the queue of a runtime's virtual clock.
    Virtual(super::clock::VirtualKey),
}

/// One wheel and what the timer thread needs to know of it without the lock.
pub(crate) struct Shard {
    wheel: Mutex<Wheel<Action>>,
    /// A tick at or before the wheel's next expiration (`u64::MAX`: none).
    /// Lowered by `insert` under the lock; set exactly by the timer thread
    /// under the lock. Read without the lock by the timer thread's re-check.
    earliest: AtomicU64,
}

/// What one turn of the timer thread decided.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Sleep until this tick (`u64::MAX`: until woken).
    SleepUntil(u64),
    /// A timer was armed during the turn for a tick earlier than planned:
    /// turn again without sleeping.
    Again,
}

/// The wheels and the planned wake-up: everything of the driver but its
/// thread, so the protocol can be model-checked on its own.
pub(crate) struct Timers {
    start: Instant,
    shards: Box<[Shard]>,
    /// The tick the timer thread sleeps until (`u64::MAX`: until woken).
    /// Stored by the timer thread at the end of each turn; lowered by
    /// `insert`, which then wakes the thread.
    next_wake: AtomicU64,
}

/// What `Timers::insert` did.
pub(crate) enum Inserted {
    /// Armed. `wake_timer`: the thread sleeps past this timer's tick and
    /// must be woken.
    Armed { key: WheelKey, wake_timer: bool },
    /// The deadline's tick was already processed: the action is due now.
    Due(Action),
}

impl Timers {
    pub(crate) fn new(shards: usize, start: Instant) -> Timers {
        Timers {
            start,
            shards: (0..shards.max(1))
                .map(|_| Shard {
                    wheel: Mutex::new(Wheel::new()),
                    earliest: AtomicU64::new(u64::MAX),
                })
                .collect(),
            next_wake: AtomicU64::new(u64::MAX),
        }
    }

    /// The first tick at or after `deadline`: firing then is never early.
    pub(crate) fn tick_at_or_after(&self, deadline: Instant) -> u64 {
        nanos(deadline.saturating_duration_since(self.start)).div_ceil(TICK_NANOS)
    }

    /// The last tick boundary at or before `now`.
    pub(crate) fn tick_at_or_before(&self, now: Instant) -> u64 {
        nanos(now.saturating_duration_since(self.start)) / TICK_NANOS
    }

    fn instant_of(&self, tick: u64) -> Option<Instant> {
        self.start
            .checked_add(Duration::from_nanos(tick.checked_mul(TICK_NANOS)?))
    }

    fn shard(&self, key: WheelKey) -> &Shard {
        &self.shards[key.shard as usize]
    }

    /// Arms `action` for tick `when` in shard `shard`.
    pub(crate) fn insert(&self, shard: usize, when: u64, action: Action) -> Inserted {
        let index = shard % self.shards.len();
        let s = &self.shards[index];
        let mut wheel = crate::loom::lock(&s.wheel);
        let entry = match wheel.insert(when, action) {
            Ok(entry) => entry,
            Err(action) => return Inserted::Due(action),
        };
        if when < s.earliest.load(Ordering::Relaxed) {
            s.earliest.store(when, Ordering::SeqCst);
        }
        drop(wheel);
        Inserted::Armed {
            key: WheelKey {
                shard: index as u32,
                entry,
            },
            wake_timer: self.lower_next_wake(when),
        }
    }

    /// Disarms a timer; its action if it had not fired.
    pub(crate) fn remove(&self, key: WheelKey) -> Option<Action> {
        crate::loom::lock(&self.shard(key).wheel).remove(key.entry)
    }

    /// True if the timer is still armed, after making `waker` the one it
    /// wakes (a `Delay` polled again, maybe from another task).
    pub(crate) fn refresh_waker(&self, key: WheelKey, waker: &Waker) -> bool {
        let mut wheel = crate::loom::lock(&self.shard(key).wheel);
        match wheel.payload_mut(key.entry) {
            Some(Action::Wake(w)) => {
                if !w.will_wake(waker) {
                    let old = std::mem::replace(w, waker.clone());
                    drop(wheel);
                    drop(old);
                }
                true
            }
            Some(_) => true,
            None => false,
        }
    }

    /// Moves an armed timer to tick `when`.
    pub(crate) fn reschedule(&self, key: WheelKey, when: u64) -> (Rescheduled<Action>, bool) {
        let s = self.shard(key);
        let mut wheel = crate::loom::lock(&s.wheel);
        let r = wheel.reschedule(key.entry, when);
        if !matches!(r, Rescheduled::Pending) {
            return (r, false);
        }
        if when < s.earliest.load(Ordering::Relaxed) {
            s.earliest.store(when, Ordering::SeqCst);
        }
        drop(wheel);
        (r, self.lower_next_wake(when))
    }

    /// A timer was armed for tick `when` (its shard's `earliest` already
    /// lowered): true if the timer thread sleeps past it and must be woken.
    /// The SeqCst load pairs with the thread's store of its plan and re-read
    /// of `earliest` (README, "Arming a timer while the thread plans"); the
    /// read-modify-write happens only when the plan must change, so arming
    /// timers that are later than the plan touches no shared line for writing.
    fn lower_next_wake(&self, when: u64) -> bool {
        if when >= self.next_wake.load(Ordering::SeqCst) {
            return false;
        }
        when < self.next_wake.fetch_min(when, Ordering::SeqCst)
    }

    /// Armed timers, all shards.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| crate::loom::lock(&s.wheel).len())
            .sum()
    }

    /// One turn of the timer thread at tick `now`: fire everything due
    /// (outside the locks), then plan the next wake-up.
    pub(crate) fn turn(&self, now: u64, mut fire: impl FnMut(Action)) -> Plan {
        let mut due = Vec::new();
        let mut next = u64::MAX;
        for s in self.shards.iter() {
            let mut wheel = crate::loom::lock(&s.wheel);
            wheel.advance(now, &mut due);
            let earliest = wheel.next_expiration().map_or(u64::MAX, |e| e.deadline);
            s.earliest.store(earliest, Ordering::SeqCst);
            drop(wheel);
            next = next.min(earliest);
            due.drain(..).for_each(&mut fire);
        }
        // Publish the plan, then look again: a timer armed after its shard
        // was scanned either sees this plan (and wakes us if earlier) or is
        // seen here.
        self.next_wake.store(next, Ordering::SeqCst);
        let seen = self
            .shards
            .iter()
            .map(|s| s.earliest.load(Ordering::SeqCst))
            .min()
            .unwrap_or(u64::MAX);
        if seen < next {
            Plan::Again
        } else {
            Plan::SleepUntil(next)
        }
    }
}

/// The process-wide timer: its wheels and its thread.
struct Driver {
    timers: Timers,
    thread: std::thread::Thread,
}

static DRIVER: OnceLock<Driver> = OnceLock::new();

/// The timer driver, started on first use. One for the process, as .NET's
/// timer queues are: timers work the same from a pool task, a dispatcher,
/// `block_on` on a plain thread, or another executor, and a runtime's
/// shutdown never has to coordinate with them.
fn driver() -> &'static Driver {
    DRIVER.get_or_init(|| {
        let shards = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_SHARDS);
        let timers = Timers::new(shards, Instant::now());
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(|| driver().run())
            .expect("tasklane: could not start the timer thread");
        Driver {
            timers,
            thread: thread.thread().clone(),
        }
    })
}

impl Driver {
    fn run(&self) {
        loop {
            let now = Instant::now();
            let plan = self
                .timers
                .turn(self.timers.tick_at_or_before(now), Action::fire);
            let Plan::SleepUntil(tick) = plan else {
                continue;
            };
            match self.timers.instant_of(tick) {
                Some(at) if tick != u64::MAX => {
                    let now = Instant::now();
                    if at > now {
                        std::thread::park_timeout(at - now);
                    }
                }
                _ => std::thread::park(),
            }
        }
    }

    fn wake(&self, wake_timer: bool) {
        if wake_timer {
            self.thread.unpark();
        }
    }
}

thread_local! {
    /// The shard this thread arms its timers in.
    static SHARD: usize = {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    };
}

/// Arms `action` for `deadline`; hands it back if the deadline is due. On
/// a thread whose runtime's clock is virtual, in that clock's queue.
pub(crate) fn insert(deadline: Instant, action: Action) -> Result<TimerKey, Action> {
    if let Some(clock) = super::clock::current_virtual() {
        return clock.insert(deadline, action).map(TimerKey::Virtual);
    }
    let d = driver();
    let when = d.timers.tick_at_or_after(deadline);
    let shard = SHARD.try_with(|s| *s).unwrap_or(0);
    match d.timers.insert(shard, when, action) {
        Inserted::Armed { key, wake_timer } => {
            d.wake(wake_timer);
            Ok(TimerKey::Wheel(key))
        }
        Inserted::Due(action) => Err(action),
    }
}

/// Disarms a timer; its action if it had not fired.
pub(crate) fn remove(key: TimerKey) -> Option<Action> {
    match key {
        TimerKey::Wheel(key) => driver().timers.remove(key),
        TimerKey::Virtual(key) => super::clock::remove(key),
    }
}

/// True if the timer is still armed; it now wakes `waker`.
pub(crate) fn refresh_waker(key: TimerKey, waker: &Waker) -> bool {
    match key {
        TimerKey::Wheel(key) => driver().timers.refresh_waker(key, waker),
        TimerKey::Virtual(key) => super::clock::refresh_waker(key, waker),
    }
}

/// Moves an armed timer to `deadline`.
pub(crate) fn reschedule(key: TimerKey, deadline: Instant) -> Rescheduled<Action> {
    let key = match key {
        TimerKey::Wheel(key) => key,
        TimerKey::Virtual(key) => return super::clock::reschedule(key, deadline),
    };
    let d = driver();
    let (r, wake_timer) = d
        .timers
        .reschedule(key, d.timers.tick_at_or_after(deadline));
    d.wake(wake_timer);
    r
}

/// Timers armed now, in the whole process: `Delay`s being awaited,
/// `Task::delay`s not yet complete, armed `cancel_after`s. C#:
/// `Timer.ActiveCount`.
pub fn active_count() -> usize {
    DRIVER.get().map_or(0, |d| d.timers.len()) + super::clock::active_count()
}
