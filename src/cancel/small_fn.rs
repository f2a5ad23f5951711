//! `SmallFn`: a `FnOnce() + Send` stored without a heap allocation when it
//! fits in two machine words (most callbacks capture one or two pointers: an
//! `Arc`, a `Waker`, a task handle). Larger closures are boxed.
//!
//! This is the only `unsafe` of the cancellation module: registering a
//! callback is on the hot path of every token-taking await, and an
//! allocation per registration would cost more than the rest of it.

use std::mem::{ManuallyDrop, MaybeUninit};

/// Inline storage: two words, word-aligned.
type Storage = MaybeUninit<[usize; 2]>;

struct VTable {
    /// Moves the stored value out and calls it.
    call: unsafe fn(*mut Storage),
    /// Drops the stored value in place.
    drop: unsafe fn(*mut Storage),
}

/// A type-erased `FnOnce() + Send + 'static`.
pub(crate) struct SmallFn {
    storage: Storage,
    vtable: &'static VTable,
}

// SAFETY: `SmallFn::new` only accepts `Send` closures, and the storage is
// owned: moving a `SmallFn` to another thread moves the closure.
unsafe impl Send for SmallFn {}

struct Holder<S>(std::marker::PhantomData<S>);

impl<S: FnOnce()> Holder<S> {
    const VTABLE: VTable = VTable {
        call: call::<S>,
        drop: drop_in_place::<S>,
    };
}

/// # Safety
/// `p` holds an initialized `S` that is never used again.
unsafe fn call<S: FnOnce()>(p: *mut Storage) {
    // SAFETY: per the contract, an `S` lives at `p` and we take it.
    let f = unsafe { p.cast::<S>().read() };
    f()
}

/// # Safety
/// `p` holds an initialized `S` that is never used again.
unsafe fn drop_in_place<S>(p: *mut Storage) {
    // SAFETY: per the contract.
    unsafe { p.cast::<S>().drop_in_place() }
}

impl SmallFn {
    /// Stores `f`, inline when it fits.
    pub(crate) fn new<F: FnOnce() + Send + 'static>(f: F) -> SmallFn {
        let mut storage = Storage::uninit();
        let fits =
            size_of::<F>() <= size_of::<Storage>() && align_of::<F>() <= align_of::<Storage>();
        let vtable = if fits {
            // SAFETY: `F` fits the storage in size and alignment (checked
            // above); the storage is uninitialized, so nothing is overwritten.
            unsafe { storage.as_mut_ptr().cast::<F>().write(f) };
            &Holder::<F>::VTABLE
        } else {
            let boxed: Box<F> = Box::new(f);
            // SAFETY: a `Box<F>` is one pointer: it always fits.
            unsafe { storage.as_mut_ptr().cast::<Box<F>>().write(boxed) };
            &Holder::<Box<F>>::VTABLE
        };
        SmallFn { storage, vtable }
    }

    /// Calls the closure, consuming it.
    pub(crate) fn call(self) {
        let mut me = ManuallyDrop::new(self);
        // SAFETY: the storage holds the value `new` wrote for this vtable;
        // `ManuallyDrop` keeps `Drop` from touching it again.
        unsafe { (me.vtable.call)(&mut me.storage) }
    }
}

impl Drop for SmallFn {
    fn drop(&mut self) {
        // SAFETY: not called (`call` skips `Drop`), so the value is still there.
        unsafe { (self.vtable.drop)(&mut self.storage) }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::SmallFn;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn small_and_large_closures_run_once_and_drop_once() {
        let hits = Arc::new(AtomicUsize::new(0));
        let small = {
            let hits = hits.clone();
            SmallFn::new(move || {
                hits.fetch_add(1, Ordering::SeqCst);
            })
        };
        let big_payload = [7u64; 16];
        let large = {
            let hits = hits.clone();
            SmallFn::new(move || {
                hits.fetch_add(big_payload[3] as usize, Ordering::SeqCst);
            })
        };
        small.call();
        large.call();
        assert_eq!(hits.load(Ordering::SeqCst), 8);
        // Every clone of `hits` was consumed by the calls.
        assert_eq!(Arc::strong_count(&hits), 1);

        let dropped = {
            let hits = hits.clone();
            SmallFn::new(move || drop(hits))
        };
        assert_eq!(Arc::strong_count(&hits), 2);
        drop(dropped);
        assert_eq!(Arc::strong_count(&hits), 1);
    }
}
