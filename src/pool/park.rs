//! A parker for one worker: `park` sleeps until `unpark`; an `unpark` that
//! comes first makes the next `park` return at once (a token, as
//! `std::thread::park`).

use super::driver::ParkDriver;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Condvar, Mutex};
use std::sync::Arc;
use std::time::{Duration, Instant};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
/// Sleeping in the I/O driver (see `driver.rs`): `unpark` wakes the driver.
const PARKED_DRIVER: usize = 3;

pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
    /// The I/O driver this worker may sleep in (set once, before the
    /// worker starts).
    driver: std::sync::OnceLock<Arc<dyn ParkDriver>>,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            cvar: Condvar::new(),
            driver: std::sync::OnceLock::new(),
        }
    }

    /// Lets this worker sleep in `driver` (see `driver.rs`).
    pub(crate) fn set_driver(&self, driver: Arc<dyn ParkDriver>) {
        let _ = self.driver.set(driver);
    }

    /// Sleeps until unparked (consuming a pending token at once): in the
    /// I/O driver if there is one and no other thread holds it, else on the
    /// condvar. After a driver sleep it may also return because events
    /// queued work on this worker.
    ///
    /// With a `timeout`, returns after it at the latest (with or without an
    /// unpark; the caller tells them apart by its own state).
    pub(crate) fn park_timeout(&self, timeout: Option<Duration>) {
        match self.driver.get() {
            Some(d) => self.park_driver(&**d, timeout),
            None => self.park_condvar(timeout),
        }
    }

    fn park_driver(&self, driver: &dyn ParkDriver, timeout: Option<Duration>) {
        // Announce the driver sleep first, so an unpark from now on goes
        // through `driver.wake()` (an early wake makes the sleep return).
        match self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // A swap, not a store: see `park_condvar`.
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("inconsistent park state {actual}"),
        }
        // Woken by events or by an unpark: awake either way (an unpark
        // from here on leaves a token instead of waking the driver).
        let still_parked = || self.state.load(SeqCst) == PARKED_DRIVER;
        if driver.try_park(timeout, &still_parked, &mut || {
            self.state.swap(EMPTY, SeqCst);
        }) {
            return;
        }
        // Another thread drives: sleep on the condvar instead.
        if self
            .state
            .compare_exchange(PARKED_DRIVER, EMPTY, SeqCst, SeqCst)
            .is_err()
        {
            // Unparked meanwhile (its driver wake reached the holder: a
            // harmless spurious wake-up there). A swap: see `park_condvar`.
            self.state.swap(EMPTY, SeqCst);
            return;
        }
        self.park_condvar(timeout);
    }

    fn park_condvar(&self, timeout: Option<Duration>) {
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
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            guard = match deadline {
                None => self.cvar.wait(guard).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    self.cvar
                        .wait_timeout(guard, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                // Timed out: leave PARKED for EMPTY, unless an unpark
                // came meanwhile (then consume its token, as above).
                if self
                    .state
                    .compare_exchange(PARKED, EMPTY, SeqCst, SeqCst)
                    .is_err()
                {
                    let token = self.state.swap(EMPTY, SeqCst);
                    debug_assert_eq!(token, NOTIFIED);
                }
                return;
            }
            // Spurious wakeup: sleep again.
        }
    }

    /// Wakes the parked thread, or leaves a token for its next park.
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => return,
            PARKED_DRIVER => {
                if let Some(d) = self.driver.get() {
                    d.wake();
                }
                return;
            }
            PARKED => {}
            actual => unreachable!("inconsistent park state {actual}"),
        }
        // Take the lock so the notify cannot fall between the parker's state
        // change and its wait.
        drop(crate::loom::lock(&self.lock));
        self.cvar.notify_one();
    }
}
