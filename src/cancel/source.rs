//! `CancellationTokenSource`: the side that requests cancellation.

use super::registration::CancellationTokenRegistration;
use super::state::Inner;
use super::token::CancellationToken;
use crate::diag::{ErrorOrigin, UnhandledError};
use crate::loom::sync::Mutex;
use crate::pool::Shared;
use crate::task::cell::Outcome;
use crate::task::header::TaskKind;
use crate::task::schedule::Home;
use crate::task::spawn::{Spawn, Start};
use crate::task::{AggregateError, TaskCreationOptions, TaskError};
use crate::time::driver::{self, Action, TimerKey};
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Requests cancellation of the work holding its tokens. Call
/// [`cancel`](Self::cancel) (or arm [`cancel_after`](Self::cancel_after));
/// hand out [`token`](Self::token)s. Share a source between threads in an
/// `Arc`.
///
/// Dropping the source is C#'s `Dispose`: its `cancel_after` timer is
/// disarmed, a linked source unlinks from its parents, and its callbacks are
/// dropped unrun, since nothing can cancel it any more.
///
/// ```
/// use tasklane::{CancellationTokenSource, Task, block_on};
/// use std::time::Duration;
///
/// let cts = CancellationTokenSource::new();
/// let delay = Task::delay_with_token(Duration::from_secs(3600), &cts.token());
/// cts.cancel().unwrap();
/// assert!(delay.wait().unwrap_err().is_canceled());
/// ```
///
/// C#: `System.Threading.CancellationTokenSource`.
pub struct CancellationTokenSource {
    pub(super) inner: Arc<Inner>,
    /// The armed `cancel_after` timer.
    timer: Mutex<Option<TimerKey>>,
    /// A linked source's registrations on its parents.
    pub(super) links: Vec<CancellationTokenRegistration>,
}

impl CancellationTokenSource {
    /// A new source, not cancelled. C#: `new CancellationTokenSource()`.
    pub fn new() -> CancellationTokenSource {
        CancellationTokenSource {
            inner: Arc::new(Inner::new()),
            timer: Mutex::new(None),
            links: Vec::new(),
        }
    }

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

    /// A token observing this source. C#: `CancellationTokenSource.Token`.
    pub fn token(&self) -> CancellationToken {
        CancellationToken::from_inner(self.inner.clone())
    }

    /// True once cancellation was requested. C#:
    /// `CancellationTokenSource.IsCancellationRequested`.
    pub fn is_cancellation_requested(&self) -> bool {
        self.inner.is_cancellation_requested()
    }

    /// Requests cancellation: runs every registered callback, last
    /// registered first, on this thread, then returns an [`AggregateError`]
    /// holding every callback's panic (none: `Ok`). Only the first call does
    /// anything; later or concurrent calls return `Ok` at once. C#:
    /// `CancellationTokenSource.Cancel()`.
    pub fn cancel(&self) -> Result<(), AggregateError> {
        self.cancel_with(false)
    }

    /// As [`cancel`](Self::cancel); with `throw_on_first_exception`, stops
    /// at the first callback that panics and reports only that one: the
    /// remaining user callbacks never run (tasklane still wakes the awaiters
    /// of the token, so nothing hangs). C#: `Cancel(bool)`.
    pub fn cancel_with(&self, throw_on_first_exception: bool) -> Result<(), AggregateError> {
        let result = self.inner.notify(throw_on_first_exception);
        self.disarm();
        result
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
        let deadline = Instant::now().checked_add(delay);
        let mut slot = crate::loom::lock(&self.timer);
        let previous = slot.take().and_then(driver::remove);
        let Some(deadline) = deadline else {
            drop(slot);
            drop(previous);
            return;
        };
        let inner = Arc::downgrade(&self.inner);
        let runtime = crate::runtime::Handle::try_current().map(|h| Arc::downgrade(h.shared()));
        let action = Action::Call(Box::new(move || cancel_on_pool(inner, runtime, at)));
        match driver::insert(deadline, action) {
            Ok(key) => *slot = Some(key),
            Err(action) => {
                drop(slot);
                action.fire();
            }
        }
        drop(previous);
    }

    /// Makes the source reusable if cancellation was not requested: disarms
    /// `cancel_after` and unregisters every callback; false if cancellation
    /// was requested (or the timer already fired). C#: `TryReset()`.
    pub fn try_reset(&self) -> bool {
        if self.is_cancellation_requested() {
            return false;
        }
        {
            let mut slot = crate::loom::lock(&self.timer);
            if let Some(key) = slot.take() {
                if driver::remove(key).is_none() {
                    // Fired: the cancellation is on its way.
                    return false;
                }
            }
        }
        self.inner.reset()
    }

    fn disarm(&self) {
        let key = crate::loom::lock(&self.timer).take();
        drop(key.and_then(driver::remove));
    }
}

impl Default for CancellationTokenSource {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for CancellationTokenSource {
    fn drop(&mut self) {
        self.disarm();
        // A linked source unlinks (each drop waits for a link callback
        // running on another thread, as C#'s Dispose does).
        self.links.clear();
        self.inner.dispose();
    }
}

impl fmt::Debug for CancellationTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationTokenSource")
            .field("requested", &self.is_cancellation_requested())
            .field("linked_parents", &self.links.len())
            .finish()
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
