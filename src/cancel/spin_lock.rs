//! `SpinLock`: the lock of a source's callback list.
//!
//! Its critical sections are a handful of stores (link or unlink a node, set
//! the executing key), never user code, so a lock taken with one atomic swap
//! and released with a plain release store beats a futex mutex (which needs
//! a second read-modify-write to release) on the per-callback path of
//! `cancel()`. C#'s `CancellationTokenSource.Registrations` uses the same
//! kind of lock (`Interlocked.Exchange` in, `Volatile.Write` out, `SpinWait`
//! when contended). Contended, it spins with a growing pause, then yields
//! the thread, so a preempted holder is not starved.
//!
//! Under loom it is loom's `Mutex` (loom cannot bound a spin loop); the
//! protocols above it are model-checked with that, and the lock itself (a
//! test-and-set with acquire/release) by the stress test below.

#[cfg(not(loom))]
pub(crate) use imp::SpinLock;
#[cfg(loom)]
pub(crate) use loom_imp::SpinLock;

#[cfg(loom)]
mod loom_imp {
    pub(crate) struct SpinLock<T>(loom::sync::Mutex<T>);

    impl<T> SpinLock<T> {
        pub(crate) fn new(value: T) -> SpinLock<T> {
            SpinLock(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
            crate::loom::lock(&self.0)
        }
    }
}

#[cfg(not(loom))]
mod imp {
    use std::cell::UnsafeCell;
    use std::ops::{Deref, DerefMut};
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Pauses of doubling length before a contended lock starts yielding the
    /// thread: 2^0 + … + 2^5 = 63 spin hints, a few hundred nanoseconds, longer
    /// than any critical section of the callback list.
    const SPIN_ROUNDS: u32 = 6;

    pub(crate) struct SpinLock<T> {
        locked: AtomicBool,
        value: UnsafeCell<T>,
    }

    // SAFETY: the value is only reached through a guard, and at most one guard
    // exists at a time (the `locked` flag), so sharing the lock shares `T`
    // between threads one at a time: `T: Send` suffices, as for `Mutex<T>`.
    unsafe impl<T: Send> Sync for SpinLock<T> {}
    // SAFETY: as above.
    unsafe impl<T: Send> Send for SpinLock<T> {}

    impl<T> SpinLock<T> {
        pub(crate) fn new(value: T) -> SpinLock<T> {
            SpinLock {
                locked: AtomicBool::new(false),
                value: UnsafeCell::new(value),
            }
        }

        /// Takes the lock.
        #[inline]
        pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
            if self.locked.swap(true, Ordering::Acquire) {
                self.lock_contended();
            }
            // SAFETY: we hold the lock (the swap above, or the loop in
            // `lock_contended`, moved `locked` from false to true): no other
            // guard exists until ours drops.
            let value = unsafe { &mut *self.value.get() };
            SpinGuard { lock: self, value }
        }

        #[cold]
        fn lock_contended(&self) {
            let mut round = 0;
            loop {
                // Wait reading, not writing, so waiters do not bounce the line.
                while self.locked.load(Ordering::Relaxed) {
                    if round < SPIN_ROUNDS {
                        for _ in 0..1u32 << round {
                            std::hint::spin_loop();
                        }
                        round += 1;
                    } else {
                        std::thread::yield_now();
                    }
                }
                if !self.locked.swap(true, Ordering::Acquire) {
                    return;
                }
            }
        }
    }

    /// Access to the locked value; releases the lock when dropped.
    pub(crate) struct SpinGuard<'a, T> {
        lock: &'a SpinLock<T>,
        value: &'a mut T,
    }

    impl<T> Deref for SpinGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.value
        }
    }

    impl<T> DerefMut for SpinGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.value
        }
    }

    impl<T> Drop for SpinGuard<'_, T> {
        #[inline]
        fn drop(&mut self) {
            // Publishes every write made under the lock to the next holder.
            self.lock.locked.store(false, Ordering::Release);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::SpinLock;
        use std::sync::Arc;

        #[test]
        fn excludes_under_contention() {
            let lock = Arc::new(SpinLock::new((0u64, 0u64)));
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let lock = lock.clone();
                    std::thread::spawn(move || {
                        for _ in 0..20_000 {
                            let mut g = lock.lock();
                            // A torn update would leave the two apart.
                            g.0 += 1;
                            std::hint::spin_loop();
                            g.1 += 1;
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            let g = lock.lock();
            assert_eq!(*g, (80_000, 80_000));
        }
    }
}
