//! A runtime leaves nothing behind: after `shutdown_timeout` or a drop, its
//! state is freed and its threads are gone.
//!
//! One test in this binary: it counts the process's runtimes and threads.

mod common;

use common::{eventually, with_deadline};
use std::time::Duration;
use tasklane::Runtime;

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn shut_down_and_dropped_runtimes_free_their_state_and_threads() {
    with_deadline("runtime lifecycle", || {
        // The timer thread is shared by every runtime and starts on first
        // use: start it before counting threads.
        Runtime::new()
            .unwrap()
            .block_on(tasklane::time::delay(Duration::from_millis(1)));
        let runtimes = tasklane::diag::live_runtimes();
        let before = threads();
        for i in 0..100 {
            let rt = Runtime::builder().worker_threads(2).build().unwrap();
            // Work of every kind in flight at shutdown: queued, sleeping
            // on a timer, pending forever.
            for _ in 0..10 {
                drop(rt.run(|| 1));
                drop(rt.run_async(tasklane::time::delay(Duration::from_secs(3600))));
                drop(rt.run_async(std::future::pending::<()>()));
            }
            if i % 2 == 0 {
                assert!(rt.shutdown_timeout(Duration::from_secs(10)));
            } else {
                drop(rt);
            }
        }
        assert!(
            eventually(|| tasklane::diag::live_runtimes() == runtimes),
            "runtimes still allocated: {} (before: {runtimes})",
            tasklane::diag::live_runtimes()
        );
        assert!(
            eventually(|| threads() <= before),
            "threads: {} (before: {before})",
            threads()
        );
    });
}
