//! Who drives the reactor: the runtime's parked workers, through the pool's
//! `ParkDriver` hook. The worker that parks first takes the driver and
//! sleeps in `epoll_wait`; the tasks its events wake go to its own queue.
//! Busy workers poll without sleeping every `event_interval` tasks. The
//! README gives the measurements behind this choice.

use super::{Reactor, ReactorSettings, Slab, WAKE_TOKEN};
use crate::diag::ErrorOrigin;
use crate::diag::guard::{self, Site};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::pool::driver::ParkDriver;
use std::any::Any;
use std::io;
use std::panic::Location;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

/// What the worker holding the driver uses.
pub(crate) struct DriverState {
    poll: mio::Poll,
    events: mio::Events,
    wake: Vec<Waker>,
}

impl Reactor {
    /// A reactor with its own epoll instance.
    pub(crate) fn new() -> io::Result<Arc<Reactor>> {
        let settings = ReactorSettings::default();
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
        Ok(Arc::new(Reactor {
            registry,
            slab: Mutex::new(Slab::default()),
            driver: std::sync::Mutex::new(DriverState {
                poll,
                events: mio::Events::with_capacity(settings.events_per_turn),
                wake: Vec::with_capacity(settings.events_per_turn),
            }),
            waker,
            stopped: AtomicBool::new(false),
        }))
    }

    /// One turn, if the driver is free: wait up to `timeout` for events,
    /// publish them, release the driver (so another worker can take it),
    /// call `awake`, then wake the waiters. False if another thread holds
    /// the driver.
    fn turn(
        &self,
        timeout: Option<Duration>,
        still_parked: &dyn Fn() -> bool,
        awake: &mut dyn FnMut(),
    ) -> bool {
        let Ok(mut guard) = self.driver.try_lock() else {
            return false;
        };
        // An unpark that came before we took the driver may have had its
        // eventfd wake taken by another thread's `try_poll`: then only poll
        // (the parker's state says so; an unpark after this check finds
        // its wake here, since nobody else polls while we hold the driver).
        let timeout = if still_parked() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        let st = &mut *guard;
        match st.poll.poll(&mut st.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                // epoll_wait fails only on a broken epoll fd: nothing can be
                // waited for any more, so end every wait with an error.
                crate::diag::emit::warn(
                    crate::diag::emit::ReportKind::ReactorFailure,
                    None,
                    format_args!(
                        "the I/O reactor's epoll_wait failed ({e}); every socket wait ends with an error"
                    ),
                );
                drop(guard);
                awake();
                self.stop();
                return true;
            }
        }
        self.dispatch(&st.events, &mut st.wake);
        let mut wake = std::mem::take(&mut st.wake);
        drop(guard);
        awake();
        wake_all(&mut wake);
        // Hand the (now empty) buffer back, unless another turn started.
        if let Ok(mut g) = self.driver.try_lock() {
            if g.wake.capacity() < wake.capacity() {
                g.wake = wake;
            }
        }
        true
    }
}

impl ParkDriver for Reactor {
    fn try_park(
        &self,
        timeout: Option<Duration>,
        still_parked: &dyn Fn() -> bool,
        awake: &mut dyn FnMut(),
    ) -> bool {
        if self.stopped.load(Ordering::Acquire) {
            return false;
        }
        self.turn(timeout, still_parked, awake)
    }

    fn try_poll(&self) {
        self.turn(Some(Duration::ZERO), &|| false, &mut || {});
    }

    fn wake(&self) {
        if let Err(e) = self.waker.wake() {
            crate::diag::emit::warn(
                crate::diag::emit::ReportKind::ReactorFailure,
                None,
                format_args!("could not wake the I/O reactor ({e})"),
            );
        }
    }

    fn shutdown(&self) {
        self.stop();
        self.wake();
    }

    fn as_any_arc(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// Wakes every collected waker. A panicking waker (user code) is logged and
/// skipped: it must not take the worker, and every other socket, down.
pub(super) fn wake_all(wake: &mut Vec<Waker>) {
    let at = Location::caller();
    for w in wake.drain(..) {
        guard::contain(|| Site::at(ErrorOrigin::Waker, at), || w.wake());
    }
}
