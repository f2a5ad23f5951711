//! The pool that runs tasks: runtimes, the default runtime, `block_on`,
//! `queue_user_work_item`, and shutdown.

use std::sync::mpsc;
use std::time::{Duration, Instant};
use tasklane::pool::PoolSettings;
use tasklane::task::CancelReason;
use tasklane::{
    Handle, InvalidOperationError, Runtime, Task, TaskCompletionSource, TaskStatus, ThreadPool,
};

#[test]
fn tasks_run_on_the_runtimes_workers() {
    let rt = Runtime::builder()
        .worker_threads(3)
        .thread_name("mine")
        .build()
        .unwrap();
    assert_eq!(rt.handle().worker_count(), 3);
    let name = rt
        .run(|| std::thread::current().name().unwrap().to_owned())
        .result()
        .unwrap();
    assert!(name.starts_with("mine-"), "{name}");
    // Inside the runtime, Task::run goes to the same pool.
    let nested = rt
        .run_async(async {
            Task::run(|| std::thread::current().name().unwrap().to_owned())
                .await
                .unwrap()
        })
        .result()
        .unwrap();
    assert!(nested.starts_with("mine-"), "{nested}");
}

#[test]
fn default_runtime_serves_plain_threads() {
    let name = std::thread::spawn(|| {
        Task::run(|| std::thread::current().name().unwrap().to_owned())
            .result()
            .unwrap()
    })
    .join()
    .unwrap();
    assert!(name.starts_with("tasklane-default"), "{name}");
    assert!(Handle::try_current().is_none());
    assert!(Handle::current_or_default().worker_count() >= 1);
}

#[test]
fn block_on_makes_the_runtime_current() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_name("bo")
        .build()
        .unwrap();
    let (inside, name) = rt.block_on(async {
        let inside = Handle::try_current().is_some();
        let name = Task::run(|| std::thread::current().name().unwrap().to_owned())
            .await
            .unwrap();
        (inside, name)
    });
    assert!(inside);
    assert!(name.starts_with("bo-"));
    assert!(Handle::try_current().is_none(), "restored after block_on");
}

#[test]
fn queue_user_work_item_runs_closures() {
    let (tx, rx) = mpsc::channel();
    for i in 0..100 {
        let tx = tx.clone();
        ThreadPool::queue_user_work_item(move || tx.send(i).unwrap());
    }
    let mut got: Vec<i32> = (0..100)
        .map(|_| rx.recv_timeout(Duration::from_secs(20)).unwrap())
        .collect();
    got.sort();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    assert!(ThreadPool::thread_count() >= 1);
    assert!(ThreadPool::completed_work_item_count() >= 100);
}

#[test]
fn dropping_a_runtime_cancels_pending_tasks_and_returns_fast() {
    // The supervisor waits an hour before it counts a stuck poll as blocked
    // or raises the goal, so no thread is added for the tasks queued behind
    // the two stuck workers: they are still pending when the runtime drops.
    let an_hour = Duration::from_secs(3600);
    let settings = PoolSettings {
        workers: 2,
        stall_window: an_hour,
        starvation_window: an_hour,
        ..PoolSettings::default()
    };
    let timeout = settings.shutdown_timeout;
    let rt = Runtime::builder().pool_settings(settings).build().unwrap();
    let never = TaskCompletionSource::<u8>::new();
    let gate = never.task();
    // Suspended forever on a promise.
    let suspended = rt.run_async(async move { gate.await.unwrap() });
    // A worker stuck in user code until after the drop returns, so longer
    // than the shutdown timeout however slowly the test runs.
    let (started_tx, started_rx) = mpsc::channel();
    let (unstick_tx, unstick_rx) = mpsc::channel::<()>();
    let stuck = rt.run(move || {
        started_tx.send(()).unwrap();
        let _ = unstick_rx.recv_timeout(Duration::from_secs(60));
    });
    started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    // Queued behind it on a busy pool (one worker may still be free: fill it).
    let (hold_tx, hold_rx) = mpsc::channel::<()>();
    let (held_tx, held_rx) = mpsc::channel();
    let holder = rt.run(move || {
        held_tx.send(()).unwrap();
        let _ = hold_rx.recv_timeout(Duration::from_secs(60));
    });
    held_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let queued: Vec<Task<u8>> = (0..10).map(|_| rt.run(|| 1)).collect();
    let start = Instant::now();
    drop(rt);
    let took = start.elapsed();
    // The drop takes its deadline, `shutdown_timeout` (1 s by default)
    // from now, first; cancels the pending tasks; then waits for the
    // threads on a condvar until that deadline. The two stuck threads
    // cannot finish before it, so it waits the whole timeout and then
    // returns. Beyond the timeout there is only this thread being woken
    // and scheduled again, which a loaded machine can delay: the slack
    // allows for that and for nothing else.
    const SCHEDULING_SLACK: Duration = Duration::from_millis(500);
    assert!(
        took >= timeout,
        "drop returned after {took:?}, before the shutdown timeout {timeout:?}, \
         while two threads were still stuck in user code: it did not wait for them"
    );
    assert!(
        took <= timeout + SCHEDULING_SLACK,
        "drop took {took:?}: it must give up on threads stuck in user code at the \
         shutdown timeout ({timeout:?}), plus at most {SCHEDULING_SLACK:?} of scheduling"
    );
    drop(unstick_tx);
    drop(hold_tx);
    let err = suspended.wait().unwrap_err();
    assert_eq!(
        err.first().as_canceled().unwrap().reason(),
        CancelReason::RuntimeShutdown
    );
    for q in &queued {
        let e = q.wait().unwrap_err();
        assert_eq!(
            e.first().as_canceled().unwrap().reason(),
            CancelReason::RuntimeShutdown
        );
    }
    // The stuck task finishes on its own later; its result is still delivered.
    stuck.wait().expect("the stuck task ran to completion");
    holder.wait().expect("the holder was running: it finishes");
    drop(never);
}

#[test]
fn a_shut_down_runtime_refuses_work_with_errors() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let handle = rt.handle().clone();
    assert!(rt.shutdown_timeout(Duration::from_secs(1)));
    assert!(handle.is_shutdown());
    assert_eq!(
        handle.block_on(async { 1 }),
        Err(InvalidOperationError::RuntimeShutdown)
    );
    assert!(matches!(
        handle.try_run_async(async { 1 }),
        Err(InvalidOperationError::RuntimeShutdown)
    ));
    let t = handle.run(|| 1);
    assert_eq!(
        t.status(),
        TaskStatus::Canceled,
        "work given to it ends Canceled at once"
    );
    let e = t.wait().unwrap_err();
    assert_eq!(
        e.first().as_canceled().unwrap().reason(),
        CancelReason::RuntimeShutdown
    );
}

#[test]
fn runtime_with_zero_workers_gets_one() {
    let rt = Runtime::builder().worker_threads(0).build().unwrap();
    assert_eq!(rt.handle().worker_count(), 1);
    assert_eq!(rt.run(|| 5).result().unwrap(), 5);
}

#[test]
fn live_task_count_returns_to_zero() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let tasks: Vec<Task<()>> = (0..1000)
        .map(|_| rt.run_async(async { tasklane::yield_now().await }))
        .collect();
    for t in tasks {
        t.wait().unwrap();
    }
    assert_eq!(rt.handle().live_task_count(), 0);
}

#[test]
fn many_spawns_from_many_threads() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let h = rt.handle().clone();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let h = h.clone();
            std::thread::spawn(move || {
                let tasks: Vec<Task<u64>> = (0..5000u64).map(|i| h.run(move || i)).collect();
                tasks.into_iter().map(|t| t.result().unwrap()).sum::<u64>()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), (0..5000).sum::<u64>());
    }
}
