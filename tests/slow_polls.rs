//! A poll that runs past the pool's `slow_poll_threshold` is reported once,
//! naming its task and where it was spawned, and saying whether its thread
//! computed or slept in the kernel; a poll inside an announced blocking
//! section is not reported.

mod common;

use common::with_deadline;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tasklane::diag::SlowPollEvent;
use tasklane::pool::PoolSettings;
use tasklane::{Runtime, Task};

#[test]
fn slow_polls_are_reported_once_with_their_task_and_what_the_thread_did() {
    with_deadline("slow polls", || {
        let events: Arc<Mutex<Vec<SlowPollEvent>>> = Arc::default();
        let sink = events.clone();
        tasklane::diag::set_slow_poll_handler(Some(Arc::new(move |e| {
            sink.lock().unwrap().push(e.clone());
        })));
        let rt = Runtime::builder()
            .worker_threads(2)
            .pool_settings(PoolSettings {
                slow_poll_threshold: Duration::from_millis(50),
                ..PoolSettings::default()
            })
            .build()
            .unwrap();
        let h = rt.handle();
        // Computing for 400 ms in one poll.
        let computing = h.run(|| {
            let end = Instant::now() + Duration::from_millis(400);
            while Instant::now() < end {
                std::hint::spin_loop();
            }
        });
        // Sleeping in the kernel for 400 ms, unannounced.
        let sleeping = h.run(|| std::thread::sleep(Duration::from_millis(400)));
        computing.wait().unwrap();
        sleeping.wait().unwrap();
        // Announced blocking: not a slow poll.
        let announced =
            h.run(|| tasklane::blocking(|| std::thread::sleep(Duration::from_millis(200))));
        announced.wait().unwrap();
        let counted_before = tasklane::diag::counters().slow_poll_count;
        let of = |t: &Task<()>| -> Vec<SlowPollEvent> {
            events
                .lock()
                .unwrap()
                .iter()
                .filter(|e| e.task_id == Some(t.id()))
                .cloned()
                .collect()
        };
        let c = of(&computing);
        assert_eq!(c.len(), 1, "reported once: {c:?}");
        assert!(c[0].on_cpu, "{}", c[0]);
        assert!(c[0].running_for >= Duration::from_millis(50));
        assert_eq!(c[0].location.unwrap().file(), "tests/slow_polls.rs");
        assert!(c[0].to_string().contains("on the CPU"), "{}", c[0]);
        let s = of(&sleeping);
        assert_eq!(s.len(), 1, "reported once: {s:?}");
        assert!(!s[0].on_cpu, "{}", s[0]);
        assert!(
            s[0].to_string().contains("asleep in the kernel"),
            "{}",
            s[0]
        );
        assert!(
            of(&announced).is_empty(),
            "an announced blocking section is not a slow poll"
        );
        assert!(counted_before >= 2);
        tasklane::diag::set_slow_poll_handler(None);
    });
}
