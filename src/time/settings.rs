//! Every constant of the timer, with its unit and why.

use std::time::Duration;

/// Length of one tick: the timer's resolution. A timer fires at the first
/// tick boundary at or after its deadline, so never early and at most about
/// one tick (plus the OS's wake-up latency) late. 1 ms, as Tokio's and .NET's
/// timers (which run on 1 ms / 15.6 ms clocks).
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Bits of a tick count each wheel level covers: 64 slots per level, so a
/// level's occupied slots fit one `u64` bitmap.
pub(crate) const LEVEL_BITS: u32 = 6;

/// Slots per level.
pub(crate) const SLOTS: usize = 1 << LEVEL_BITS;

/// Levels of the wheel. Six levels of 64 slots cover 2^36 ticks (about 2.2
/// years at 1 ms); a timer further out waits in the top level and is placed
/// again each time its slot comes round.
pub(crate) const LEVELS: usize = 6;

/// Ticks the wheel can place exactly: one rotation of the top level.
pub(crate) const MAX_SPAN: u64 = 1 << (LEVEL_BITS as u64 * LEVELS as u64);

/// At most this many wheels (shards), each behind its own lock; a thread
/// always uses the same one. Default: one per CPU up to 16, as .NET keeps one
/// timer queue per processor, so threads arming timers at once rarely meet
/// on a lock.
pub(crate) const MAX_SHARDS: usize = 16;

/// How far ahead a delay "forever" (a `Duration` too large to add to now)
/// is placed: 30 years, like Tokio's far future. It still never fires in
/// practice, and `Delay::deadline` stays a real `Instant`.
pub(crate) const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// Name of the timer thread.
pub(crate) const THREAD_NAME: &str = "tasklane-timer";

/// How often a paused clock's helper thread looks whether its runtime has
/// gone idle, so it can jump to the next deadline (auto-advance). Short:
/// each look is one atomic read of the pool's counts and a queue check,
/// and a test waiting on a paused timer waits about this long per jump.
pub(crate) const AUTO_ADVANCE_POLL: Duration = Duration::from_micros(200);

/// A runtime seen idle is looked at again this much later before the
/// clock jumps: a task woken between the two looks (by I/O, by another
/// thread) is seen running, and time does not jump past work in flight.
pub(crate) const AUTO_ADVANCE_SETTLE: Duration = Duration::from_micros(50);
