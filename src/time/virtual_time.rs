//! Virtual time for tests: pause a runtime's clock, move it by hand, or let
//! it jump to the next deadline whenever the runtime is idle. C#: .NET 8's
//! `FakeTimeProvider` (`Advance`); Tokio's `time::pause`/`advance`.

use std::fmt;
use std::time::{Duration, Instant};

/// Why a clock operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClockError {
    /// The calling thread belongs to no runtime (enter one, or call from a
    /// task or `Runtime::block_on`).
    NoRuntime,
    /// `pause` on a clock already paused.
    AlreadyPaused,
    /// `resume` or `advance` on a clock that is not paused.
    NotPaused,
}

impl fmt::Display for ClockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClockError::NoRuntime => {
                "this thread belongs to no runtime: pause, resume and advance act on the current runtime's clock (call them from a task, Runtime::block_on, or inside Handle::enter)"
            }
            ClockError::AlreadyPaused => "the runtime's clock is already paused",
            ClockError::NotPaused => {
                "the runtime's clock is not paused (time::pause, or Builder::start_paused)"
            }
        })
    }
}

impl std::error::Error for ClockError {}

/// Pauses the current runtime's clock: [`now`] stands still, and every
/// timer armed on the runtime (delays, timeouts, `Task::delay`,
/// `cancel_after`, hyper's `Timer`) waits until the clock is moved — by
/// [`advance`], or by itself to the next deadline whenever nothing of the
/// runtime can run (auto-advance). A test of a 30 s timeout then takes
/// microseconds. C#: a `FakeTimeProvider` given to the code under test;
/// Tokio: `time::pause`.
///
/// ```
/// use std::time::{Duration, Instant};
/// let rt = tasklane::Runtime::new().unwrap();
/// let started = Instant::now();
/// rt.block_on(async {
///     tasklane::time::pause().unwrap();
///     let before = tasklane::time::now();
///     // Nothing else to run: the clock jumps straight to the deadline.
///     tasklane::time::delay(Duration::from_secs(30)).await;
///     assert!(tasklane::time::now() - before >= Duration::from_secs(30));
/// });
/// assert!(started.elapsed() < Duration::from_secs(5));
/// ```
pub fn pause() -> Result<(), ClockError> {
    current()?
        .pause()
        .then_some(())
        .ok_or(ClockError::AlreadyPaused)
}

/// The current runtime's clock.
fn current() -> Result<std::sync::Arc<super::clock::Clock>, ClockError> {
    super::clock::current().ok_or(ClockError::NoRuntime)
}

/// Lets the current runtime's paused clock run again at real speed, from
/// where it stands. Tokio: `time::resume`.
pub fn resume() -> Result<(), ClockError> {
    current()?
        .resume()
        .then_some(())
        .ok_or(ClockError::NotPaused)
}

/// Moves the current runtime's paused clock forward by `by`, firing every
/// timer due by then, earliest first (the tasks they wake run on the
/// runtime's workers). C#: `FakeTimeProvider.Advance`; Tokio:
/// `time::advance`.
///
/// ```
/// use std::time::Duration;
/// let rt = tasklane::Runtime::builder().start_paused(true).build().unwrap();
/// let _enter = rt.handle().enter();
/// // Only `advance` moves it (no jump while the test sets up).
/// tasklane::time::set_auto_advance(false).unwrap();
/// let timer = tasklane::Task::delay(Duration::from_secs(60));
/// tasklane::time::advance(Duration::from_secs(59)).unwrap();
/// assert!(!timer.is_completed());
/// tasklane::time::advance(Duration::from_secs(1)).unwrap();
/// assert!(timer.is_completed());
/// ```
pub fn advance(by: Duration) -> Result<(), ClockError> {
    let clock = current()?;
    if !clock.is_paused() {
        return Err(ClockError::NotPaused);
    }
    clock.advance(by);
    Ok(())
}

/// Turns auto-advance of the current runtime's clock on (the default) or
/// off: off, a paused clock moves only by [`advance`], as .NET's
/// `FakeTimeProvider` (whose `AutoAdvanceAmount` is zero by default).
pub fn set_auto_advance(on: bool) -> Result<(), ClockError> {
    current()?.set_auto_advance(on);
    Ok(())
}

/// True if the current runtime's clock is paused.
pub fn is_paused() -> bool {
    super::clock::current().is_some_and(|c| c.is_paused())
}

/// The current runtime's clock: the real `Instant::now()` unless the clock
/// is (or was) paused. Timers compare their deadlines with it. C#:
/// `TimeProvider.GetTimestamp`; Tokio: `time::Instant::now`.
pub fn now() -> Instant {
    match super::clock::current_virtual() {
        Some(clock) => clock.now(),
        None => Instant::now(),
    }
}
