//! A parker for one worker: `park` sleeps until `unpark`; an `unpark` that
//! comes first makes the next `park` return at once (a token, as
//! `std::thread::park`).

use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Condvar, Mutex};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            cvar: Condvar::new(),
        }
    }

    /// Sleeps until unparked (consuming a pending token at once).
    pub(crate) fn park(&self) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        let mut guard = crate::loom::lock(&self.lock);
        match self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // Unparked between the two checks: consume the token. A
                // swap, not a store: it reads the latest unpark, so what
                // that unparker wrote before unparking (a shutdown flag) is
                // visible after we return. A store could consume a second
                // unpark without synchronizing with it (found by loom:
                // `parking_two_workers_loses_no_wakeup`).
                let token = self.state.swap(EMPTY, SeqCst);
                debug_assert_eq!(token, NOTIFIED);
                return;
            }
            Err(actual) => unreachable!("inconsistent park state {actual}"),
        }
        loop {
            guard = self.cvar.wait(guard).unwrap_or_else(|p| p.into_inner());
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            // Spurious wakeup: sleep again.
        }
    }

    /// Wakes the parked thread, or leaves a token for its next park.
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => return,
            PARKED => {}
            actual => unreachable!("inconsistent park state {actual}"),
        }
        // Take the lock so the notify cannot fall between the parker's state
        // change and its wait.
        drop(crate::loom::lock(&self.lock));
        self.cvar.notify_one();
    }
}
