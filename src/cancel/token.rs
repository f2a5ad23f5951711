//! `CancellationToken`: the observing side of a source.

use super::callbacks::Callback;
use super::future::{Cancelled, RunUntilCancelled};
use super::registration::CancellationTokenRegistration;
use super::small_fn::SmallFn;
use super::state::{Inner, Registered};
use crate::flow::ExecutionContext;
use crate::task::CanceledError;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Observes one [`CancellationTokenSource`](super::CancellationTokenSource):
/// ask whether cancellation was requested, register callbacks, await it, or
/// pass it to work that should stop when it fires. Cloning is cheap; clones
/// are equal and observe the same source. The default token is
/// [`none`](Self::none).
///
/// ```
/// use tasklane::CancellationTokenSource;
///
/// let cts = CancellationTokenSource::new();
/// let token = cts.token();
/// let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
/// let (a, b) = (log.clone(), log.clone());
/// let _first = token.register(move || a.lock().unwrap().push("first"));
/// let _second = token.register(move || b.lock().unwrap().push("second"));
/// cts.cancel().unwrap();
/// // Callbacks run last registered first, on the thread that cancels.
/// assert_eq!(*log.lock().unwrap(), ["second", "first"]);
/// assert!(token.is_cancellation_requested());
/// ```
///
/// C#: `System.Threading.CancellationToken`.
#[derive(Clone, Default)]
pub struct CancellationToken {
    inner: Option<Arc<Inner>>,
}

impl CancellationToken {
    /// A token that can never be cancelled: `can_be_canceled()` is false,
    /// callbacks registered on it are dropped unrun, and awaiting it never
    /// ends. C#: `CancellationToken.None`.
    pub const fn none() -> CancellationToken {
        CancellationToken { inner: None }
    }

    /// A token that is already cancelled (`true`), or [`none`](Self::none)
    /// (`false`). C#: `new CancellationToken(bool canceled)`.
    pub fn new(canceled: bool) -> CancellationToken {
        if canceled {
            CancellationToken::from_inner(Arc::new(Inner::new_canceled()))
        } else {
            CancellationToken::none()
        }
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> CancellationToken {
        CancellationToken { inner: Some(inner) }
    }

    pub(crate) fn inner(&self) -> Option<&Arc<Inner>> {
        self.inner.as_ref()
    }

    /// True once cancellation was requested of the source (from the moment
    /// its `cancel()` begins running callbacks). C#:
    /// `CancellationToken.IsCancellationRequested`.
    #[inline]
    pub fn is_cancellation_requested(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| i.is_cancellation_requested())
    }

    /// True if the token has a source and so may be cancelled; false for
    /// [`none`](Self::none). As in C#, it stays true after the source is
    /// dropped. C#: `CancellationToken.CanBeCanceled`.
    pub fn can_be_canceled(&self) -> bool {
        self.inner.is_some()
    }

    /// Registers `callback` to run when cancellation is requested. It runs
    /// on the thread that calls `cancel()`, after every callback registered
    /// later (LIFO), under the [`ExecutionContext`] captured now. If
    /// cancellation was already requested it runs at once, here, before this
    /// returns. On [`none`](Self::none), or a token whose source was dropped,
    /// it is dropped unrun.
    ///
    /// Keep the returned registration: dropping it unregisters the callback.
    /// A panic in the callback does not stop the others; `cancel()` reports
    /// it in its `AggregateError`.
    ///
    /// C#: `CancellationToken.Register(Action)`.
    pub fn register<F>(&self, callback: F) -> CancellationTokenRegistration
    where
        F: FnOnce() + Send + 'static,
    {
        let Some(inner) = &self.inner else {
            return CancellationTokenRegistration::empty();
        };
        if inner.is_cancellation_requested() {
            callback();
            return CancellationTokenRegistration::empty();
        }
        let f = if ExecutionContext::capture_is_empty() {
            SmallFn::new(callback)
        } else {
            let context = ExecutionContext::capture();
            SmallFn::new(move || context.run(callback))
        };
        self.list(inner, Callback::User(f))
    }

    /// Registers runtime code: no execution context flows (C#:
    /// `UnsafeRegister`), and it still runs when `cancel_with(true)` stops
    /// early. Runs inline if cancellation was already requested.
    pub(crate) fn register_internal<F>(&self, callback: F) -> CancellationTokenRegistration
    where
        F: FnOnce() + Send + 'static,
    {
        let Some(inner) = &self.inner else {
            return CancellationTokenRegistration::empty();
        };
        if inner.is_cancellation_requested() {
            callback();
            return CancellationTokenRegistration::empty();
        }
        self.list(inner, Callback::Internal(SmallFn::new(callback)))
    }

    fn list(&self, inner: &Arc<Inner>, callback: Callback) -> CancellationTokenRegistration {
        match inner.register(callback) {
            Registered::Listed(key) => CancellationTokenRegistration::listed(inner.clone(), key),
            Registered::Canceled(callback) => {
                match callback {
                    // Inline, on the registering thread, whose context is
                    // the one just captured; a panic is the caller's own.
                    Callback::User(f) | Callback::Internal(f) => f.call(),
                    Callback::Waker(w) => w.wake(),
                    Callback::Link(child) => drop(child.notify(false)),
                }
                CancellationTokenRegistration::empty()
            }
            Registered::Disposed(callback) => {
                drop(callback);
                CancellationTokenRegistration::empty()
            }
        }
    }

    /// `Err` with a [`CanceledError`] carrying this token if cancellation was
    /// requested; use it with `?` at the points where work may stop. A task
    /// started with this token whose body returns that error ends Canceled.
    /// C#: `CancellationToken.ThrowIfCancellationRequested`.
    ///
    /// ```
    /// use tasklane::{CancellationTokenSource, Task};
    /// let cts = CancellationTokenSource::new();
    /// let token = cts.token();
    /// cts.cancel().unwrap();
    /// let work = Task::try_run_with_token(
    ///     {
    ///         let token = token.clone();
    ///         move || {
    ///             token.throw_if_cancellation_requested()?;
    ///             Ok::<_, tasklane::CanceledError>(1)
    ///         }
    ///     },
    ///     &token,
    /// );
    /// assert!(work.wait().unwrap_err().is_canceled());
    /// ```
    pub fn throw_if_cancellation_requested(&self) -> Result<(), CanceledError> {
        if self.is_cancellation_requested() {
            Err(CanceledError::with_token(self.clone()))
        } else {
            Ok(())
        }
    }

    /// A future that completes when cancellation is requested (never, for
    /// [`none`](Self::none)). C#: awaiting `Task.Delay(Infinite, token)`, or
    /// `token.WaitHandle`.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled::new(self.clone())
    }

    /// Runs `future` until it completes (`Ok`) or this token is cancelled
    /// (`Err` with a [`CanceledError`] carrying the token; the future is
    /// dropped). If the token is already cancelled, the future is never
    /// polled. C#: passing the token to an async method that honours it.
    ///
    /// ```
    /// use tasklane::{CancellationTokenSource, block_on};
    /// let cts = CancellationTokenSource::new();
    /// let token = cts.token();
    /// cts.cancel().unwrap();
    /// let r = block_on(token.run_until_cancelled(std::future::pending::<()>()));
    /// assert_eq!(r.unwrap_err().token(), Some(&token));
    /// ```
    pub fn run_until_cancelled<F: Future>(&self, future: F) -> RunUntilCancelled<F> {
        RunUntilCancelled::new(future, self.clone())
    }

    /// Callbacks listed on the source now (diagnostics).
    pub fn registered_callback_count(&self) -> usize {
        self.inner.as_ref().map_or(0, |i| i.registered_count())
    }
}

impl PartialEq for CancellationToken {
    /// Tokens are equal when they observe the same source (all
    /// [`none`](Self::none) tokens are equal). C#: `CancellationToken.Equals`.
    fn eq(&self, other: &Self) -> bool {
        match (&self.inner, &other.inner) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for CancellationToken {}

impl Hash for CancellationToken {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner
            .as_ref()
            .map_or(std::ptr::null(), Arc::as_ptr)
            .hash(state)
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("can_be_canceled", &self.can_be_canceled())
            .field("requested", &self.is_cancellation_requested())
            .finish()
    }
}
