//! [`CountdownEvent`]: set once a count reaches zero.

use super::event::{AsyncManualResetEvent, EventWait};
use super::waits::{WaitKind, WaitSite};
use crate::cancel::spin_lock::SpinLock;
use std::fmt;
use std::time::Duration;

/// Misuse of a [`CountdownEvent`]: nothing changed. C#:
/// `InvalidOperationException`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CountdownError {
    /// `signal(n)` with more than the count left.
    SignalBelowZero {
        /// Signals asked for.
        signals: usize,
        /// What was left.
        remaining: usize,
    },
    /// `add_count` on an event already set (its count reached zero).
    AlreadySet,
}

impl fmt::Display for CountdownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CountdownError::SignalBelowZero { signals, remaining } => write!(
                f,
                "invalid attempt made to decrement the event's count below zero: {signals} signals with {remaining} left"
            ),
            CountdownError::AlreadySet => {
                f.write_str("the event is already set: its count reached zero; reset it first")
            }
        }
    }
}

impl std::error::Error for CountdownError {}

/// Counts signals down from an initial count; set (and stays set) when it
/// reaches zero: `wait_async` then completes.
///
/// ```
/// use std::sync::Arc;
/// use tasklane::sync::CountdownEvent;
/// use tasklane::Task;
///
/// let done = Arc::new(CountdownEvent::new(3));
/// for _ in 0..3 {
///     let done = done.clone();
///     Task::run(move || done.signal().unwrap()).forget();
/// }
/// tasklane::block_on(done.wait_async());
/// assert_eq!(done.current_count(), 0);
/// ```
///
/// C#: `System.Threading.CountdownEvent`.
pub struct CountdownEvent {
    count: SpinLock<(usize, usize)>,
    event: AsyncManualResetEvent,
}

impl CountdownEvent {
    /// An event to be signaled `initial` times (0: set at once).
    #[track_caller]
    pub fn new(initial: usize) -> CountdownEvent {
        CountdownEvent {
            count: SpinLock::new((initial, initial)),
            event: AsyncManualResetEvent::with_site(
                initial == 0,
                WaitSite::here(WaitKind::Countdown),
            ),
        }
    }

    /// Signals left. C#: `CurrentCount`.
    pub fn current_count(&self) -> usize {
        self.count.lock().0
    }

    /// The count it started from (or was last reset to). C#:
    /// `InitialCount`.
    pub fn initial_count(&self) -> usize {
        self.count.lock().1
    }

    /// True once the count reached zero. C#: `IsSet`.
    pub fn is_set(&self) -> bool {
        self.event.is_set()
    }

    /// One signal; true if it set the event. C#: `Signal()`.
    pub fn signal(&self) -> Result<bool, CountdownError> {
        self.signal_n(1)
    }

    /// `n` signals; true if they set the event. C#: `Signal(int)`.
    pub fn signal_n(&self, n: usize) -> Result<bool, CountdownError> {
        let reached = {
            let mut c = self.count.lock();
            if n > c.0 {
                return Err(CountdownError::SignalBelowZero {
                    signals: n,
                    remaining: c.0,
                });
            }
            c.0 -= n;
            c.0 == 0
        };
        if reached {
            self.event.set();
        }
        Ok(reached)
    }

    /// Adds `n` to the count, unless the event is already set. C#:
    /// `AddCount(int)` (`TryAddCount` is this returning an error).
    pub fn add_count(&self, n: usize) -> Result<(), CountdownError> {
        let mut c = self.count.lock();
        if c.0 == 0 {
            return Err(CountdownError::AlreadySet);
        }
        c.0 += n;
        Ok(())
    }

    /// Starts again from `count`. C#: `Reset(int)`.
    pub fn reset(&self, count: usize) {
        let mut c = self.count.lock();
        *c = (count, count);
        if count == 0 {
            drop(c);
            self.event.set();
        } else {
            self.event.reset();
        }
    }

    /// Waits until the count reaches zero.
    pub fn wait_async(&self) -> EventWait<'_> {
        self.event.wait_async()
    }

    /// Blocks until the count reaches zero. C#: `Wait()`.
    pub fn wait(&self) {
        self.event.wait()
    }

    /// Blocks at most `timeout`: true if the count reached zero. C#:
    /// `Wait(TimeSpan)`.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.event.wait_timeout(timeout)
    }
}

impl fmt::Debug for CountdownEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.count.lock();
        f.debug_struct("CountdownEvent")
            .field("current", &c.0)
            .field("initial", &c.1)
            .finish()
    }
}
