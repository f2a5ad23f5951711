//! The hook that lets a parked worker sleep in the I/O reactor instead of
//! on its condvar (Tokio's design): the worker that parks first takes the
//! driver and blocks in `epoll_wait`; readiness then wakes tasks straight
//! into that worker's own queue, with no thread hop. The reactor implements
//! this trait; the pool only calls it in three places:
//!
//! 1. [`Parker::park_timeout`](super::park::Parker::park_timeout): try to sleep in
//!    the driver, else on the condvar;
//! 2. `Parker::unpark`: a worker sleeping in the driver is woken through
//!    [`ParkDriver::wake`];
//! 3. the worker loop polls the driver without sleeping every
//!    `PoolSettings::event_interval` tasks, so busy workers still see I/O.
//!
//! `io/reactor/README.md` has the measurements behind this choice.

use std::any::Any;

/// An event source a parked worker can sleep in.
pub(crate) trait ParkDriver: Send + Sync + 'static {
    /// Takes the driver if no other thread holds it, and sleeps in it until
    /// an event, [`wake`](Self::wake) or `timeout`; returns false at once if another
    /// thread holds it (the caller sleeps on its condvar instead). Calls
    /// `awake` once the sleep is over and before waking the tasks the events
    /// were for, so those wakes see a worker that is awake (and do not write
    /// the eventfd to wake it).
    ///
    /// Once it holds the driver it asks `still_parked`, and if the answer is
    /// no (an unpark came since the parker announced the driver sleep) it
    /// only polls, without sleeping: that unpark's wake may have been taken
    /// by another thread's [`try_poll`](Self::try_poll) before this one
    /// took the driver.
    fn try_park(
        &self,
        timeout: Option<std::time::Duration>,
        still_parked: &dyn Fn() -> bool,
        awake: &mut dyn FnMut(),
    ) -> bool;

    /// Takes the driver if free and handles what is ready, without sleeping.
    fn try_poll(&self);

    /// Wakes the thread sleeping in [`try_park`](Self::try_park) (or makes
    /// its next sleep return at once).
    fn wake(&self);

    /// The runtime shut down: end every wait on the driver.
    fn shutdown(&self);

    /// For the driver's owner (the runtime) to find its concrete type.
    fn as_any_arc(self: std::sync::Arc<Self>) -> std::sync::Arc<dyn Any + Send + Sync>;
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! The parker's driver handshake: an unpark is never lost, whether the
    //! worker sleeps in the driver, finds it held and falls back to the
    //! condvar, or is between the two.

    use super::ParkDriver;
    use crate::loom::sync::Arc;
    use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use crate::pool::park::Parker;
    use std::any::Any;

    /// A driver whose "epoll_wait" is a loom `Notify` (a wake before the
    /// wait is kept, like an eventfd write).
    struct FakeDriver {
        held: AtomicBool,
        eventfd: loom::sync::Notify,
    }

    impl ParkDriver for FakeDriver {
        fn try_park(
            &self,
            _timeout: Option<std::time::Duration>,
            still_parked: &dyn Fn() -> bool,
            awake: &mut dyn FnMut(),
        ) -> bool {
            if self.held.swap(true, SeqCst) {
                return false;
            }
            if still_parked() {
                self.eventfd.wait();
            }
            self.held.store(false, SeqCst);
            awake();
            true
        }
        fn try_poll(&self) {}
        fn wake(&self) {
            self.eventfd.notify();
        }
        fn shutdown(&self) {}
        fn as_any_arc(self: std::sync::Arc<Self>) -> std::sync::Arc<dyn Any + Send + Sync> {
            self
        }
    }

    /// A driver whose eventfd wake one poll can consume, as `epoll_wait`
    /// consumes an edge: a flag says a wake is pending, a `Notify` wakes
    /// the sleeper, which sleeps again if the flag was taken meanwhile.
    struct ConsumingDriver {
        held: AtomicBool,
        pending: AtomicBool,
        eventfd: loom::sync::Notify,
    }

    impl ParkDriver for ConsumingDriver {
        fn try_park(
            &self,
            _timeout: Option<std::time::Duration>,
            still_parked: &dyn Fn() -> bool,
            awake: &mut dyn FnMut(),
        ) -> bool {
            if self.held.swap(true, SeqCst) {
                return false;
            }
            // "epoll_wait": without a timeout until a wake is pending, or
            // with a zero timeout if the parker was unparked meanwhile.
            if still_parked() {
                while !self.pending.swap(false, SeqCst) {
                    self.eventfd.wait();
                }
            } else {
                self.pending.swap(false, SeqCst);
            }
            self.held.store(false, SeqCst);
            awake();
            true
        }
        fn try_poll(&self) {
            if !self.held.swap(true, SeqCst) {
                self.pending.swap(false, SeqCst);
                self.held.store(false, SeqCst);
            }
        }
        fn wake(&self) {
            // A read-modify-write, as the eventfd's counter is.
            self.pending.swap(true, SeqCst);
            self.eventfd.notify();
        }
        fn shutdown(&self) {}
        fn as_any_arc(self: std::sync::Arc<Self>) -> std::sync::Arc<dyn Any + Send + Sync> {
            self
        }
    }

    #[test]
    fn a_poll_that_takes_the_wake_does_not_strand_the_parker() {
        loom::model(|| {
            // A busy worker's poll may consume the unpark's wake before the
            // parker takes the driver; without the `still_parked` check the
            // parker would then sleep in it forever (loom: deadlock).
            let d = std::sync::Arc::new(ConsumingDriver {
                held: AtomicBool::new(false),
                pending: AtomicBool::new(false),
                eventfd: loom::sync::Notify::new(),
            });
            let parker = Arc::new(Parker::new());
            parker.set_driver(d.clone());
            let p = parker.clone();
            let waker = loom::thread::spawn(move || p.unpark());
            let poller = loom::thread::spawn(move || d.try_poll());
            parker.park_timeout(None);
            waker.join().unwrap();
            poller.join().unwrap();
        });
    }

    fn driver(held: bool) -> std::sync::Arc<FakeDriver> {
        std::sync::Arc::new(FakeDriver {
            held: AtomicBool::new(held),
            eventfd: loom::sync::Notify::new(),
        })
    }

    #[test]
    fn unpark_reaches_a_worker_sleeping_in_the_driver() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            parker.set_driver(driver(false));
            let p = parker.clone();
            let waker = loom::thread::spawn(move || p.unpark());
            parker.park_timeout(None);
            waker.join().unwrap();
        });
    }

    #[test]
    fn unpark_reaches_a_worker_that_fell_back_to_the_condvar() {
        loom::model(|| {
            // Another thread holds the driver: the worker must sleep on its
            // condvar, and the unpark must still find it.
            let parker = Arc::new(Parker::new());
            parker.set_driver(driver(true));
            let p = parker.clone();
            let waker = loom::thread::spawn(move || p.unpark());
            parker.park_timeout(None);
            waker.join().unwrap();
        });
    }
}
