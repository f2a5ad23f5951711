//! `CancellationTokenSource`: the side that requests cancellation.

use super::registration::CancellationTokenRegistration;
use super::state::Inner;
use super::token::CancellationToken;
use crate::loom::sync::Mutex;
use crate::task::AggregateError;
use std::fmt;
use std::sync::Arc;

/// A timer armed to cancel a source (`cancel_after`, which the time layer
/// implements): all the source does with it is disarm it.
pub(crate) trait ArmedTimer: Send + Sync {
    /// Disarms the timer; false if it fired already.
    fn disarm(self: Box<Self>) -> bool;
}

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
    pub(crate) inner: Arc<Inner>,
    /// The armed `cancel_after` timer.
    pub(crate) timer: Mutex<Option<Box<dyn ArmedTimer>>>,
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

    /// Makes the source reusable if cancellation was not requested: disarms
    /// `cancel_after` and unregisters every callback; false if cancellation
    /// was requested (or the timer already fired). C#: `TryReset()`.
    pub fn try_reset(&self) -> bool {
        if self.is_cancellation_requested() {
            return false;
        }
        {
            let mut slot = crate::loom::lock(&self.timer);
            if let Some(timer) = slot.take() {
                if !timer.disarm() {
                    // Fired: the cancellation is on its way.
                    return false;
                }
            }
        }
        self.inner.reset()
    }

    fn disarm(&self) {
        let timer = crate::loom::lock(&self.timer).take();
        if let Some(t) = timer {
            t.disarm();
        }
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
