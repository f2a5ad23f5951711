//! [`AsyncRwLock<T>`]: many readers or one writer, waits as futures.

use super::holders::Holders;
use super::semaphore::SemaphoreSlim;
use super::waits::{WaitKind, WaitSite};
use crate::context::DeadlockError;
use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};

/// Readers at once, beside no writer.
const MAX_READERS: usize = 1 << 28;

/// A reader/writer lock for async code: any number of read guards, or one
/// write guard, each waited for as a future and holdable across `.await`.
///
/// **Fair, so writers are not starved**: waiters are served in FIFO order,
/// readers and writers alike. A writer waiting makes readers that come
/// after it wait behind it (writer preference over a stream of new
/// readers), while readers queued before it run first. Blocking forms
/// (`read`, `write`) on a dispatcher thread report a [`DeadlockError`] when
/// work of that dispatcher holds the lock.
///
/// ```
/// use tasklane::sync::AsyncRwLock;
///
/// let config = AsyncRwLock::new(String::from("v1"));
/// tasklane::block_on(async {
///     {
///         let a = config.read_async().await;
///         let b = config.read_async().await; // readers together
///         assert_eq!(*a, *b);
///     }
///     config.write_async().await.push_str("+patch");
///     assert_eq!(*config.read_async().await, "v1+patch");
/// });
/// ```
///
/// C#: vs-threading's `AsyncReaderWriterLock` (`ReadLockAsync`,
/// `WriteLockAsync`); `ReaderWriterLockSlim` is the blocking one.
pub struct AsyncRwLock<T> {
    sem: SemaphoreSlim,
    holders: Holders,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through guards. A write guard holds all
// `MAX_READERS` permits, so it is alone; read guards hold one each and only
// hand out `&T`. Hence, as for `std::sync::RwLock`: moving the lock needs
// `T: Send`, sharing it needs `T: Send + Sync` (readers on several threads
// at once, a writer on any thread).
unsafe impl<T: Send> Send for AsyncRwLock<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for AsyncRwLock<T> {}

impl<T> AsyncRwLock<T> {
    /// An unlocked lock holding `value`.
    #[track_caller]
    pub fn new(value: T) -> AsyncRwLock<T> {
        AsyncRwLock {
            sem: SemaphoreSlim::with_site(
                MAX_READERS,
                MAX_READERS,
                WaitSite::here(WaitKind::RwLock),
            ),
            holders: Holders::new(),
            value: UnsafeCell::new(value),
        }
    }

    fn read_guard(&self) -> AsyncReadGuard<'_, T> {
        AsyncReadGuard {
            lock: self,
            dispatcher: self.holders.acquired(),
        }
    }

    fn write_guard(&self) -> AsyncWriteGuard<'_, T> {
        AsyncWriteGuard {
            lock: self,
            dispatcher: self.holders.acquired(),
        }
    }

    /// Waits for shared access.
    pub async fn read_async(&self) -> AsyncReadGuard<'_, T> {
        self.sem.acquire_n(1).await;
        self.read_guard()
    }

    /// Waits for exclusive access.
    pub async fn write_async(&self) -> AsyncWriteGuard<'_, T> {
        self.sem.acquire_n(MAX_READERS).await;
        self.write_guard()
    }

    /// Shared access now, if nobody writes or waits to.
    pub fn try_read(&self) -> Option<AsyncReadGuard<'_, T>> {
        self.sem.try_acquire_n(1).then(|| self.read_guard())
    }

    /// Exclusive access now, if nobody holds the lock or waits for it.
    pub fn try_write(&self) -> Option<AsyncWriteGuard<'_, T>> {
        self.sem
            .try_acquire_n(MAX_READERS)
            .then(|| self.write_guard())
    }

    /// Blocks for shared access (see [`AsyncRwLock`] for dispatchers).
    pub fn read(&self) -> Result<AsyncReadGuard<'_, T>, DeadlockError> {
        if let Some(g) = self.try_read() {
            return Ok(g);
        }
        self.holders.check_blocking(&self.site())?;
        Ok(crate::block_on(self.read_async()))
    }

    /// Blocks for exclusive access (see [`AsyncRwLock`] for dispatchers).
    pub fn write(&self) -> Result<AsyncWriteGuard<'_, T>, DeadlockError> {
        if let Some(g) = self.try_write() {
            return Ok(g);
        }
        self.holders.check_blocking(&self.site())?;
        Ok(crate::block_on(self.write_async()))
    }

    fn site(&self) -> WaitSite {
        WaitSite {
            kind: WaitKind::RwLock,
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

impl<T> fmt::Debug for AsyncRwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRwLock").finish_non_exhaustive()
    }
}

/// Shared access to an [`AsyncRwLock`], released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct AsyncReadGuard<'a, T> {
    lock: &'a AsyncRwLock<T>,
    dispatcher: usize,
}

// SAFETY: a read guard hands out `&T` only: it may cross or be shared
// between threads when `T: Sync`, as `std::sync::RwLockReadGuard`'s access.
unsafe impl<T: Sync> Send for AsyncReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for AsyncReadGuard<'_, T> {}

impl<T> Deref for AsyncReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds a read permit, so no write guard exists
        // (it would need every permit) while the borrow lives.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> Drop for AsyncReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.holders.released(self.dispatcher);
        let _ = self.lock.sem.release_n(1);
    }
}

/// Exclusive access to an [`AsyncRwLock`], released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct AsyncWriteGuard<'a, T> {
    lock: &'a AsyncRwLock<T>,
    dispatcher: usize,
}

// SAFETY: a write guard gives `&mut T` to whoever holds it (`T: Send` to
// move it) and `&T` to those sharing it (`T: Sync`).
unsafe impl<T: Send> Send for AsyncWriteGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for AsyncWriteGuard<'_, T> {}

impl<T> Deref for AsyncWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this guard holds every permit: no other guard exists.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for AsyncWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: every permit, and `self` borrowed mutably: the only access.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for AsyncWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.holders.released(self.dispatcher);
        let _ = self.lock.sem.release_n(MAX_READERS);
    }
}
