//! The counters snapshot moves as the runtime works: completed items grow,
//! blocked threads and the thread count show compensation, timers and an
//! unobserved fault are counted.

mod common;

use common::with_deadline;
use std::sync::Arc;
use std::time::Duration;
use tasklane::{Runtime, Task};

#[test]
fn counters_follow_what_the_runtime_does() {
    with_deadline("counters", || {
        tasklane::diag::set_unobserved_fault_handler(Some(Arc::new(|_| {})));
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        let h = rt.handle().clone();
        let before = h.counters();
        assert_eq!(before.threadpool_thread_count, 2);
        for t in (0..100).map(|_| h.run(|| ())).collect::<Vec<_>>() {
            t.wait().unwrap();
        }
        // A worker publishes its poll count after the poll: the waiter can
        // see the last task complete a moment before it is counted.
        common::wait_until("the 100 polls are counted", || {
            h.counters().threadpool_completed_items_count
                >= before.threadpool_completed_items_count + 100
        });

        // Three tasks blocked: counted, and compensated with threads.
        let gate = Arc::new(std::sync::Barrier::new(4));
        let blocked: Vec<Task<()>> = (0..3)
            .map(|_| {
                let gate = gate.clone();
                h.run(move || {
                    tasklane::blocking(|| {
                        gate.wait();
                        std::thread::sleep(Duration::from_millis(300));
                    })
                })
            })
            .collect();
        gate.wait();
        common::wait_until("the blocked threads are counted", || {
            h.counters().blocked_thread_count == 3
        });
        // The blocked threads plus at least one running.
        common::wait_until("a thread replaces them", || {
            h.counters().threadpool_thread_count >= 3
        });
        for t in blocked {
            t.wait().unwrap();
        }

        // A delay armed is an active timer.
        let _enter = h.enter();
        let delay = Task::delay(Duration::from_secs(60));
        assert!(tasklane::diag::counters().active_timer_count >= 1);
        drop(delay);

        // A fault dropped unobserved is counted (process-wide).
        let faults = tasklane::diag::counters().unobserved_fault_count;
        drop(Task::<()>::from_error("nobody looks"));
        common::wait_until("the fault is counted", || {
            tasklane::diag::counters().unobserved_fault_count > faults
        });
        let text = h.counters().to_string();
        assert!(text.contains("ThreadPool Thread Count"), "{text}");
        assert!(text.contains("Unobserved Task Faults"), "{text}");
    });
}
