//! The .NET `ThreadPool` surface, per runtime (`Handle`) and static
//! (`ThreadPool`, on the current runtime): limits with typed errors where
//! .NET returns false, and the counters.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tasklane::pool::{MAX_POSSIBLE_THREADS, PoolSettings, ThreadPoolLimitError};
use tasklane::{Runtime, Task, TaskCompletionSource, ThreadPool};

const DEADLINE: Duration = Duration::from_secs(60);

fn runtime(workers: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .thread_name("thread-pool-test")
        .build()
        .expect("runtime")
}

#[test]
fn limits_default_to_the_workers_and_net_maximum() {
    let rt = runtime(3);
    let h = rt.handle();
    assert_eq!(h.get_min_threads(), 3);
    assert_eq!(h.get_max_threads(), MAX_POSSIBLE_THREADS);
    assert_eq!(h.thread_count(), 3);
    // Idle: nobody busy, so everything up to the maximum is available.
    let start = Instant::now();
    while h.get_available_threads() != MAX_POSSIBLE_THREADS {
        assert!(start.elapsed() < DEADLINE, "workers never went idle");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn invalid_limits_are_typed_errors_that_change_nothing() {
    let rt = runtime(2);
    let h = rt.handle();
    h.set_max_threads(10).unwrap();
    assert_eq!(
        h.set_min_threads(11),
        Err(ThreadPoolLimitError::MinAboveMax { min: 11, max: 10 })
    );
    assert_eq!(h.get_min_threads(), 2);
    assert_eq!(
        h.set_max_threads(1),
        Err(ThreadPoolLimitError::MaxBelowMin { max: 1, min: 2 })
    );
    assert!(h.set_max_threads(0).is_err());
    assert_eq!(h.get_max_threads(), 10);
    let msg = h.set_min_threads(11).unwrap_err().to_string();
    assert!(msg.contains("raise the maximum first"), "{msg}");
    // Zero is taken as one, as .NET does; above the possible maximum is
    // taken as that.
    h.set_min_threads(0).unwrap();
    assert_eq!(h.get_min_threads(), 1);
    h.set_max_threads(usize::MAX).unwrap();
    assert_eq!(h.get_max_threads(), MAX_POSSIBLE_THREADS);
}

/// Raising the minimum makes the pool run that many threads at once when
/// work is queued: four tasks that each spin until all four run together
/// finish on a 1-worker pool whose minimum is 4. The supervisor's
/// starvation rule and stall detector wait an hour here, so they cannot
/// add the threads (spinning tasks that queue work behind them is exactly
/// what the starvation rule would otherwise answer within 100 ms): only
/// the raised minimum explains them.
#[test]
fn a_raised_minimum_starts_threads_on_demand() {
    let never = Duration::from_secs(3600);
    let rt = Runtime::builder()
        .pool_settings(PoolSettings {
            workers: 1,
            stall_window: never,
            starvation_window: never,
            thread_name: "thread-pool-test".to_owned(),
            ..PoolSettings::default()
        })
        .build()
        .expect("runtime");
    let h = rt.handle().clone();
    h.set_min_threads(4).unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<Task<bool>> = (0..4)
        .map(|_| {
            let running = running.clone();
            rt.run(move || {
                running.fetch_add(1, SeqCst);
                let start = Instant::now();
                while running.load(SeqCst) < 4 {
                    if start.elapsed() > DEADLINE {
                        return false;
                    }
                    std::hint::spin_loop();
                }
                true
            })
        })
        .collect();
    for t in tasks {
        assert!(t.result().unwrap(), "four threads never ran together");
    }
    assert!(h.thread_count() >= 4);
    assert_eq!(h.get_min_threads(), 4);
    let log = h.thread_goal_log();
    assert!(
        log.iter()
            .all(|d| d.transition == tasklane::pool::Transition::Initializing),
        "only the new minimum moved the goal: {log:?}"
    );
}

#[test]
fn counters_follow_the_work() {
    let rt = runtime(1);
    let h = rt.handle().clone();
    let before = h.completed_work_item_count();
    let gate = Arc::new(TaskCompletionSource::<()>::new());
    // The only worker waits on the gate (a blocked thread: the pool adds
    // one), so hold the queued items back with a second gate instead.
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let hold = {
        let rx = rx.clone();
        rt.run(move || {
            // Computes (no blocking) until released, so nothing is added.
            let start = Instant::now();
            while rx.lock().unwrap().try_recv().is_err() && start.elapsed() < DEADLINE {
                std::hint::spin_loop();
            }
        })
    };
    let start = Instant::now();
    while h.completed_work_item_count() == before && h.pending_work_item_count() > 0 {
        assert!(start.elapsed() < DEADLINE);
        std::thread::sleep(Duration::from_millis(1));
    }
    let queued: Vec<Task<()>> = (0..5)
        .map(|_| {
            let gate = gate.clone();
            rt.run(move || drop(gate))
        })
        .collect();
    assert!(
        h.pending_work_item_count() >= 5,
        "{}",
        h.pending_work_item_count()
    );
    assert!(h.get_available_threads() < h.get_max_threads());
    tx.send(()).unwrap();
    hold.wait().unwrap();
    for q in queued {
        q.wait().unwrap();
    }
    let start = Instant::now();
    while h.completed_work_item_count() < before + 6 || h.pending_work_item_count() != 0 {
        assert!(start.elapsed() < DEADLINE);
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The static surface works on the current runtime.
#[test]
fn thread_pool_statics_act_on_the_current_runtime() {
    let rt = runtime(2);
    let _enter = rt.handle().enter();
    assert_eq!(ThreadPool::get_min_threads(), 2);
    ThreadPool::set_max_threads(64).unwrap();
    assert_eq!(rt.handle().get_max_threads(), 64);
    assert_eq!(ThreadPool::get_max_threads(), 64);
    ThreadPool::set_min_threads(3).unwrap();
    assert_eq!(rt.handle().get_min_threads(), 3);
    assert!(matches!(
        ThreadPool::set_min_threads(65),
        Err(ThreadPoolLimitError::MinAboveMax { .. })
    ));
    assert!(ThreadPool::thread_count() >= 2);
    assert!(ThreadPool::get_available_threads() <= 64);
    let done = Task::run(|| 1);
    assert_eq!(done.result().unwrap(), 1);
    // The worker counts the item after its poll returns, which may be just
    // after the result is visible (.NET's counter is as loose).
    let start = Instant::now();
    while ThreadPool::completed_work_item_count() < 1 {
        assert!(
            start.elapsed() < DEADLINE,
            "the completed item was never counted"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let log = rt.handle().thread_goal_log();
    assert!(
        log.iter()
            .any(|d| d.transition == tasklane::pool::Transition::Initializing && d.to == 3),
        "raising the minimum raised the goal: {log:?}"
    );
}

/// `LongRunning` work gets a thread of its own: it never occupies a pool
/// worker, so blocking in it for as long as it likes neither stalls queued
/// work nor makes the pool grow. Its outcome reaches the handle as usual.
#[test]
fn long_running_work_gets_a_dedicated_thread_outside_the_pool() {
    use tasklane::TaskCreationOptions;
    // The supervisor's windows at an hour: on a loaded machine it may
    // rightly add a thread for a poll it finds asleep in the kernel, and
    // this test is about LongRunning alone never growing the pool.
    let rt = Runtime::builder()
        .pool_settings(PoolSettings {
            workers: 2,
            stall_window: Duration::from_secs(3600),
            starvation_window: Duration::from_secs(3600),
            thread_name: "thread-pool-test".to_owned(),
            ..PoolSettings::default()
        })
        .build()
        .expect("runtime");
    let h = rt.handle().clone();
    let _enter = h.enter();
    let release = Arc::new(TaskCompletionSource::<()>::new());
    let gate = release.clone();
    let long = Task::start_new(
        move || {
            let name = std::thread::current().name().map(str::to_owned);
            // Blocks without telling anyone: on a pool worker this would be
            // a stall; here it is the thread's whole job.
            gate.task().wait().unwrap();
            name
        },
        TaskCreationOptions::LONG_RUNNING,
    );
    // Both workers stay free for ordinary work meanwhile.
    let quick: Vec<Task<Option<String>>> = (0..2)
        .map(|_| h.run(|| std::thread::current().name().map(str::to_owned)))
        .collect();
    for t in quick {
        let name = t.result().unwrap();
        assert!(
            name.is_some_and(|n| n.starts_with("thread-pool-test")),
            "ordinary work runs on the pool"
        );
    }
    assert_eq!(h.thread_count(), 2, "the pool did not grow for it");
    assert_eq!(h.blocked_thread_count(), 0, "no pool thread is blocked");
    release.set_result(()).unwrap();
    let name = long.result().unwrap();
    assert_eq!(name.as_deref(), Some("tasklane-long-running"));
    // A panic in LongRunning work faults its task like anywhere else.
    let failed = Task::start_new(
        || -> u32 { panic!("long-running failure") },
        TaskCreationOptions::LONG_RUNNING,
    );
    let err = failed.result().unwrap_err();
    assert!(err.to_string().contains("long-running failure"), "{err}");
}
