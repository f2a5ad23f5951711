//! The starvation supervisor: blocking nobody announced (a plain
//! `std::thread::sleep` inside a task) is noticed, compensated and reported
//! with the blocking task's id and spawn location; the threads go back once
//! it ends; CPU-bound polls are not taken for blocking; and a pool where
//! nothing blocks gets no thread. Behaviour, not speed: deadlines are
//! generous.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tasklane::diag::{StarvationEvent, StarvationKind, set_starvation_handler};
use tasklane::pool::PoolSettings;
use tasklane::{Runtime, Task};

mod common;
use common::{DEADLINE, wait_until};

/// The handler is process-wide: each test keeps the events of its own pool.
static EVENTS: Mutex<Vec<StarvationEvent>> = Mutex::new(Vec::new());

fn collect_events() {
    set_starvation_handler(Some(Arc::new(|e: &StarvationEvent| {
        EVENTS.lock().unwrap().push(e.clone());
    })));
}

fn events_of(rt: &Runtime) -> Vec<StarvationEvent> {
    let id = rt.handle().pool_id();
    EVENTS
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.pool_id == id)
        .cloned()
        .collect()
}

fn runtime(settings: PoolSettings) -> Runtime {
    Runtime::builder()
        .pool_settings(PoolSettings {
            thread_name: "starvation-test".into(),
            ..settings
        })
        .build()
        .expect("runtime")
}

/// Two pool tasks that each sleep `length` (`std::thread::sleep`, not
/// announced), then set the flag returned with them.
fn unannotated_sleeps(rt: &Runtime, length: Duration) -> (Arc<AtomicBool>, Vec<Task<()>>) {
    let woke = Arc::new(AtomicBool::new(false));
    let sleepers = (0..2)
        .map(|_| {
            let woke = woke.clone();
            rt.run(move || {
                std::thread::sleep(length);
                woke.store(true, SeqCst);
            })
        })
        .collect();
    (woke, sleepers)
}

/// Two unannotated sleeps hold both workers of a 2-worker pool; a short
/// task queued behind them still runs long before they wake, the event
/// names the sleeping tasks, and the extra threads retire afterwards.
#[cfg(target_os = "linux")]
#[test]
fn an_unannotated_sleep_is_recovered_reported_and_the_threads_go_back() {
    collect_events();
    let rt = runtime(PoolSettings {
        workers: 2,
        thread_idle_timeout: Duration::from_millis(200),
        ..PoolSettings::default()
    });
    let h = rt.handle().clone();
    let (woke, sleepers) = unannotated_sleeps(&rt, Duration::from_secs(4));
    let sleeper_ids: Vec<u64> = sleepers.iter().map(|t| t.id()).collect();
    let sleeper_line = sleepers[0].location().line();
    // Both workers are inside the sleeps before the short task is queued.
    std::thread::sleep(Duration::from_millis(50));
    let short = rt.run(|| 1);
    assert!(short.wait_timeout(DEADLINE));
    assert!(
        !woke.load(SeqCst),
        "the short task waited for the sleeps to end: no recovery"
    );
    let events = events_of(&rt);
    let blocked: Vec<&StarvationEvent> = events
        .iter()
        .filter(|e| e.kind == StarvationKind::BlockedInPoll)
        .collect();
    assert!(!blocked.is_empty(), "no event: {events:?}");
    for e in &blocked {
        let id = e.task_id.expect("the sleeping task's id");
        assert!(sleeper_ids.contains(&id), "{e} names another task");
        assert_eq!(e.location.expect("spawn location").line(), sleeper_line);
        assert!(e.to_string().contains("blocked in the kernel"), "{e}");
    }
    assert!(h.thread_count() > 2);
    for s in &sleepers {
        assert!(s.wait_timeout(DEADLINE));
    }
    wait_until("the pool is back to its 2 workers", || {
        h.thread_count() == 2
    });
    wait_until("no thread counts as blocked", || {
        h.blocked_thread_count() == 0
    });
}

/// A stall that begins while the pool is busy — every worker finishing
/// polls, so the supervisor looks only every `supervisor_calm_interval` —
/// is still noticed and compensated: the calm interval delays detection,
/// it does not hide it.
#[cfg(target_os = "linux")]
#[test]
fn a_stall_that_begins_in_a_busy_calm_pool_is_still_recovered() {
    collect_events();
    let rt = runtime(PoolSettings {
        workers: 2,
        thread_idle_timeout: Duration::from_millis(200),
        ..PoolSettings::default()
    });
    // Busy and calm: a stream of short tasks for a while.
    let busy_until = Instant::now() + Duration::from_millis(150);
    while Instant::now() < busy_until {
        let batch: Vec<Task<u64>> = (0..64u64)
            .map(|i| rt.run(move || i.wrapping_mul(i)))
            .collect();
        for t in batch {
            t.wait().unwrap();
        }
    }
    let (woke, sleepers) = unannotated_sleeps(&rt, Duration::from_secs(3));
    std::thread::sleep(Duration::from_millis(20));
    let short = rt.run(|| 1);
    assert!(short.wait_timeout(DEADLINE));
    assert!(
        !woke.load(SeqCst),
        "the short task waited for the sleeps to end: no recovery"
    );
    assert!(
        events_of(&rt)
            .iter()
            .any(|e| e.kind == StarvationKind::BlockedInPoll),
        "no event: {:?}",
        events_of(&rt)
    );
    for s in &sleepers {
        assert!(s.wait_timeout(DEADLINE));
    }
}

/// A poll that computes for a long time is not blocking: no thread is
/// added for it, and it is not reported as blocked in the kernel.
#[cfg(target_os = "linux")]
#[test]
fn a_computing_poll_is_not_taken_for_blocking() {
    collect_events();
    let rt = runtime(PoolSettings {
        workers: 1,
        starvation_window: Duration::from_secs(3600),
        ..PoolSettings::default()
    });
    let spinner = rt.run(|| {
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(300) {
            x = x.wrapping_mul(31).wrapping_add(1);
            std::hint::black_box(x);
        }
    });
    std::thread::sleep(Duration::from_millis(20));
    let queued = rt.run(|| 2);
    assert!(spinner.wait_timeout(DEADLINE));
    assert_eq!(queued.result().unwrap(), 2);
    let blocked: Vec<StarvationEvent> = events_of(&rt)
        .into_iter()
        .filter(|e| e.kind == StarvationKind::BlockedInPoll)
        .collect();
    assert!(
        blocked.is_empty(),
        "a computing poll was taken for blocking: {blocked:?}"
    );
}

/// .NET's rule: queued work and no progress for the starvation window
/// raise the goal by one, whatever the stuck worker does; the goal log
/// records it, and the queued work runs before the stuck poll ends.
#[test]
fn no_progress_for_the_window_adds_a_thread_and_logs_it() {
    collect_events();
    let rt = runtime(PoolSettings {
        workers: 1,
        stall_window: Duration::from_secs(3600),
        starvation_window: Duration::from_millis(50),
        thread_idle_timeout: Duration::from_millis(200),
        ..PoolSettings::default()
    });
    let h = rt.handle().clone();
    let done = Arc::new(AtomicBool::new(false));
    let hog = {
        let done = done.clone();
        rt.run(move || {
            let start = Instant::now();
            while !done.load(SeqCst) && start.elapsed() < DEADLINE {
                std::hint::spin_loop();
            }
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    let queued = rt.run(|| 3);
    assert!(queued.wait_timeout(DEADLINE), "the queued task starved");
    done.store(true, SeqCst);
    assert!(hog.wait_timeout(DEADLINE));
    let log = h.thread_goal_log();
    assert!(
        log.iter()
            .any(|d| d.transition == tasklane::pool::Transition::Starvation && d.to > d.from),
        "{log:?}"
    );
    let events = events_of(&rt);
    assert!(
        events
            .iter()
            .any(|e| e.kind == StarvationKind::NoProgress && e.task_id == Some(hog.id())),
        "{events:?}"
    );
    // The goal falls back as the extra thread idles out.
    wait_until("the pool is back to its worker", || h.thread_count() == 1);
    assert!(
        h.thread_goal_log()
            .iter()
            .any(|d| d.transition == tasklane::pool::Transition::ThreadTimedOut)
    );
}

/// When nothing blocks, the pool stays at its workers and reports nothing.
#[test]
fn nothing_blocks_so_nothing_is_added() {
    collect_events();
    let rt = runtime(PoolSettings {
        workers: 2,
        ..PoolSettings::default()
    });
    let h = rt.handle().clone();
    for _ in 0..20 {
        let tasks: Vec<Task<u64>> = (0..500u64)
            .map(|i| rt.run(move || i.wrapping_mul(i)))
            .collect();
        for t in tasks {
            t.wait().unwrap();
        }
    }
    assert_eq!(h.thread_count(), 2);
    assert!(events_of(&rt).is_empty(), "{:?}", events_of(&rt));
}

/// An idle pool's supervisor sleeps: it does not wake up at all (its
/// thread's context switches stay put) until work arrives.
#[cfg(target_os = "linux")]
#[test]
fn the_supervisor_sleeps_while_the_pool_is_idle() {
    // "idle-supervisor" fits the kernel's 15-byte thread names.
    let rt = Runtime::builder()
        .worker_threads(2)
        .thread_name("idle")
        .build()
        .unwrap();
    fn switches() -> Option<u64> {
        for e in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
            let comm = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
            if comm.trim() == "idle-supervisor" {
                let status = std::fs::read_to_string(e.path().join("status")).ok()?;
                return status
                    .lines()
                    .find(|l| l.starts_with("voluntary_ctxt_switches"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
            }
        }
        None
    }
    // Some work, then idle: the supervisor goes to sleep within a tick.
    assert_eq!(rt.run(|| 1).result().unwrap(), 1);
    std::thread::sleep(Duration::from_millis(100));
    let before = switches().expect("the supervisor thread");
    std::thread::sleep(Duration::from_millis(500));
    let after = switches().expect("the supervisor thread");
    assert!(
        after <= before + 1,
        "the idle supervisor woke {} times in 500 ms",
        after - before
    );
    // And it wakes for work again.
    assert_eq!(rt.run(|| 2).result().unwrap(), 2);
}
