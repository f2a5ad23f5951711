//! Blocking waits on a pool that may not add a thread (`max_threads`): a
//! waited task still queued runs on the waiting thread (.NET's
//! `TryExecuteTaskInline`), `block_on` runs its pool's queued work while the
//! pool can do nothing else, and where no progress is possible the wait
//! ends with a `DeadlockError` naming the cap — never a silent hang.

mod common;

use common::{DEADLINE, with_deadline};
use std::time::{Duration, Instant};
use tasklane::Runtime;
use tasklane::context::{DeadlockError, Dispatcher, HeldBy};
use tasklane::pool::PoolSettings;

fn one_thread_pool(exhausted_wait_timeout: Duration) -> Runtime {
    Runtime::builder()
        .pool_settings(PoolSettings {
            workers: 1,
            max_threads: 1,
            exhausted_wait_timeout,
            ..PoolSettings::default()
        })
        .build()
        .unwrap()
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

#[test]
fn wait_and_result_on_the_only_worker_run_the_queued_task_inline() {
    with_deadline("inline wait", || {
        let rt = one_thread_pool(Duration::from_secs(5));
        let h = rt.handle().clone();
        let outer = rt.run(move || {
            let inner = h.run(thread_name);
            inner.wait().unwrap();
            let by_result = h.run(|| 6).result().unwrap();
            (thread_name(), inner.result().unwrap(), by_result)
        });
        let (outer_thread, inner_thread, six) = outer.result().unwrap();
        assert_eq!(
            inner_thread, outer_thread,
            "ran inline, on the waiting thread"
        );
        assert_eq!(six, 6);
    });
}

#[test]
fn block_on_on_the_only_worker_runs_the_pools_queued_work() {
    with_deadline("block_on on the only worker", || {
        let rt = one_thread_pool(Duration::from_secs(5));
        let h = rt.handle().clone();
        let outer = rt.run(move || {
            let inner = h.clone();
            h.block_on(async move { inner.run(|| 7).await.unwrap() + 1 })
                .unwrap()
        });
        assert_eq!(outer.result().unwrap(), 8);
    });
}

#[test]
fn a_wait_that_cannot_progress_on_a_capped_pool_is_a_deadlock_error_naming_the_cap() {
    with_deadline("exhausted pool", || {
        let bound = Duration::from_millis(300);
        let rt = one_thread_pool(bound);
        let h = rt.handle().clone();
        let started = Instant::now();
        let outer = rt.run(move || {
            // The awaited task suspends on work queued behind this very
            // thread: inlining it cannot finish it, and the pool may add no
            // thread.
            let inner_h = h.clone();
            let awaited = h.run_async(async move { inner_h.run(|| 1).await.unwrap() + 1 });
            let err = awaited.wait().unwrap_err();
            (awaited, err)
        });
        let (awaited, err) = outer.result().unwrap();
        let waited = started.elapsed();
        assert!(
            waited >= bound,
            "gave up after {waited:?}, before the bound"
        );
        let deadlock = err
            .first()
            .downcast_ref::<DeadlockError>()
            .expect("a DeadlockError");
        let step = &deadlock.cycle()[0];
        assert_eq!(step.task_id, awaited.id());
        assert!(matches!(
            step.held,
            HeldBy::PoolExhausted { max_threads: 1, .. }
        ));
        let text = deadlock.to_string();
        assert!(
            text.contains("max_threads = 1 reached; every worker is blocked waiting"),
            "{text}"
        );
        // The task was left untouched: with the worker free, it completes.
        assert_eq!(awaited.result().unwrap(), 2);
    });
}

#[test]
fn a_pool_thread_waiting_for_a_dispatcher_task_leaves_it_to_the_dispatcher() {
    with_deadline("no inline across homes", || {
        let rt = one_thread_pool(Duration::from_secs(5));
        let ui = Dispatcher::start("capped-ui").unwrap();
        // Keep the dispatcher busy so the task stays queued there while the
        // pool thread waits for it.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        ui.post(move || {
            let _ = rx.recv_timeout(DEADLINE);
        })
        .unwrap();
        let on_ui = ui.spawn(async { thread_name() });
        let waiter = rt.run({
            let on_ui = on_ui.clone();
            move || on_ui.result().unwrap()
        });
        std::thread::sleep(Duration::from_millis(50));
        tx.send(()).unwrap();
        assert_eq!(waiter.result().unwrap(), "capped-ui");
        assert!(ui.shutdown_timeout(DEADLINE));
    });
}

#[test]
fn the_exhaustion_bound_defaults_to_the_dispatcher_warning_bound() {
    assert_eq!(
        PoolSettings::default().exhausted_wait_timeout,
        tasklane::context::JoinableWaitSettings::default()
            .stall_warning_after
            .unwrap()
    );
}
