//! Synchronization primitives, swapped for loom's under `cfg(loom)`.
//!
//! Every atomic, lock and cell the runtime's protocols use comes from here, so
//! `RUSTFLAGS="--cfg loom" cargo test --lib --release` model-checks the same
//! code that ships. Nothing above this module names `std::sync` directly for
//! protocol state.

// The facade offers every primitive a protocol may need, used or not yet.
#[allow(unused_imports)]
#[cfg(not(loom))]
mod imp {
    pub(crate) mod sync {
        pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

        pub(crate) mod atomic {
            pub(crate) use std::sync::atomic::{
                AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
            };
        }
    }

    /// Spin-loop hint (loom yields instead).
    #[inline(always)]
    pub(crate) fn spin_loop() {
        std::hint::spin_loop();
    }

    pub(crate) mod cell {
        /// An `UnsafeCell` with loom's closure-based access API.
        #[derive(Debug)]
        pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

        impl<T> UnsafeCell<T> {
            pub(crate) const fn new(value: T) -> Self {
                Self(std::cell::UnsafeCell::new(value))
            }

            /// Gives a shared pointer to the contents.
            #[inline(always)]
            pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
                f(self.0.get())
            }

            /// Gives a unique pointer to the contents.
            #[inline(always)]
            pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
                f(self.0.get())
            }
        }
    }
}

#[allow(unused_imports)]
#[cfg(loom)]
mod imp {
    pub(crate) mod sync {
        pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

        pub(crate) mod atomic {
            pub(crate) use loom::sync::atomic::{
                AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
            };
        }
    }

    pub(crate) mod cell {
        pub(crate) use loom::cell::UnsafeCell;
    }

    /// Spin-loop hint (loom yields instead).
    pub(crate) fn spin_loop() {
        loom::thread::yield_now();
    }

    pub(crate) mod thread {
        pub(crate) use loom::thread::current;
    }
}

pub(crate) use imp::*;

/// Locks a mutex, ignoring poisoning: the runtime's own critical sections
/// never run user code, so a poisoned lock cannot hold a broken invariant.
#[inline]
pub(crate) fn lock<T>(m: &sync::Mutex<T>) -> sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}
