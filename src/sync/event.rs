//! [`AsyncManualResetEvent`] and [`AsyncAutoResetEvent`].

use super::waiters::{WaitKey, Waiters};
use super::waits::{WaitKind, WaitSite, Watch};
use crate::cancel::CancellationToken;
use crate::cancel::spin_lock::SpinLock;
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::task::CanceledError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

struct State {
    set: bool,
    waiters: Waiters,
}

/// An event that stays set until reset: `set` releases every waiter, now
/// and later, until `reset`. A waiter released by a `set` stays released
/// even if the event is reset before it runs.
///
/// ```
/// use std::sync::Arc;
/// use tasklane::sync::AsyncManualResetEvent;
/// use tasklane::Task;
///
/// let ready = Arc::new(AsyncManualResetEvent::new(false));
/// let waiters: Vec<Task<()>> = (0..3)
///     .map(|_| {
///         let ready = ready.clone();
///         Task::run_async(async move { ready.wait_async().await })
///     })
///     .collect();
/// ready.set();
/// for w in waiters { w.wait().unwrap(); }
/// assert!(ready.is_set());
/// ```
///
/// C#: vs-threading's `AsyncManualResetEvent` (and `ManualResetEventSlim`
/// for the blocking `wait`).
pub struct AsyncManualResetEvent {
    is_set: AtomicBool,
    /// Counts the sets that released waiters. A set takes the whole waiter
    /// list away and bumps this; a waiter that sees it changed since it
    /// queued was released, without touching the lock.
    epoch: AtomicU64,
    state: SpinLock<State>,
    site: WaitSite,
}

impl AsyncManualResetEvent {
    /// An event, set or not.
    #[track_caller]
    pub fn new(set: bool) -> AsyncManualResetEvent {
        AsyncManualResetEvent::with_site(set, WaitSite::here(WaitKind::Event))
    }

    pub(crate) fn with_site(set: bool, site: WaitSite) -> AsyncManualResetEvent {
        AsyncManualResetEvent {
            is_set: AtomicBool::new(set),
            epoch: AtomicU64::new(0),
            state: SpinLock::new(State {
                set,
                waiters: Waiters::new(),
            }),
            site,
        }
    }

    /// True while set. C#: `IsSet`.
    pub fn is_set(&self) -> bool {
        self.is_set.load(Ordering::Acquire)
    }

    /// Sets it: every waiter is released. C#: `Set()`.
    pub fn set(&self) {
        let released = {
            let mut s = self.state.lock();
            if s.set {
                return; // nobody waits on a set event
            }
            s.set = true;
            self.is_set.store(true, Ordering::Release);
            self.epoch.fetch_add(1, Ordering::Release);
            std::mem::take(&mut s.waiters)
        };
        released.wake_waiting();
    }

    /// Resets it: later waits wait for the next `set`. C#: `Reset()`.
    pub fn reset(&self) {
        let mut s = self.state.lock();
        s.set = false;
        self.is_set.store(false, Ordering::Release);
    }

    /// Waits until it is set. C#: `WaitAsync()`.
    pub fn wait_async(&self) -> EventWait<'_> {
        EventWait {
            event: Either::Manual(self),
            key: None,
            epoch: 0,
            watch: Watch::new(),
        }
    }

    /// Waits until it is set, or ends with the cancellation if `token`
    /// fires first.
    pub async fn wait_async_with_token(
        &self,
        token: &CancellationToken,
    ) -> Result<(), CanceledError> {
        token.run_until_cancelled(self.wait_async()).await
    }

    /// Blocks until it is set (a pool thread counts as blocked). C#:
    /// `ManualResetEventSlim.Wait()`.
    pub fn wait(&self) {
        if !self.is_set() {
            crate::block_on(self.wait_async());
        }
    }

    /// Blocks at most `timeout`: true if it was set. C#: `Wait(TimeSpan)`.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.is_set() || crate::block_on(crate::time::timeout(timeout, self.wait_async())).is_ok()
    }
}

impl fmt::Debug for AsyncManualResetEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncManualResetEvent")
            .field("set", &self.is_set())
            .finish()
    }
}

/// An event that releases one waiter per `set`: with none waiting, it stays
/// set until the next wait takes it.
///
/// ```
/// use tasklane::sync::AsyncAutoResetEvent;
///
/// let turn = AsyncAutoResetEvent::new(false);
/// turn.set();
/// turn.set(); // still one: it was already set
/// tasklane::block_on(turn.wait_async());
/// assert!(!turn.is_set());
/// ```
///
/// C#: vs-threading's `AsyncAutoResetEvent` (`AutoResetEvent` blocking).
pub struct AsyncAutoResetEvent {
    state: SpinLock<State>,
    site: WaitSite,
}

impl AsyncAutoResetEvent {
    /// An event, set or not.
    #[track_caller]
    pub fn new(set: bool) -> AsyncAutoResetEvent {
        AsyncAutoResetEvent {
            state: SpinLock::new(State {
                set,
                waiters: Waiters::new(),
            }),
            site: WaitSite::here(WaitKind::Event),
        }
    }

    /// True if a `set` waits for a waiter.
    pub fn is_set(&self) -> bool {
        self.state.lock().set
    }

    /// Releases the first waiter, or, with none, leaves the event set for
    /// the next one. C#: `Set()`.
    pub fn set(&self) {
        let waker = {
            let mut s = self.state.lock();
            match s.waiters.notify_one() {
                Some(w) => Some(w),
                None => {
                    s.set = true;
                    None
                }
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Waits for a `set` and takes it. C#: `WaitAsync()`.
    pub fn wait_async(&self) -> EventWait<'_> {
        EventWait {
            event: Either::Auto(self),
            key: None,
            epoch: 0,
            watch: Watch::new(),
        }
    }

    /// Waits for a `set`, or ends with the cancellation if `token` fires
    /// first (taking none).
    pub async fn wait_async_with_token(
        &self,
        token: &CancellationToken,
    ) -> Result<(), CanceledError> {
        token.run_until_cancelled(self.wait_async()).await
    }

    /// Blocks until it takes a `set`.
    pub fn wait(&self) {
        crate::block_on(self.wait_async());
    }
}

impl fmt::Debug for AsyncAutoResetEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncAutoResetEvent")
            .field("set", &self.is_set())
            .finish()
    }
}

enum Either<'a> {
    Manual(&'a AsyncManualResetEvent),
    Auto(&'a AsyncAutoResetEvent),
}

impl Either<'_> {
    fn state(&self) -> &SpinLock<State> {
        match self {
            Either::Manual(e) => &e.state,
            Either::Auto(e) => &e.state,
        }
    }

    fn site(&self) -> &WaitSite {
        match self {
            Either::Manual(e) => &e.site,
            Either::Auto(e) => &e.site,
        }
    }
}

/// The future of an event's `wait_async`.
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: Either<'a>,
    key: Option<WaitKey>,
    /// The manual event's epoch when this queued.
    epoch: u64,
    watch: Watch,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if let Either::Manual(e) = this.event {
            if this.key.is_none() && e.is_set() {
                return Poll::Ready(());
            }
            if this.key.is_some() && e.epoch.load(Ordering::Acquire) != this.epoch {
                // Released by a set, which took the list: nothing to remove.
                this.key = None;
                this.watch.clear();
                return Poll::Ready(());
            }
        }
        let mut s = this.event.state().lock();
        match this.key {
            None => {
                if s.set {
                    if let Either::Auto(_) = this.event {
                        s.set = false;
                    }
                    return Poll::Ready(());
                }
                this.key = Some(s.waiters.push(cx.waker(), 0));
                if let Either::Manual(e) = this.event {
                    this.epoch = e.epoch.load(Ordering::Relaxed);
                }
            }
            Some(key) => {
                if let Either::Manual(e) = this.event
                    && e.epoch.load(Ordering::Relaxed) != this.epoch
                {
                    this.key = None;
                    drop(s);
                    this.watch.clear();
                    return Poll::Ready(());
                }
                if s.waiters.poll(key, cx.waker()) {
                    s.waiters.remove(key);
                    this.key = None;
                    drop(s);
                    this.watch.clear();
                    return Poll::Ready(());
                }
            }
        }
        drop(s);
        this.watch.park(this.event.site());
        Poll::Pending
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        if let Either::Manual(e) = self.event
            && e.epoch.load(Ordering::Acquire) != self.epoch
        {
            return; // released: the set took the list
        }
        let mut s = self.event.state().lock();
        if let Either::Manual(e) = self.event
            && e.epoch.load(Ordering::Relaxed) != self.epoch
        {
            return;
        }
        let released = s.waiters.remove(key);
        if released {
            if let Either::Auto(_) = self.event {
                // The set meant for this waiter goes to the next one, or
                // stays: a canceled wait never swallows it.
                match s.waiters.notify_one() {
                    Some(w) => {
                        drop(s);
                        w.wake();
                    }
                    None => s.set = true,
                }
            }
        }
    }
}
