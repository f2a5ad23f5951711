//! `Task::delay`: a task that completes after a time, as C#'s
//! `Task.Delay` returns one. A promise completed by the timer thread; no
//! pool work is involved until something awaits it.

use super::delay::deadline_after;
use super::driver::{self, Action, TimerKey};
use crate::cancel::{CancellationToken, CancellationTokenRegistration};
use crate::loom::sync::Mutex;
use crate::task::waiting::WaitWord;
use crate::task::{Task, TaskCompletionSource, TaskCreationOptions};
use std::sync::Arc;
use std::time::Duration;

/// Continuations never run on the timer thread.
const OPTIONS: TaskCreationOptions = TaskCreationOptions::RUN_CONTINUATIONS_ASYNCHRONOUSLY;

impl Task<()> {
    /// A task that completes after `duration` (never before it; about one
    /// millisecond after it at most, load permitting). A zero duration gives
    /// a completed task; one too large to represent never completes in
    /// practice (30 years). The timer holds the promise until it fires, so
    /// dropping every handle does not disarm it. C#: `Task.Delay(TimeSpan)`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tasklane::Task;
    /// let start = Instant::now();
    /// Task::delay(Duration::from_millis(15)).wait().unwrap();
    /// assert!(start.elapsed() >= Duration::from_millis(15));
    /// ```
    #[track_caller]
    pub fn delay(duration: Duration) -> Task<()> {
        if duration.is_zero() {
            return Task::completed();
        }
        let tcs = TaskCompletionSource::with_options(OPTIONS);
        let task = tcs.task();
        let deadline = deadline_after(duration);
        tcs.record_waiting(WaitWord::delay(crate::task::clock::deadline_ms(
            deadline,
            super::now(),
        )));
        if let Err(due) = driver::insert(deadline, Action::Complete(tcs)) {
            due.fire();
        }
        task
    }

    /// As [`delay`](Self::delay), but ends Canceled (with a
    /// [`CanceledError`](crate::CanceledError) carrying `token`) as soon as
    /// `token` is cancelled; its timer is disarmed and freed at that moment.
    /// An already-cancelled token gives a canceled task at once. C#:
    /// `Task.Delay(TimeSpan, CancellationToken)`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tasklane::{CancellationTokenSource, Task, TaskStatus};
    /// let cts = CancellationTokenSource::new();
    /// let delay = Task::delay_with_token(Duration::from_secs(3600), &cts.token());
    /// cts.cancel().unwrap();
    /// assert_eq!(delay.status(), TaskStatus::Canceled);
    /// ```
    #[track_caller]
    pub fn delay_with_token(duration: Duration, token: &CancellationToken) -> Task<()> {
        if token.is_cancellation_requested() {
            return Task::canceled_by(token.clone());
        }
        if !token.can_be_canceled() {
            return Task::delay(duration);
        }
        if duration.is_zero() {
            return Task::completed();
        }
        let tcs = TaskCompletionSource::with_options(OPTIONS);
        let task = tcs.task();
        let deadline = deadline_after(duration);
        tcs.record_waiting(WaitWord::delay(crate::task::clock::deadline_ms(
            deadline,
            super::now(),
        )));
        let promise = Arc::new(DelayPromise {
            tcs,
            token: token.clone(),
            parts: Mutex::new(Parts {
                timer: None,
                registration: None,
            }),
        });
        let p = promise.clone();
        let on_time = Action::Call(Box::new(move || p.timed_out()));
        match driver::insert(deadline, on_time) {
            Ok(key) => crate::loom::lock(&promise.parts).timer = Some(key),
            Err(due) => {
                due.fire();
                return task;
            }
        }
        let p = promise.clone();
        let registration = token.register_internal(move || p.canceled());
        let mut parts = crate::loom::lock(&promise.parts);
        if promise.tcs.is_completed() {
            // Fired or canceled meanwhile: nothing to keep registered.
            drop(parts);
            registration.unregister();
        } else {
            parts.registration = Some(registration);
        }
        task
    }
}

/// A delay with a token: the timer and the token race to complete it; the
/// winner disarms the other. C#: `Task.DelayPromiseWithCancellation`.
struct DelayPromise {
    tcs: TaskCompletionSource<()>,
    token: CancellationToken,
    parts: Mutex<Parts>,
}

struct Parts {
    timer: Option<TimerKey>,
    registration: Option<CancellationTokenRegistration>,
}

impl DelayPromise {
    /// On the timer thread.
    fn timed_out(&self) {
        self.tcs.try_set_result(());
        let registration = crate::loom::lock(&self.parts).registration.take();
        if let Some(r) = registration {
            // Without waiting: the token's callback may be running, and it
            // only touches this promise.
            r.unregister();
        }
    }

    /// On the thread that cancels the token.
    fn canceled(&self) {
        let (timer, registration) = {
            let mut parts = crate::loom::lock(&self.parts);
            (parts.timer.take(), parts.registration.take())
        };
        // Disarm before completing, so whoever the completion wakes finds
        // the timer already freed.
        if let Some(key) = timer {
            drop(driver::remove(key));
        }
        self.tcs.try_set_canceled_with(self.token.clone());
        if let Some(r) = registration {
            r.unregister();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The only unit test that arms timers, so the process-wide count is
    //! this test's alone.
    use super::super::{active_count, delay};
    use crate::{CancellationTokenSource, Task, TaskStatus};
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Waker};
    use std::time::Duration;

    #[test]
    fn timer_entries_are_freed_the_moment_they_are_not_needed() {
        let base = active_count();
        let cts = CancellationTokenSource::new();
        let t = Task::delay_with_token(Duration::from_secs(3600), &cts.token());
        assert_eq!(active_count(), base + 1);
        cts.cancel().unwrap();
        assert_eq!(t.status(), TaskStatus::Canceled);
        assert_eq!(active_count(), base, "cancel freed the entry at once");

        let mut d = delay(Duration::from_secs(3600));
        assert_eq!(active_count(), base, "an unpolled delay arms nothing");
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut d).poll(&mut cx).is_pending());
        assert_eq!(active_count(), base + 1);
        drop(d);
        assert_eq!(active_count(), base, "dropping a delay disarms it");

        let cts = CancellationTokenSource::new();
        cts.cancel_after(Duration::from_secs(3600));
        assert_eq!(active_count(), base + 1);
        drop(cts);
        assert_eq!(
            active_count(),
            base,
            "dropping the source disarms cancel_after"
        );
    }
}
