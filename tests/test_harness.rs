//! `#[tasklane::test]` cannot be fooled: a test whose assertions pass
//! still fails when, behind it, a fault went unobserved, fire-and-forget
//! work failed unhandled, a `TaskCompletionSource` was broken, or tasks it
//! started are still running at its end; its arguments set the runtime.

use std::time::{Duration, Instant};
use tasklane::{Task, TaskCompletionSource};

#[tasklane::test]
async fn a_test_that_awaits_its_work_passes() {
    let t = Task::run_async(async {
        tasklane::time::delay(Duration::from_millis(5)).await;
        2
    });
    assert_eq!(t.await.unwrap(), 2);
    let tcs = TaskCompletionSource::<u8>::new();
    tcs.set_result(1).unwrap();
}

#[tasklane::test]
#[should_panic(expected = "faulted and nobody observed it")]
async fn an_unobserved_fault_fails_the_test() {
    let t = Task::try_run(|| -> Result<(), std::io::Error> { Err(std::io::Error::other("lost")) });
    while !t.is_completed() {
        tasklane::yield_now().await;
    }
    // Dropped without a look.
    drop(t);
}

#[tasklane::test]
#[should_panic(expected = "unhandled error in fire-and-forget work")]
async fn a_failed_fire_and_forget_fails_the_test() {
    tasklane::context::fire_and_forget(async {
        Err::<(), _>(std::io::Error::other("nobody hears this"))
    });
    tasklane::time::delay(Duration::from_millis(50)).await;
}

#[tasklane::test]
#[should_panic(expected = "was dropped without completing its task")]
async fn a_broken_promise_fails_the_test() {
    let tcs = TaskCompletionSource::<u8>::new();
    let t = tcs.task();
    drop(tcs);
    // Even observed, the broken promise is a defect of the code under test.
    assert!(t.await.is_err());
}

#[tasklane::test]
#[should_panic(expected = "were still alive")]
async fn a_task_left_running_fails_the_test() {
    // Started and forgotten: the test would pass while it still runs.
    let _forgotten = Task::run_async(async {
        tasklane::time::delay(Duration::from_secs(3600)).await;
    });
}

#[tasklane::test(allow_pending)]
async fn allow_pending_lets_tasks_outlive_the_test() {
    let _background = Task::run_async(async {
        tasklane::time::delay(Duration::from_secs(3600)).await;
    });
}

#[tasklane::test(worker_threads = 3)]
async fn worker_threads_sizes_the_runtime() {
    let counters = tasklane::Handle::try_current().unwrap().counters();
    assert_eq!(counters.threadpool_thread_count, 3);
}

#[tasklane::test(start_paused = true)]
async fn start_paused_runs_a_thirty_second_timeout_at_once() {
    let real = Instant::now();
    let never = std::future::pending::<()>();
    assert!(
        tasklane::time::timeout(Duration::from_secs(30), never)
            .await
            .is_err()
    );
    assert!(real.elapsed() < Duration::from_secs(10));
}

#[tasklane::test]
async fn each_test_has_a_runtime_of_its_own() {
    let mine = tasklane::Handle::try_current().unwrap();
    let other = std::thread::spawn(|| tasklane::Handle::try_current().is_none())
        .join()
        .unwrap();
    assert!(other);
    let gate = TaskCompletionSource::<()>::new();
    let open = gate.task();
    let t = Task::run_async(async move { open.await.unwrap() });
    tasklane::yield_now().await;
    assert!(
        mine.dump().task(t.id()).is_some(),
        "the task runs on the test's runtime"
    );
    gate.set_result(()).unwrap();
    t.await.unwrap();
}
