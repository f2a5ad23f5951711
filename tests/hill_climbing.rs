//! Hill climbing, when enabled, samples the pool's throughput and moves the
//! thread goal: with work that waits a millisecond per item without telling
//! the pool (shorter than the stall window, so only the controller can see
//! that more threads help), it climbs above the minimum, logs every
//! decision, and stays within the limits. Behaviour, not speed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{Duration, Instant};
use tasklane::pool::Transition;
use tasklane::{Runtime, Task};

const DEADLINE: Duration = Duration::from_secs(60);

#[test]
fn an_enabled_controller_samples_logs_and_climbs_within_the_limits() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .max_threads(8)
        .hill_climbing(true)
        .thread_name("hill-climbing-test")
        .build()
        .expect("runtime");
    let h = rt.handle().clone();
    let stop = Arc::new(AtomicBool::new(false));
    // A feeder keeps plenty of 1 ms items queued.
    let feeder = {
        let (h, stop) = (h.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut pending: Vec<Task<()>> = Vec::new();
            while !stop.load(SeqCst) {
                pending.retain(|t| !t.is_completed());
                while pending.len() < 64 {
                    pending.push(h.run(|| std::thread::sleep(Duration::from_millis(1))));
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            for t in pending {
                t.wait().unwrap();
            }
        })
    };
    let start = Instant::now();
    let mut peak = 0;
    loop {
        peak = peak.max(h.thread_count());
        let log = h.thread_goal_log();
        let climbed = log
            .iter()
            .any(|d| d.transition == Transition::ClimbingMove && d.to > d.from);
        if climbed && peak > 2 {
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the controller never climbed; log: {log:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, SeqCst);
    feeder.join().unwrap();
    let log = h.thread_goal_log();
    assert!(
        log.iter().all(|d| d.to >= 2 && d.to <= 8),
        "every decision stays within min 2 and max 8: {log:?}"
    );
    assert!(h.thread_count() <= 8);
}
