//! `CancellationTokenSource::cancel_after` and `with_delay`: a source that
//! cancels itself on a timer. The cancellation layer knows only that a
//! timer may be armed (`cancel::source::ArmedTimer`); arming it on the
//! timer wheel, and cancelling on a pool thread when it fires, is here.

use crate::cancel::CancellationTokenSource;
use crate::cancel::source::ArmedTimer;
use crate::cancel::state::Inner;
use crate::diag::{ErrorOrigin, UnhandledError};
use crate::pool::Shared;
use crate::task::cell::Outcome;
use crate::task::schedule::Home;
use crate::task::spawn::{Spawn, Start};
use crate::task::{AggregateError, TaskCreationOptions, TaskError, TaskKind};
use crate::time::driver::{self, Action, TimerKey};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

/// The timer a source keeps while armed.
struct Armed(TimerKey);

impl ArmedTimer for Armed {
    fn disarm(self: Box<Self>) -> bool {
        driver::remove(self.0).is_some()
    }
}

impl CancellationTokenSource {
    /// A new source that cancels itself after `delay` (see
    /// [`cancel_after`](Self::cancel_after)). A zero delay makes a source
    /// that is canceled already, synchronously, as CoreCLR's constructor
    /// does (no callback can be registered yet, so nothing runs). C#: `new
    /// CancellationTokenSource(TimeSpan)`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tasklane::CancellationTokenSource;
    /// assert!(CancellationTokenSource::with_delay(Duration::ZERO).is_cancellation_requested());
    /// ```
    #[track_caller]
    pub fn with_delay(delay: Duration) -> CancellationTokenSource {
        let cts = CancellationTokenSource::new();
        if delay.is_zero() {
            // A brand-new source has no callbacks: nothing can fail.
            drop(cts.cancel());
        } else {
            cts.cancel_after(delay);
        }
        cts
    }

    /// Arms (or re-arms, replacing the previous deadline) a timer that
    /// cancels this source after `delay`. The cancellation, and so its
    /// callbacks, runs on a pool thread of the runtime current here (the
    /// default runtime outside any); callbacks' panics go to the
    /// unhandled-error handler (`diag::set_unhandled_error_handler`), naming
    /// this call's location. A delay too large to represent never fires (and
    /// disarms a pending one), as `Timeout.InfiniteTimeSpan` does in C#. No
    /// effect once cancellation was requested. C#: `CancelAfter(TimeSpan)`.
    #[track_caller]
    pub fn cancel_after(&self, delay: Duration) {
        if self.is_cancellation_requested() {
            return;
        }
        let at = Location::caller();
        let deadline = crate::time::now().checked_add(delay);
        let mut slot = crate::loom::lock(&self.timer);
        let previous = slot.take();
        let Some(deadline) = deadline else {
            drop(slot);
            if let Some(p) = previous {
                p.disarm();
            }
            return;
        };
        let inner = Arc::downgrade(&self.inner);
        let runtime = crate::runtime::Handle::try_current().map(|h| Arc::downgrade(h.shared()));
        let action = Action::Call(Box::new(move || cancel_on_pool(inner, runtime, at)));
        match driver::insert(deadline, action) {
            Ok(key) => *slot = Some(Box::new(Armed(key))),
            Err(action) => {
                drop(slot);
                action.fire();
            }
        }
        if let Some(p) = previous {
            p.disarm();
        }
    }
}

/// The `cancel_after` timer fired (on the timer thread): cancel on a pool
/// thread, as C#'s timer callbacks run on the pool, so user callbacks never
/// stall the timer thread.
fn cancel_on_pool(
    inner: Weak<Inner>,
    runtime: Option<Weak<Shared>>,
    at: &'static Location<'static>,
) {
    let Some(inner) = inner.upgrade() else {
        return;
    };
    if inner.is_cancellation_requested() {
        return;
    }
    let home = match runtime.map(|weak| weak.upgrade()) {
        Some(Some(shared)) => Home(shared),
        // The runtime that armed the timer is gone: cancel right here
        // rather than start another one.
        Some(None) => return report(inner.notify(false), at),
        // Armed outside any runtime: the default one, as C#'s pool.
        None => crate::runtime::current_home(),
    };
    let spawn = Spawn {
        home,
        options: TaskCreationOptions::DENY_CHILD_ATTACH,
        location: at,
        kind: TaskKind::Work,
        start: Start::Hot,
        name: None,
    };
    drop(spawn.spawn(CancelBody {
        inner: Some(inner),
        at,
    }));
}

/// Callbacks' panics in a cancellation nobody called: C# lets a timer
/// callback's exception crash the process; tasklane hands them to the
/// unhandled-error handler (whose policy may abort), naming where
/// `cancel_after` was called.
fn report(result: Result<(), AggregateError>, at: &'static Location<'static>) {
    if let Err(errors) = result {
        crate::diag::unhandled::report(&UnhandledError {
            error: TaskError::new(errors),
            origin: ErrorOrigin::CancellationCallback,
            location: at,
            task_id: crate::task::current_id(),
            context: None,
        });
    }
}

/// The pool work item of a fired `cancel_after`.
struct CancelBody {
    inner: Option<Arc<Inner>>,
    at: &'static Location<'static>,
}

impl Future for CancelBody {
    type Output = Outcome<()>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Outcome<()>> {
        let inner = self.inner.take().expect("a cancel work item runs once");
        report(inner.notify(false), self.at);
        Poll::Ready(Ok(()))
    }
}

impl Drop for CancelBody {
    fn drop(&mut self) {
        // Never run (its runtime shut down first): the source must still be
        // cancelled, so whatever awaits its tokens ends.
        if let Some(inner) = self.inner.take() {
            report(inner.notify(false), self.at);
        }
    }
}
