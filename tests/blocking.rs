//! Cooperative blocking: a pool thread blocking in `wait()`, `result()`,
//! `block_on` or `tasklane::blocking(..)` tells the pool, which keeps its
//! other work running on other threads and gives the threads back once
//! the blocking ends; past the allowance, each further thread waits .NET's
//! delay steps. Behaviour, not speed: deadlines are generous.
//!
//! Every pool here runs with the supervisor's stall detector and
//! starvation rule pushed out to an hour ([`cooperative_only`]), so only
//! the blocked threads telling the pool can add a thread: were `wait()` or
//! `blocking(..)` to stop telling it, these tests would fail instead of
//! being rescued by the supervisor (`tests/starvation.rs` tests that path).

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use tasklane::pool::PoolSettings;
use tasklane::{Runtime, Task, TaskCompletionSource};

mod common;
use common::{DEADLINE, wait_until};

/// Longer than any test: the supervisor never presumes a poll blocked nor
/// raises the goal for starvation.
const NEVER: Duration = Duration::from_secs(3600);

/// Settings under which only cooperative blocking adds threads.
fn cooperative_only(workers: usize, idle_timeout: Duration) -> PoolSettings {
    PoolSettings {
        workers,
        thread_idle_timeout: idle_timeout,
        stall_window: NEVER,
        starvation_window: NEVER,
        thread_name: "blocking-test".to_owned(),
        ..PoolSettings::default()
    }
}

fn build(settings: PoolSettings) -> Runtime {
    Runtime::builder()
        .pool_settings(settings)
        .build()
        .expect("runtime")
}

fn runtime(workers: usize, idle_timeout: Duration) -> Runtime {
    build(cooperative_only(workers, idle_timeout))
}

/// The classic .NET starvation deadlock: on a 2-worker pool, 8 tasks each
/// block in `wait()` on a task of their own, and those inner tasks only
/// finish once all 8 of them run at the same time (they meet at a
/// rendezvous, each blocking in `wait()` too). Each outer task runs its
/// queued inner task inline, on its own thread (as .NET's `Task.Wait`
/// does), so 8 threads must block at once. Without compensation two
/// threads can never run 8 blocked waits; with it, all finish.
#[test]
fn two_workers_survive_eight_tasks_waiting_on_tasks_that_need_the_pool() {
    const N: usize = 8;
    let rt = runtime(2, Duration::from_secs(2));
    let all_in = Arc::new(TaskCompletionSource::<()>::new());
    let arrived = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let outers: Vec<Task<usize>> = (0..N)
        .map(|i| {
            let (all_in, arrived, peak) = (all_in.clone(), arrived.clone(), peak.clone());
            let handle = rt.handle().clone();
            rt.run(move || {
                let inner = Task::run(move || {
                    if arrived.fetch_add(1, SeqCst) + 1 == N {
                        all_in.set_result(()).unwrap();
                    }
                    all_in.task().wait().unwrap();
                    peak.fetch_max(handle.thread_count(), SeqCst);
                    i * 10
                });
                inner.result().unwrap() + 1
            })
        })
        .collect();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let sum: usize = outers.iter().map(|t| t.result().unwrap()).sum();
        tx.send(sum).unwrap();
    });
    let sum = rx
        .recv_timeout(DEADLINE)
        .expect("the pool deadlocked: 8 blocked waits on 2 workers");
    assert_eq!(sum, (0..N).map(|i| i * 10 + 1).sum::<usize>());
    // All 8 were blocked at once at the rendezvous.
    assert!(peak.load(SeqCst) >= N, "peak threads {}", peak.load(SeqCst));
}

/// `tasklane::blocking(..)` on a pool thread: the work queued behind it
/// (here, the very work that ends the blocking) runs on another thread.
#[test]
fn blocking_lets_the_work_queued_behind_it_run() {
    let rt = runtime(1, Duration::from_secs(2));
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let waiter = {
        let rx = rx.clone();
        rt.run(move || {
            // The sender is spawned from here, on the only worker: it is
            // queued behind this task.
            let sender = Task::run(move || tx.send(()).unwrap());
            tasklane::blocking(|| rx.lock().unwrap().recv_timeout(DEADLINE))
                .expect("the queued sender never ran");
            sender.wait().unwrap();
        })
    };
    assert!(
        waiter.wait_timeout(DEADLINE),
        "the blocked task never finished"
    );
    waiter.wait().unwrap();
}

/// `block_on` on a pool thread counts as blocking too.
#[test]
fn block_on_on_a_pool_thread_tells_the_pool() {
    let rt = runtime(1, Duration::from_secs(2));
    let outer = rt.run(|| {
        let tcs = Arc::new(TaskCompletionSource::<u32>::new());
        let setter = {
            let tcs = tcs.clone();
            Task::run(move || tcs.set_result(7).unwrap())
        };
        let v = tasklane::block_on(tcs.task()).unwrap();
        setter.wait().unwrap();
        v
    });
    assert!(
        outer.wait_timeout(DEADLINE),
        "block_on on the only worker deadlocked"
    );
    assert_eq!(outer.result().unwrap(), 7);
}

/// A task that queued work of its own (LIFO slot, local ring) and then
/// blocks does not trap that work: it moves where other threads run it.
#[test]
fn a_blocked_worker_hands_its_queued_work_over() {
    let rt = runtime(1, Duration::from_secs(2));
    let outer = rt.run(|| {
        let done = Arc::new(AtomicUsize::new(0));
        let children: Vec<Task<()>> = (0..20)
            .map(|_| {
                let done = done.clone();
                Task::run(move || {
                    done.fetch_add(1, SeqCst);
                })
            })
            .collect();
        tasklane::blocking(|| {
            let start = Instant::now();
            while done.load(SeqCst) < 20 {
                assert!(start.elapsed() < DEADLINE, "children trapped");
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        for c in children {
            c.wait().unwrap();
        }
        done.load(SeqCst)
    });
    assert!(outer.wait_timeout(DEADLINE));
    assert_eq!(outer.result().unwrap(), 20);
}

/// The threads added for blocked ones leave once the blocking is over and
/// they idle past the timeout: the pool returns to its minimum.
#[test]
fn surplus_threads_retire_after_the_blocking_ends() {
    let rt = runtime(2, Duration::from_millis(200));
    let h = rt.handle().clone();
    let release = Arc::new(TaskCompletionSource::<()>::new());
    let blocked: Vec<Task<()>> = (0..6)
        .map(|_| {
            let release = release.clone();
            rt.run(move || release.task().wait().unwrap())
        })
        .collect();
    // Work queued behind the blocked tasks makes the pool add threads.
    let quick: Vec<Task<u32>> = (0..50).map(|i| rt.run(move || i)).collect();
    for q in &quick {
        assert!(q.wait_timeout(DEADLINE), "work stuck behind blocked tasks");
    }
    assert!(h.thread_count() > 2, "no thread was added");
    assert!(h.blocked_thread_count() >= 1);
    release.set_result(()).unwrap();
    for b in &blocked {
        assert!(b.wait_timeout(DEADLINE));
    }
    wait_until("the pool is back to its 2 workers", || {
        h.thread_count() == 2
    });
    assert_eq!(h.blocked_thread_count(), 0);
    // Still works afterwards.
    assert_eq!(rt.run(|| 5).result().unwrap(), 5);
}

/// The maximum caps compensation: with `max_threads` 3 on a 2-worker pool,
/// blocked tasks get one extra thread, never more.
#[test]
fn max_threads_caps_compensation() {
    let rt = build(PoolSettings {
        max_threads: 3,
        ..cooperative_only(2, Duration::from_secs(2))
    });
    let h = rt.handle().clone();
    let release = Arc::new(TaskCompletionSource::<()>::new());
    let peak = Arc::new(AtomicUsize::new(0));
    let blocked: Vec<Task<()>> = (0..2)
        .map(|_| {
            let release = release.clone();
            rt.run(move || release.task().wait().unwrap())
        })
        .collect();
    let quick: Vec<Task<()>> = (0..20)
        .map(|_| {
            let (h, peak) = (h.clone(), peak.clone());
            rt.run(move || {
                peak.fetch_max(h.thread_count(), SeqCst);
            })
        })
        .collect();
    for q in &quick {
        assert!(
            q.wait_timeout(DEADLINE),
            "the one extra thread should run them"
        );
    }
    assert!(h.thread_count() <= 3);
    assert!(peak.load(SeqCst) <= 3, "peak {}", peak.load(SeqCst));
    release.set_result(()).unwrap();
    for b in &blocked {
        assert!(b.wait_timeout(DEADLINE));
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Queues `n` tasks that each note when they started, then block in
/// `wait()` until `release` is set.
fn blocked_tasks(
    rt: &Runtime,
    n: usize,
    release: &Arc<TaskCompletionSource<()>>,
) -> (Vec<Task<()>>, Arc<Mutex<Vec<Instant>>>) {
    let started = Arc::new(Mutex::new(Vec::new()));
    let tasks = (0..n)
        .map(|_| {
            let (release, started) = (release.clone(), started.clone());
            rt.run(move || {
                started.lock().unwrap().push(Instant::now());
                release.task().wait().unwrap();
            })
        })
        .collect();
    (tasks, started)
}

/// Threads for blocked ones start at once up to the allowance (the goal
/// plus `blocking_threads_without_delay_per_core` per CPU); past it, a
/// thread waits the delay step, here an hour: the one task beyond the
/// allowance does not start until a blocked thread comes back.
#[test]
fn threads_start_at_once_up_to_the_allowance_and_no_further() {
    let allowance = 1 + cpus();
    let rt = build(PoolSettings {
        blocking_threads_without_delay_per_core: 1,
        blocking_delay_step: NEVER,
        blocking_max_delay: NEVER,
        ..cooperative_only(1, Duration::from_secs(10))
    });
    let h = rt.handle().clone();
    let release = Arc::new(TaskCompletionSource::<()>::new());
    let (tasks, started) = blocked_tasks(&rt, allowance + 1, &release);
    wait_until("every task within the allowance runs", || {
        started.lock().unwrap().len() == allowance
    });
    // What must not happen: a thread past the allowance before its delay.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        started.lock().unwrap().len(),
        allowance,
        "a task past the allowance got a thread without waiting the delay"
    );
    assert_eq!(h.thread_count(), allowance);
    assert_eq!(h.blocked_thread_count(), allowance);
    assert!(
        h.thread_goal_log().is_empty(),
        "blocking compensation never moves the goal: {:?}",
        h.thread_goal_log()
    );
    release.set_result(()).unwrap();
    for t in &tasks {
        assert!(t.wait_timeout(DEADLINE), "a blocked task never finished");
    }
    assert_eq!(started.lock().unwrap().len(), allowance + 1);
}

/// Past the allowance, threads still come for blocked ones, each after
/// .NET's delay: `blocking_delay_step` × (1 + threads already past the
/// allowance ÷ (1 per CPU here)), counted from when the thread is first
/// wanted. So the tasks past the allowance start one by one, at least
/// about that far apart (less only the time a thread takes to start its
/// first task), the first one included; and all of them run.
#[test]
fn threads_past_the_allowance_come_one_delay_step_apart() {
    const STEP: Duration = Duration::from_millis(200);
    /// A thread's start to its first task, at most, on a loaded machine.
    const START_SLACK: Duration = Duration::from_millis(100);
    const PAST: usize = 3;
    let cpus = cpus();
    let allowance = 1 + cpus;
    let rt = build(PoolSettings {
        blocking_threads_without_delay_per_core: 1,
        blocking_threads_per_delay_step_per_core: 1,
        blocking_delay_step: STEP,
        blocking_max_delay: Duration::from_secs(10),
        ..cooperative_only(1, Duration::from_secs(10))
    });
    let h = rt.handle().clone();
    let release = Arc::new(TaskCompletionSource::<()>::new());
    let (tasks, started) = blocked_tasks(&rt, allowance + PAST, &release);
    wait_until("every task, past the allowance too, runs", || {
        started.lock().unwrap().len() == allowance + PAST
    });
    let times = started.lock().unwrap().clone();
    for k in 0..PAST {
        // Before the k-th thread past the allowance, `allowance + k` live.
        let steps = 1 + k / cpus;
        let delay = STEP * steps as u32;
        let gap = times[allowance + k] - times[allowance + k - 1];
        assert!(
            gap + START_SLACK >= delay,
            "thread {k} past the allowance started {gap:?} after the one before; \
             its delay is {delay:?} (starts: {times:?})"
        );
    }
    assert_eq!(h.thread_count(), allowance + PAST);
    assert!(
        h.thread_goal_log().is_empty(),
        "the threads came for blocking, not from a raised goal: {:?}",
        h.thread_goal_log()
    );
    release.set_result(()).unwrap();
    for t in &tasks {
        assert!(t.wait_timeout(DEADLINE), "a blocked task never finished");
    }
}

/// Outside the pool `blocking` just runs the closure.
#[test]
fn blocking_on_a_plain_thread_just_runs() {
    assert_eq!(tasklane::blocking(|| 41 + 1), 42);
    let nested = tasklane::blocking(|| tasklane::blocking(|| "nested"));
    assert_eq!(nested, "nested");
}

/// A panic inside `blocking` ends the blocking (the count goes back) and
/// faults only its task.
#[test]
fn a_panic_inside_blocking_ends_the_blocking() {
    let rt = runtime(2, Duration::from_secs(2));
    let h = rt.handle().clone();
    // The blocking section is seen as blocked before it panics...
    let (entered_tx, entered_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let t = rt.run(move || {
        tasklane::blocking(move || {
            entered_tx.send(()).unwrap();
            let _ = go_rx.recv_timeout(DEADLINE);
            panic!("boom")
        })
    });
    entered_rx.recv_timeout(DEADLINE).unwrap();
    wait_until("the blocking section counts as blocked", || {
        h.blocked_thread_count() == 1
    });
    go_tx.send(()).unwrap();
    // ...and no longer once the panic has unwound out of it.
    assert!(t.wait_timeout(DEADLINE));
    assert!(t.exception().unwrap().to_string().contains("boom"));
    wait_until("no thread counts as blocked", || {
        h.blocked_thread_count() == 0
    });
    assert_eq!(rt.run(|| 1).result().unwrap(), 1);
}
