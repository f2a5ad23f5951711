//! Faults the unit tests inject into the pool's own code, to check that the
//! pool survives what user code can no longer cause (every call into user
//! code is contained where it is made).

use std::sync::atomic::{AtomicUsize, Ordering};

/// Armed faults of one pool (test builds only).
#[derive(Default)]
pub(crate) struct Failpoints {
    /// The worker loop panics after this many more tasks (0: disarmed).
    worker_loop_panics: AtomicUsize,
}

impl Failpoints {
    /// Makes the next `n` passes of a worker loop after a task panic.
    pub(crate) fn arm_worker_loop_panics(&self, n: usize) {
        self.worker_loop_panics.store(n, Ordering::SeqCst);
    }

    /// Called by the worker loop after each task.
    pub(crate) fn worker_loop_panic(&self) {
        let armed = self
            .worker_loop_panics
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if armed.is_ok() {
            panic!("failpoint: the worker loop panics");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::{ErrorOrigin, UnhandledError};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn a_worker_whose_loop_panics_recovers_and_the_pool_keeps_its_threads() {
        static RUNTIME_PANICS: AtomicUsize = AtomicUsize::new(0);
        let previous =
            crate::diag::set_unhandled_error_handler(Some(Arc::new(|e: &UnhandledError| {
                if e.origin == ErrorOrigin::Runtime {
                    RUNTIME_PANICS.fetch_add(1, Ordering::SeqCst);
                }
            })));
        let rt = crate::Runtime::builder()
            .worker_threads(2)
            .max_threads(2)
            .build()
            .unwrap();
        rt.handle().shared().failpoints.arm_worker_loop_panics(3);
        let tasks: Vec<_> = (0..50).map(|i| rt.run(move || i)).collect();
        for (i, t) in tasks.into_iter().enumerate() {
            assert!(t.wait_timeout(Duration::from_secs(20)), "task {i} ran");
            assert_eq!(t.result().unwrap(), i);
        }
        // A worker panics after its task completed: the report may trail.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while RUNTIME_PANICS.load(Ordering::SeqCst) < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(RUNTIME_PANICS.load(Ordering::SeqCst), 3);
        // Both threads still run: two tasks that each wait for the other.
        let both = Arc::new(std::sync::Barrier::new(2));
        let pair: Vec<_> = (0..2)
            .map(|_| {
                let b = both.clone();
                rt.run(move || {
                    b.wait();
                })
            })
            .collect();
        for t in pair {
            assert!(t.wait_timeout(Duration::from_secs(20)));
        }
        assert_eq!(rt.handle().worker_count(), 2);
        assert!(rt.shutdown_timeout(Duration::from_secs(20)));
        crate::diag::set_unhandled_error_handler(previous);
    }
}
