//! `Delay`: a future that completes at a deadline.

use super::driver::{self, Action, TimerKey};
use super::settings::FAR_FUTURE;
use super::wheel::Rescheduled;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Completes once its deadline has passed — never before it, and about one
/// millisecond (the timer's resolution) after it at most, load permitting.
/// The timer is armed on the first poll and disarmed when the delay
/// completes or is dropped, so an unpolled delay costs nothing.
///
/// `Delay` is `Unpin`: it can be stored in a struct and re-armed with
/// [`reset`](Self::reset), as a connection's idle timer is.
///
/// C#: awaiting `Task.Delay(TimeSpan)` (the future form; [`Task::delay`]
/// gives the task).
///
/// [`Task::delay`]: crate::Task::delay
#[must_use = "futures do nothing unless polled"]
pub struct Delay {
    deadline: Instant,
    state: State,
    /// The timer as tokio-console's resource (`runtime.resource`, kind
    /// `timer`).
    #[cfg(feature = "tokio-console")]
    span: tracing::Span,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    /// No timer armed yet (or since a reset).
    Unarmed,
    Armed(TimerKey),
    /// Completed: the deadline has passed.
    Done,
}

/// Completes after `duration`. A zero duration is complete at once; one too
/// large to add to now waits "forever" (30 years). C#: `await
/// Task.Delay(duration)`.
///
/// ```
/// use std::time::{Duration, Instant};
/// let start = Instant::now();
/// tasklane::block_on(tasklane::time::delay(Duration::from_millis(20)));
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// ```
#[track_caller]
pub fn delay(duration: Duration) -> Delay {
    let mut d = delay_until(deadline_after(duration));
    if duration.is_zero() {
        d.state = State::Done;
    }
    d
}

/// Completes at `deadline`. A deadline already passed completes on the
/// first poll, or soon after it (the timer thread fires it) if the timer
/// has not yet observed that instant: either way never before `deadline`.
/// C#: `Task.Delay` with the time left until `deadline`.
#[track_caller]
pub fn delay_until(deadline: Instant) -> Delay {
    Delay {
        deadline,
        state: State::Unarmed,
        #[cfg(feature = "tokio-console")]
        span: {
            let at = std::panic::Location::caller();
            tracing::trace_span!(
                target: "tasklane::time",
                "runtime.resource",
                concrete_type = "Delay",
                kind = "timer",
                is_internal = false,
                inherits_child_attrs = false,
                loc.file = at.file(),
                loc.line = at.line(),
                loc.col = at.column(),
            )
        },
    }
}

/// Now plus `duration`, or the far future if that overflows.
pub(crate) fn deadline_after(duration: Duration) -> Instant {
    let now = super::now();
    now.checked_add(duration)
        .or_else(|| now.checked_add(FAR_FUTURE))
        .unwrap_or(now)
}

impl Delay {
    /// The instant this delay completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.state == State::Done || super::now() >= self.deadline
    }

    /// Moves the deadline, earlier or later, before or after the delay
    /// completed. An armed timer is moved in place (its waker stays
    /// registered, so the task awaiting it is woken at the new deadline
    /// without polling again); if the new deadline has already passed, that
    /// waker is woken now. C#: like `Timer.Change` (a `Task.Delay` cannot be
    /// moved).
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        let State::Armed(key) = self.state else {
            self.state = State::Unarmed;
            return;
        };
        match driver::reschedule(key, deadline) {
            Rescheduled::Pending => {}
            Rescheduled::Due(action) => {
                self.state = State::Done;
                action.fire();
            }
            Rescheduled::Gone => self.state = State::Unarmed,
        }
    }
}

impl Future for Delay {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // The console sees the task poll its timer resource.
        #[cfg(feature = "tokio-console")]
        let span = this.span.clone();
        #[cfg(feature = "tokio-console")]
        let _in_resource = span.enter();
        let polled = this.poll_deadline(cx);
        if polled.is_pending() {
            crate::task::record_waiting(crate::task::waiting::WaitWord::delay(
                crate::task::clock::deadline_ms(this.deadline, super::now()),
            ));
        }
        polled
    }
}

impl Delay {
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let this = self;
        match this.state {
            State::Done => Poll::Ready(()),
            State::Armed(key) => {
                if driver::refresh_waker(key, cx.waker()) {
                    return Poll::Pending;
                }
                // Fired: its tick, at or after the deadline, has passed.
                this.state = State::Done;
                Poll::Ready(())
            }
            State::Unarmed => {
                match driver::insert(this.deadline, Action::Wake(cx.waker().clone())) {
                    Ok(key) => {
                        this.state = State::Armed(key);
                        Poll::Pending
                    }
                    Err(_) => {
                        this.state = State::Done;
                        Poll::Ready(())
                    }
                }
            }
        }
    }
}

impl Drop for Delay {
    fn drop(&mut self) {
        if let State::Armed(key) = self.state {
            drop(driver::remove(key));
        }
    }
}

impl fmt::Debug for Delay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delay")
            .field("deadline", &self.deadline)
            .field("armed", &matches!(self.state, State::Armed(_)))
            .finish()
    }
}
