//! Cooperative blocking: a pool thread blocking in `wait()`, `result()`,
//! `block_on` or `tasklane::blocking(..)` tells the pool, which keeps its
//! other work running on other threads and gives the threads back once
//! the blocking ends. Behaviour, not speed: deadlines are generous.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tasklane::{Runtime, Task, TaskCompletionSource};

mod common;
use common::{DEADLINE, wait_until};

fn runtime(workers: usize, idle_timeout: Duration) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .thread_idle_timeout(idle_timeout)
        .thread_name("blocking-test")
        .build()
        .expect("runtime")
}

/// The classic .NET starvation deadlock: on a 2-worker pool, 8 tasks each
/// block in `wait()` on a task of their own, and those inner tasks only
/// finish once all 8 of them run at the same time (they meet at a
/// rendezvous, each blocking in `wait()` too). Without compensation two
/// threads can never run 16 blocked waits; with it, all finish.
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
        .expect("the pool deadlocked: 16 blocked waits on 2 workers");
    assert_eq!(sum, (0..N).map(|i| i * 10 + 1).sum::<usize>());
    // All 16 were blocked at once at the rendezvous, beside the workers.
    assert!(
        peak.load(SeqCst) >= 2 * N,
        "peak threads {}",
        peak.load(SeqCst)
    );
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
    let rt = Runtime::builder()
        .worker_threads(2)
        .max_threads(3)
        .thread_name("blocking-max")
        .build()
        .unwrap();
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
    let t = rt.run(|| tasklane::blocking(|| panic!("boom")));
    assert!(t.wait_timeout(DEADLINE));
    assert!(t.exception().unwrap().to_string().contains("boom"));
    wait_until("no thread counts as blocked", || {
        h.blocked_thread_count() == 0
    });
    assert_eq!(rt.run(|| 1).result().unwrap(), 1);
}
