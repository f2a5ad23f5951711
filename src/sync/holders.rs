//! Which dispatchers hold a lock now: the one thing a blocking `lock()` on
//! a dispatcher thread must know to return a `DeadlockError` rather than
//! block on work that needs its own thread. Touched only when a lock is
//! taken on a dispatcher thread; on the pool it costs one thread-local read.

use super::waits::WaitSite;
use crate::cancel::spin_lock::SpinLock;
use crate::context::DeadlockError;

pub(crate) struct Holders(SpinLock<Vec<usize>>);

impl Holders {
    pub(crate) fn new() -> Holders {
        Holders(SpinLock::new(Vec::new()))
    }

    /// A guard was taken on this thread: the dispatcher it runs, if any, is
    /// noted (returned, to give to [`released`](Self::released)).
    pub(crate) fn acquired(&self) -> usize {
        let d = crate::context::dispatcher::thread::current_id();
        if d != 0 {
            self.0.lock().push(d);
        }
        d
    }

    /// A guard taken on dispatcher `d` (0: none) was released.
    pub(crate) fn released(&self, d: usize) {
        if d != 0 {
            let mut v = self.0.lock();
            if let Some(i) = v.iter().position(|x| *x == d) {
                v.swap_remove(i);
            }
        }
    }

    /// Before a blocking acquire on this thread: a `DeadlockError` if a
    /// holder took the lock on this thread's own dispatcher.
    pub(crate) fn check_blocking(&self, site: &WaitSite) -> Result<(), DeadlockError> {
        let d = crate::context::dispatcher::thread::current_id();
        if d != 0 && self.0.lock().contains(&d) {
            return Err(DeadlockError::lock_held_here(
                site.to_string(),
                site.location,
            ));
        }
        Ok(())
    }
}
