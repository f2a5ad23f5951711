//! The state every token of one source shares: the cancellation state word,
//! the callback list, and the bookkeeping that lets a registration's drop wait
//! for its running callback. The protocol is described in `README.md`.

use super::callbacks::{Callback, CallbackList, Key};
use super::spin_lock::SpinLock;
use crate::diag::ErrorOrigin;
use crate::diag::guard::{self, Site};
use crate::flow::ExecutionContext;
use crate::loom::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use crate::loom::sync::{Condvar, Mutex};
use crate::task::{AggregateError, TaskError};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};

/// Nobody asked for cancellation yet. Registrations are listed.
const NOT_CANCELED: u8 = 0;
/// `cancel()` is running the callbacks. Registrations run inline.
const NOTIFYING: u8 = 1;
/// Every callback has run (or, after `cancel_with(true)` stopped, was
/// dropped). The list is empty for good.
const NOTIFIED: u8 = 2;

/// Names the calling thread: the address of a thread-local with a constant
/// initializer and no destructor, valid for the thread's whole life (even
/// while its other thread-locals are being destroyed, when
/// `thread::current()` may fail) and unique among live threads.
#[cfg(not(loom))]
type ThreadId = usize;
#[cfg(loom)]
type ThreadId = loom::thread::ThreadId;

#[cfg(not(loom))]
fn this_thread() -> ThreadId {
    thread_local! {
        static MARK: u8 = const { 0 };
    }
    MARK.with(|m| m as *const u8 as usize)
}

#[cfg(loom)]
fn this_thread() -> ThreadId {
    crate::loom::thread::current().id()
}

/// Everything behind the source's lock.
struct Locked {
    list: CallbackList,
    /// The callback `cancel()` is running now.
    executing: Option<Key>,
    /// The thread running the callbacks, while NOTIFYING.
    executing_thread: Option<ThreadId>,
    /// Registration drops waiting for `executing` to change.
    waiters: usize,
    /// The source was dropped: it can no longer be cancelled, and new
    /// callbacks are dropped unrun.
    disposed: bool,
}

/// The shared state of one `CancellationTokenSource`. C#: the fields of
/// `CancellationTokenSource` its tokens reach.
pub(crate) struct Inner {
    /// NOT_CANCELED → NOTIFYING → NOTIFIED. Written only under `locked`;
    /// read without it by `is_cancellation_requested`.
    state: AtomicU8,
    locked: SpinLock<Locked>,
    /// Where registration drops sleep while their callback runs elsewhere
    /// (rare: the spin lock is never held while sleeping).
    wait_lock: Mutex<()>,
    /// Signalled (after taking `wait_lock`) when `executing` is cleared
    /// while `waiters` is non-zero.
    callback_done: Condvar,
    /// Bumped (under the lock) by every `reset`, which unlists every
    /// registration: an awaiter that saw the same value before knows its
    /// registration is still listed without taking the lock.
    resets: AtomicU64,
}

/// What `Inner::register` did with a callback.
pub(crate) enum Registered {
    /// Listed under this key.
    Listed(Key),
    /// Cancellation was already requested: the caller runs it inline, now.
    Canceled(Callback),
    /// The source is gone: it can never run; the caller drops it.
    Disposed(Callback),
}

impl Inner {
    pub(crate) fn new() -> Inner {
        Self::with_state(NOT_CANCELED)
    }

    /// A source that is already cancelled (`CancellationToken::new(true)`).
    pub(crate) fn new_canceled() -> Inner {
        Self::with_state(NOTIFIED)
    }

    fn with_state(state: u8) -> Inner {
        Inner {
            state: AtomicU8::new(state),
            locked: SpinLock::new(Locked {
                list: CallbackList::new(),
                executing: None,
                executing_thread: None,
                waiters: 0,
                disposed: false,
            }),
            wait_lock: Mutex::new(()),
            callback_done: Condvar::new(),
            resets: AtomicU64::new(0),
        }
    }

    /// True once `cancel()` has begun.
    #[inline]
    pub(crate) fn is_cancellation_requested(&self) -> bool {
        self.state.load(Ordering::Acquire) != NOT_CANCELED
    }

    /// Lists `callback`, unless cancellation was requested (the caller runs
    /// it) or the source is gone (the caller drops it).
    pub(crate) fn register(&self, callback: Callback) -> Registered {
        if self.is_cancellation_requested() {
            return Registered::Canceled(callback);
        }
        let mut g = self.locked.lock();
        // Under the lock the state cannot leave NOT_CANCELED, so a listed
        // callback is certain to be seen by `notify`'s pops.
        if self.state.load(Ordering::Relaxed) != NOT_CANCELED {
            return Registered::Canceled(callback);
        }
        if g.disposed {
            return Registered::Disposed(callback);
        }
        Registered::Listed(g.list.push(callback))
    }

    /// Removes a registration without waiting for its callback; true if it
    /// was removed before it ran. The callback is dropped outside the lock.
    pub(crate) fn unregister(&self, key: Key) -> bool {
        if self.state.load(Ordering::Acquire) == NOTIFIED {
            return false;
        }
        let removed = self.locked.lock().list.remove(key);
        let was_listed = removed.is_some();
        drop_callback(removed);
        was_listed
    }

    /// Removes a registration; if its callback is running on another thread,
    /// waits until it returns. From the thread running callbacks (inside a
    /// callback) it never waits, which would deadlock. C#:
    /// `CancellationTokenRegistration.Dispose`.
    #[inline]
    pub(crate) fn unregister_and_wait(&self, key: Key) {
        // NOTIFIED happens after the last callback returned: nothing to wait
        // for, nothing listed.
        if self.state.load(Ordering::Acquire) != NOTIFIED {
            self.unregister_and_wait_slow(key);
        }
    }

    /// `unregister_and_wait` before every callback has run.
    #[inline(never)]
    fn unregister_and_wait_slow(&self, key: Key) {
        let mut g = self.locked.lock();
        if let Some(callback) = g.list.remove(key) {
            drop(g);
            drop_callback(Some(callback));
            return;
        }
        if g.executing != Some(key) || g.executing_thread == Some(this_thread()) {
            return;
        }
        g.waiters += 1;
        drop(g);
        // Checked under `wait_lock`, which `Condvar::wait` releases
        // atomically: the canceller clears `executing` before taking
        // `wait_lock` to notify, so the change is seen here or wakes us.
        let mut w = crate::loom::lock(&self.wait_lock);
        while self.locked.lock().executing == Some(key) {
            w = self
                .callback_done
                .wait(w)
                .unwrap_or_else(|p| p.into_inner());
        }
        drop(w);
        self.locked.lock().waiters -= 1;
    }

    /// Refreshes the waker of a listed awaiter; false if it is no longer
    /// listed (cancellation took it, or the source was reset or dropped).
    pub(crate) fn update_waker(&self, key: Key, waker: &std::task::Waker) -> bool {
        let mut g = self.locked.lock();
        let Some(w) = g.list.waker_mut(key) else {
            return false;
        };
        if w.will_wake(waker) {
            return true;
        }
        let old = std::mem::replace(w, waker.clone());
        drop(g);
        drop(old);
        true
    }

    /// Requests cancellation: runs every listed callback, newest first, on
    /// this thread, then reports their failures. Only the first call does
    /// anything; later (or concurrent) calls return at once. With
    /// `throw_on_first`, stops at the first failure. C#:
    /// `CancellationTokenSource.Cancel(bool)`.
    pub(crate) fn notify(&self, throw_on_first: bool) -> Result<(), AggregateError> {
        let mut g = self.locked.lock();
        if g.disposed || self.state.load(Ordering::Relaxed) != NOT_CANCELED {
            return Ok(());
        }
        // From here every registration runs inline instead of being listed.
        self.state.store(NOTIFYING, Ordering::Release);
        g.executing_thread = Some(this_thread());
        let mut errors = Vec::new();
        let mut stopped = false;
        while !stopped {
            let Some((key, callback)) = g.list.pop_newest() else {
                break;
            };
            g.executing = Some(key);
            drop(g);
            if let Err(e) = run(callback) {
                errors.push(e);
                stopped = throw_on_first;
            }
            g = self.locked.lock();
            g.executing = None;
            if g.waiters > 0 {
                drop(g);
                drop(crate::loom::lock(&self.wait_lock));
                self.callback_done.notify_all();
                g = self.locked.lock();
            }
        }
        let skipped = stopped.then(|| g.list.take_all());
        g.executing_thread = None;
        // Every callback has returned: drops of registrations need not wait.
        self.state.store(NOTIFIED, Ordering::Release);
        drop(g);
        if let Some(skipped) = skipped {
            // C# leaves the rest unrun. tasklane still wakes its own awaiters,
            // so nothing waiting on the token hangs; user callbacks are dropped.
            for callback in skipped.into_newest_first() {
                if callback.is_plumbing() {
                    let _ = run(callback);
                } else {
                    drop_callback(Some(callback));
                }
            }
        }
        AggregateError::from_errors(errors).map_or(Ok(()), Err)
    }

    /// The source was dropped: it can never be cancelled now, so its
    /// callbacks are dropped unrun (a cancellation already running goes on).
    /// C#: `CancellationTokenSource.Dispose`.
    pub(crate) fn dispose(&self) {
        let list = {
            let mut g = self.locked.lock();
            g.disposed = true;
            if self.state.load(Ordering::Relaxed) == NOT_CANCELED {
                g.list.take_all()
            } else {
                CallbackList::new()
            }
        };
        for callback in list.into_newest_first() {
            drop_callback(Some(callback));
        }
    }

    /// Unregisters every callback if cancellation was not requested; false
    /// otherwise. Awaiters are woken (they re-register). C#:
    /// `CancellationTokenSource.TryReset`.
    pub(crate) fn reset(&self) -> bool {
        let list = {
            let mut g = self.locked.lock();
            if self.state.load(Ordering::Relaxed) != NOT_CANCELED {
                return false;
            }
            self.resets.fetch_add(1, Ordering::Release);
            g.list.take_all()
        };
        for callback in list.into_newest_first() {
            match callback {
                Callback::Waker(w) => w.wake(),
                other => drop_callback(Some(other)),
            }
        }
        true
    }

    /// How many times the source was reset (see `resets`).
    #[inline]
    pub(crate) fn resets(&self) -> u64 {
        self.resets.load(Ordering::Acquire)
    }

    /// Listed callbacks (diagnostics, tests).
    pub(crate) fn registered_count(&self) -> usize {
        self.locked.lock().list.len()
    }
}

/// Runs one callback from `notify`, turning a panic into an error.
fn run(callback: Callback) -> Result<(), TaskError> {
    match callback {
        // Under an empty context unless the closure carries its own: the
        // cancelling thread's context never leaks into a callback, nor back.
        Callback::User(f) => catch_unwind(AssertUnwindSafe(|| {
            crate::flow::with_context(&mut ExecutionContext::default(), || f.call())
        }))
        .map_err(|p| TaskError::from_panic_in(p, "a cancellation callback")),
        Callback::Waker(w) => catch_unwind(AssertUnwindSafe(|| w.wake()))
            .map_err(|p| TaskError::from_panic_in(p, "a waker woken by a cancellation")),
        Callback::Internal(f) => catch_unwind(AssertUnwindSafe(|| f.call()))
            .map_err(|p| TaskError::from_panic_in(p, "a cancellation callback")),
        // The linked source catches its own callbacks' panics; its aggregate
        // becomes one error of ours, as a nested AggregateException in C#.
        Callback::Link(child) => child.notify(false).map_err(TaskError::new),
    }
}

/// Drops a callback that will never run. Its destructor is user code: a
/// panic there must not unwind through the runtime.
/// (A callback keeps no registration site, to stay small: the report names
/// the runtime's call that dropped it.)
#[track_caller]
fn drop_callback(callback: Option<Callback>) {
    if let Some(callback) = callback {
        let at = Location::caller();
        guard::contain(
            || Site::at(ErrorOrigin::CancellationCallback, at),
            move || drop(callback),
        );
    }
}
