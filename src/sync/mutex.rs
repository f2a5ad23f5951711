//! [`AsyncMutex<T>`]: a lock whose wait is a future; queued waiters served in FIFO order.

use super::holders::Holders;
use super::semaphore::SemaphoreSlim;
use super::waits::{WaitKind, WaitSite};
use crate::cancel::CancellationToken;
use crate::context::DeadlockError;
use crate::task::CanceledError;
use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};

/// A mutual-exclusion lock for async code: `lock_async().await` waits
/// without blocking a thread, and the guard may be held across an `.await`.
/// Queued waiters get the lock in FIFO order; a task that finds the lock
/// free takes it even while a woken waiter is on its way (barging, as std's,
/// Go's and async-lock's mutexes do), so a task that unlocks and locks again
/// does not hand every turn through a wake-up (a lock convoy). A waiter that
/// has waited over 500 µs turns the lock fair until it is served: no waiter
/// starves. No poisoning: a panic while holding
/// the guard releases the lock, and the value stays as the panicking code
/// left it.
///
/// ```
/// use std::sync::Arc;
/// use tasklane::sync::AsyncMutex;
/// use tasklane::Task;
///
/// let total = Arc::new(AsyncMutex::new(0u64));
/// let tasks: Vec<Task<()>> = (0..4)
///     .map(|_| {
///         let total = total.clone();
///         Task::run_async(async move {
///             for _ in 0..100 {
///                 let mut t = total.lock_async().await;
///                 tasklane::yield_now().await; // held across an await
///                 *t += 1;
///             }
///         })
///     })
///     .collect();
/// for t in tasks { t.wait().unwrap(); }
/// assert_eq!(*total.try_lock().unwrap(), 400);
/// ```
///
/// C#: `SemaphoreSlim(1, 1)` used as an async lock (`await
/// sem.WaitAsync(); try { … } finally { sem.Release(); }`); vs-threading's
/// `AsyncSemaphore`.
pub struct AsyncMutex<T> {
    sem: SemaphoreSlim,
    holders: Holders,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and a guard exists only
// while its holder owns the semaphore's single permit: one thread at a time
// touches `T`, so `T: Send` suffices for sharing the mutex (as for
// `std::sync::Mutex`).
unsafe impl<T: Send> Send for AsyncMutex<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for AsyncMutex<T> {}

impl<T> AsyncMutex<T> {
    /// An unlocked mutex holding `value`.
    #[track_caller]
    pub fn new(value: T) -> AsyncMutex<T> {
        AsyncMutex {
            sem: SemaphoreSlim::barging(1, 1, WaitSite::here(WaitKind::Mutex)),
            holders: Holders::new(),
            value: UnsafeCell::new(value),
        }
    }

    fn guard(&self) -> AsyncMutexGuard<'_, T> {
        AsyncMutexGuard {
            mutex: self,
            dispatcher: self.holders.acquired(),
        }
    }

    /// Waits for the lock; the guard releases it when dropped.
    pub async fn lock_async(&self) -> AsyncMutexGuard<'_, T> {
        self.sem.wait_async().await;
        self.guard()
    }

    /// Waits for the lock, or ends with the cancellation if `token` fires
    /// first (the lock not taken).
    pub async fn lock_async_with_token(
        &self,
        token: &CancellationToken,
    ) -> Result<AsyncMutexGuard<'_, T>, CanceledError> {
        token.run_until_cancelled(self.sem.wait_async()).await?;
        Ok(self.guard())
    }

    /// Takes the lock if it is free (and no waiter has starved: see
    /// [`AsyncMutex`]).
    pub fn try_lock(&self) -> Option<AsyncMutexGuard<'_, T>> {
        self.sem.try_wait().then(|| self.guard())
    }

    /// Blocks the thread until it holds the lock (a pool thread counts as
    /// blocked meanwhile). On a dispatcher thread, when the lock is held by
    /// work of that same dispatcher — which cannot go on while its thread
    /// is blocked here — this is a [`DeadlockError`] at once, not a hang.
    pub fn lock(&self) -> Result<AsyncMutexGuard<'_, T>, DeadlockError> {
        if let Some(g) = self.try_lock() {
            return Ok(g);
        }
        self.holders.check_blocking(&self.site())?;
        Ok(crate::block_on(self.lock_async()))
    }

    fn site(&self) -> WaitSite {
        WaitSite {
            kind: WaitKind::Mutex,
            location: self.sem.location(),
        }
    }

    /// The value, through exclusive access (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// The value, taken out.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: Default> Default for AsyncMutex<T> {
    #[track_caller]
    fn default() -> Self {
        AsyncMutex::new(T::default())
    }
}

impl<T> fmt::Debug for AsyncMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncMutex")
            .field("locked", &(self.sem.current_count() == 0))
            .finish_non_exhaustive()
    }
}

/// Holds an [`AsyncMutex`]; the lock is released when it drops.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct AsyncMutexGuard<'a, T> {
    mutex: &'a AsyncMutex<T>,
    dispatcher: usize,
}

// SAFETY: the guard hands out `&T` (shared across threads when the guard is)
// and `&mut T` (moved with it): `Sync` needs `T: Sync`, `Send` needs
// `T: Send`, as for `std::sync::MutexGuard` plus the ability to be sent,
// which the permit (not tied to a thread) allows.
unsafe impl<T: Sync> Sync for AsyncMutexGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for AsyncMutexGuard<'_, T> {}

impl<T> Deref for AsyncMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds the only permit (see `AsyncMutex`), so no
        // `&mut T` exists elsewhere while the returned borrow of `self` lives.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T> DerefMut for AsyncMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds the only permit and is borrowed mutably,
        // so this is the only reference to the value while it lives.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T> Drop for AsyncMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.holders.released(self.dispatcher);
        let _ = self.mutex.sem.release();
    }
}

impl<T: fmt::Debug> fmt::Debug for AsyncMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
