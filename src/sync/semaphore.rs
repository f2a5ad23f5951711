//! [`SemaphoreSlim`]: a counting semaphore with async and blocking waits.
//!
//! Permits are handed to waiters at the release that frees them, in FIFO
//! order (a release never lets a newcomer overtake a queued waiter), so a
//! waiter canceled after it was given permits gives them back, to the next
//! waiter or the count: a release is never lost.
//!
//! The semaphore under an `AsyncMutex` runs in *barging* mode instead: a
//! release frees the permit and wakes the first waiter to retry, and a task
//! that asks meanwhile may take it (no lock convoy: a task that unlocks and
//! locks again in a loop keeps running). A woken waiter that lost the race
//! goes back to the front of the queue; once one has waited longer than
//! [`MUTEX_STARVATION_LIMIT`], the semaphore turns fair (newcomers queue)
//! until that waiter is served. A woken waiter dropped before it retried
//! wakes the next one, so a release is never lost here either.

use super::settings::MUTEX_STARVATION_LIMIT;
use super::waiters::{WaitKey, Waiters, wake_all};
use super::waits::{WaitKind, WaitSite, Watch};
use crate::cancel::spin_lock::SpinLock;
use crate::cancel::{CancellationToken, RunUntilCancelled};
use crate::task::CanceledError;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Limits how many callers hold a permit at once; waits for one
/// asynchronously (`wait_async`, `acquire_async`) or blocking (`wait`).
/// Async waiters are served in FIFO order. Share it in an `Arc`.
///
/// ```
/// use std::sync::Arc;
/// use tasklane::sync::SemaphoreSlim;
/// use tasklane::Task;
///
/// let gate = Arc::new(SemaphoreSlim::new(2, 2).unwrap());
/// let tasks: Vec<Task<()>> = (0..8)
///     .map(|_| {
///         let gate = gate.clone();
///         Task::run_async(async move {
///             let _permit = gate.acquire_async().await; // released on drop
///             // at most two tasks here at once
///         })
///     })
///     .collect();
/// for t in tasks { t.wait().unwrap(); }
/// assert_eq!(gate.current_count(), 2);
/// ```
///
/// C#: `System.Threading.SemaphoreSlim`.
pub struct SemaphoreSlim {
    state: SpinLock<State>,
    max: usize,
    site: WaitSite,
    /// Barging mode (see the module's doc): the mutex's.
    barging: bool,
}

struct State {
    permits: usize,
    waiters: Waiters,
    /// Barging mode only: a waiter waited past the starvation limit, so
    /// newcomers queue.
    starving: bool,
    /// Barging mode only: a waiter was woken to retry and has not yet; no
    /// other is woken meanwhile (one wake-up per turn, not one per release).
    woken: bool,
}

impl State {
    /// True if a task not in the queue may take `n` permits now.
    fn newcomer_may_take(&self, n: usize, barging: bool) -> bool {
        self.permits >= n
            && if barging {
                !self.starving
            } else {
                self.waiters.is_empty()
            }
    }
}

/// Releasing would take the count over the semaphore's maximum: nothing
/// was released. C#: `SemaphoreFullException`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreFullError {
    /// The maximum.
    pub max: usize,
}

impl fmt::Display for SemaphoreFullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "adding the count to the semaphore would cause it to exceed its maximum count ({})",
            self.max
        )
    }
}

impl std::error::Error for SemaphoreFullError {}

/// The counts given to [`SemaphoreSlim::new`] do not fit: the initial
/// count is above the maximum, or the maximum is zero. C#:
/// `ArgumentOutOfRangeException`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemaphoreCountError {
    /// The initial count given.
    pub initial: usize,
    /// The maximum given.
    pub max: usize,
}

impl fmt::Display for SemaphoreCountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a semaphore needs 0 <= initial ({}) <= max ({}) and max > 0",
            self.initial, self.max
        )
    }
}

impl std::error::Error for SemaphoreCountError {}

impl SemaphoreSlim {
    /// A semaphore with `initial` permits free, at most `max`. C#: `new
    /// SemaphoreSlim(initialCount, maxCount)`.
    #[track_caller]
    pub fn new(initial: usize, max: usize) -> Result<SemaphoreSlim, SemaphoreCountError> {
        if max == 0 || initial > max {
            return Err(SemaphoreCountError { initial, max });
        }
        Ok(SemaphoreSlim::with_site(
            initial,
            max,
            WaitSite::here(WaitKind::Semaphore),
        ))
    }

    pub(crate) fn with_site(initial: usize, max: usize, site: WaitSite) -> SemaphoreSlim {
        SemaphoreSlim {
            state: SpinLock::new(State {
                permits: initial,
                waiters: Waiters::new(),
                starving: false,
                woken: false,
            }),
            max,
            site,
            barging: false,
        }
    }

    /// A semaphore in barging mode (see the module's doc), for the mutex.
    pub(crate) fn barging(initial: usize, max: usize, site: WaitSite) -> SemaphoreSlim {
        SemaphoreSlim {
            barging: true,
            ..SemaphoreSlim::with_site(initial, max, site)
        }
    }

    /// Permits free now. C#: `CurrentCount`.
    pub fn current_count(&self) -> usize {
        self.state.lock().permits
    }

    /// The most permits it holds. C#: the `maxCount` given.
    pub fn max_count(&self) -> usize {
        self.max
    }

    /// Where it was created.
    pub fn location(&self) -> &'static Location<'static> {
        self.site.location
    }

    /// Takes a permit if one is free and nobody waits; true if it took it.
    /// C#: `Wait(0)`.
    pub fn try_wait(&self) -> bool {
        self.try_acquire_n(1)
    }

    pub(crate) fn try_acquire_n(&self, n: usize) -> bool {
        let mut s = self.state.lock();
        if s.newcomer_may_take(n, self.barging) {
            s.permits -= n;
            true
        } else {
            false
        }
    }

    /// Waits for a permit and takes it. C#: `await WaitAsync()`.
    pub fn wait_async(&self) -> Acquire<'_> {
        self.acquire_n(1)
    }

    /// Waits for a permit, or for `token`: true once it took a permit,
    /// false (and no permit taken) if the token fired first. C#: `await
    /// WaitAsync(CancellationToken)` (which throws where this returns false:
    /// see [`acquire_async_with_token`](Self::acquire_async_with_token) for
    /// the error).
    pub async fn wait_async_with_token(&self, token: &CancellationToken) -> bool {
        match self.acquire_async_with_token(token).await {
            Ok(permit) => {
                permit.forget();
                true
            }
            Err(_) => false,
        }
    }

    /// Waits at most `timeout` for a permit: true if it took one. C#:
    /// `await WaitAsync(TimeSpan)`.
    pub async fn wait_async_timeout(&self, timeout: Duration) -> bool {
        match crate::time::timeout(timeout, self.wait_async()).await {
            Ok(()) => true,
            Err(_) => false,
        }
    }

    /// Waits for a permit and returns it as a guard that releases it when
    /// dropped.
    pub async fn acquire_async(&self) -> SemaphorePermit<'_> {
        self.acquire_n(1).await;
        SemaphorePermit { sem: self, n: 1 }
    }

    /// As [`acquire_async`](Self::acquire_async), ending with the
    /// cancellation if `token` fires first (no permit taken).
    pub async fn acquire_async_with_token(
        &self,
        token: &CancellationToken,
    ) -> Result<SemaphorePermit<'_>, CanceledError> {
        let acquired: RunUntilCancelled<Acquire<'_>> = token.run_until_cancelled(self.acquire_n(1));
        acquired.await?;
        Ok(SemaphorePermit { sem: self, n: 1 })
    }

    /// A waiter for `n` permits (n ≤ max).
    pub(crate) fn acquire_n(&self, n: usize) -> Acquire<'_> {
        Acquire {
            sem: self,
            n,
            key: None,
            since: None,
            watch: Watch::new(),
        }
    }

    /// Blocks the thread until it takes a permit (on a pool thread the pool
    /// counts it blocked, and keeps its other work running). C#: `Wait()`.
    pub fn wait(&self) {
        crate::block_on(self.wait_async());
    }

    /// Blocks at most `timeout`: true if it took a permit. C#:
    /// `Wait(TimeSpan)`.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        if self.try_wait() {
            return true;
        }
        crate::block_on(self.wait_async_timeout(timeout))
    }

    /// Returns a permit: the first waiter takes it. Returns the count
    /// before. Over the maximum: [`SemaphoreFullError`], and nothing
    /// changes. C#: `Release()`.
    pub fn release(&self) -> Result<usize, SemaphoreFullError> {
        self.release_n(1)
    }

    /// Returns `n` permits. C#: `Release(int)`.
    pub fn release_n(&self, n: usize) -> Result<usize, SemaphoreFullError> {
        let mut wakers = Vec::new();
        let before = {
            let mut s = self.state.lock();
            let before = s.permits;
            if before + n > self.max {
                return Err(SemaphoreFullError { max: self.max });
            }
            s.permits += n;
            self.grant(&mut s, &mut wakers);
            before
        };
        wake_all(wakers);
        Ok(before)
    }

    /// Gives `n` permits back (a guard dropped, a granted waiter canceled):
    /// never over the maximum by construction.
    fn give_back(&self, n: usize) {
        let mut wakers = Vec::new();
        {
            let mut s = self.state.lock();
            s.permits += n;
            self.grant(&mut s, &mut wakers);
        }
        wake_all(wakers);
    }

    /// Hands free permits to the waiters at the front, in order, as long as
    /// the first one's need is met; in barging mode, wakes the first waiter
    /// to retry instead (the permits stay free).
    fn grant(&self, s: &mut State, wakers: &mut Vec<Waker>) {
        if self.barging {
            if !s.woken
                && s.waiters.front_need().is_some_and(|need| s.permits >= need)
                && let Some(w) = s.waiters.notify_one()
            {
                s.woken = true;
                wakers.push(w);
            }
            return;
        }
        while let Some(need) = s.waiters.front_need() {
            if s.permits < need {
                break;
            }
            s.permits -= need;
            if let Some(w) = s.waiters.notify_one() {
                wakers.push(w);
            }
        }
    }
}

impl fmt::Debug for SemaphoreSlim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        f.debug_struct("SemaphoreSlim")
            .field("current_count", &s.permits)
            .field("max", &self.max)
            .field("waiting", &s.waiters.len())
            .finish()
    }
}

/// The future of [`SemaphoreSlim::wait_async`]: ready once it holds its
/// permits. Dropped before, it takes nothing; dropped after being given
/// them but before seeing it, it hands them on.
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    sem: &'a SemaphoreSlim,
    n: usize,
    key: Option<WaitKey>,
    /// When it first queued (barging mode only).
    since: Option<Instant>,
    /// The task recorded as parked here (`waits.rs`).
    watch: Watch,
}

impl Future for Acquire<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut s = this.sem.state.lock();
        let barging = this.sem.barging;
        match this.key {
            None => {
                if s.newcomer_may_take(this.n, barging) {
                    s.permits -= this.n;
                    return Poll::Ready(());
                }
                this.key = Some(s.waiters.push(cx.waker(), this.n));
                if barging {
                    this.since = Some(Instant::now());
                }
            }
            Some(key) => {
                if s.waiters.poll(key, cx.waker()) {
                    if barging {
                        // Woken to retry: take the permits if still free,
                        // else back to the front of the queue.
                        s.woken = false;
                        let waited = this.since.map_or(Duration::ZERO, |t| t.elapsed());
                        if s.permits < this.n {
                            s.waiters.requeue_front(key, cx.waker());
                            if waited >= MUTEX_STARVATION_LIMIT {
                                s.starving = true;
                            }
                            drop(s);
                            return Poll::Pending;
                        }
                        s.permits -= this.n;
                        s.starving = !s.waiters.is_empty() && waited >= MUTEX_STARVATION_LIMIT;
                    }
                    s.waiters.remove(key);
                    this.key = None;
                    drop(s);
                    this.watch.clear();
                    return Poll::Ready(());
                }
            }
        }
        drop(s);
        this.watch.park(&this.sem.site);
        Poll::Pending
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let granted = {
                let mut s = self.sem.state.lock();
                let granted = s.waiters.remove(key);
                if granted && self.sem.barging {
                    s.woken = false;
                }
                granted
            };
            if granted {
                // Given permits (or, barging, a turn to retry) it will never
                // use: to the next waiter.
                self.sem
                    .give_back(if self.sem.barging { 0 } else { self.n });
            }
        }
    }
}

/// A permit held; released when dropped. Made by
/// [`SemaphoreSlim::acquire_async`].
#[must_use = "the permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    sem: &'a SemaphoreSlim,
    n: usize,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit taken without releasing it (release it later with
    /// `release`).
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.give_back(self.n);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("n", &self.n)
            .finish()
    }
}

/// An owned permit on a shared semaphore, for holding across tasks.
pub struct OwnedSemaphorePermit {
    sem: Arc<SemaphoreSlim>,
    n: usize,
}

impl SemaphoreSlim {
    /// As [`acquire_async`](Self::acquire_async) on a shared semaphore: the
    /// permit owns a reference to it, so it can move into another task.
    pub async fn acquire_owned(self: Arc<Self>) -> OwnedSemaphorePermit {
        self.acquire_n(1).await;
        OwnedSemaphorePermit { sem: self, n: 1 }
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.give_back(self.n);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("n", &self.n)
            .finish()
    }
}
