//! Sync-over-async on a dispatcher thread: `wait()`/`result()` run the
//! awaited task's chain (never unrelated work), so .NET's classic UI
//! deadlock (`GetDataAsync().Result` on the UI thread) completes; where no progress is possible the wait reports a
//! `DeadlockError` naming the cycle, promptly, and leaves the task alone.

use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};
use tasklane::context::{ConfigureAwaitExt, DeadlockError, Dispatcher, HeldBy};
use tasklane::{Task, TaskCompletionSource, TaskStatus};

/// Generous: the machine is shared and noisy.
const PATIENCE: Duration = Duration::from_secs(20);

fn ui(name: &str) -> Dispatcher {
    Dispatcher::start(name).expect("start a dispatcher")
}

fn thread_of(d: &Dispatcher) -> ThreadId {
    d.invoke(|| std::thread::current().id()).unwrap()
}

/// Slow "I/O" on the pool.
fn io(ms: u64, value: &'static str) -> Task<&'static str> {
    Task::run(move || {
        std::thread::sleep(Duration::from_millis(ms));
        value
    })
}

#[test]
fn the_classic_ui_deadlock_completes() {
    // C#:
    //   public string GetData() => GetDataAsync().Result;        // on the UI thread
    //   async Task<string> GetDataAsync() { await SomeIoAsync(); return "done"; }
    // The continuation after the await needs the UI thread, which .Result
    // blocks: .NET hangs. Here the wait runs that continuation.
    let ui = ui("classic-ui");
    let ui_thread = thread_of(&ui);
    let d = ui.clone();
    let got = ui
        .invoke(move || {
            let get_data_async = d.spawn(async move {
                io(30, "io").await.unwrap();
                // The continuation runs on the UI thread, as captured.
                assert_eq!(std::thread::current().id(), ui_thread);
                "done"
            });
            get_data_async.result()
        })
        .unwrap();
    assert_eq!(got.unwrap(), "done");
    ui.shutdown();
}

#[test]
fn the_wait_runs_a_nested_chain_of_ui_tasks() {
    let ui = ui("nested-ui");
    let d = ui.clone();
    let got = ui
        .invoke(move || {
            let d2 = d.clone();
            let outer = d.spawn(async move {
                let inner = d2.spawn(async {
                    let a = io(10, "a").await.unwrap();
                    tasklane::yield_now().await;
                    a
                });
                let a = inner.await.unwrap();
                let b = io(10, "b").await.unwrap();
                format!("{a}{b}")
            });
            outer.result()
        })
        .unwrap();
    assert_eq!(got.unwrap(), "ab");
    ui.shutdown();
}

#[test]
fn the_wait_runs_a_when_all_over_ui_tasks() {
    let ui = ui("when-all-ui");
    let d = ui.clone();
    let got = ui
        .invoke(move || {
            let parts: Vec<Task<u32>> = (1..=3)
                .map(|i| {
                    d.spawn(async move {
                        Task::run(move || i).await.unwrap();
                        i * 10
                    })
                })
                .collect();
            let all = Task::when_all(parts);
            let total = d.spawn(async move { all.await.unwrap().iter().sum::<u32>() });
            total.result()
        })
        .unwrap();
    assert_eq!(got.unwrap(), 60);
    ui.shutdown();
}

#[test]
fn unrelated_posted_work_waits_until_the_wait_ends() {
    let ui = ui("unrelated-ui");
    let log = Arc::new(Mutex::new(Vec::<&'static str>::new()));
    let (d, l) = (ui.clone(), log.clone());
    ui.invoke(move || {
        // Queued before the wait starts, unrelated to the awaited task.
        let l2 = l.clone();
        d.post(move || l2.lock().unwrap().push("unrelated"))
            .unwrap();
        let l3 = l.clone();
        let awaited = d.spawn(async move {
            io(20, "x").await.unwrap();
            l3.lock().unwrap().push("awaited");
        });
        awaited.wait().unwrap();
        l.lock().unwrap().push("wait returned");
    })
    .unwrap();
    // The unrelated message runs after the handler that waited.
    ui.invoke(|| ()).unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        vec!["awaited", "wait returned", "unrelated"]
    );
    ui.shutdown();
}

#[test]
fn work_posted_by_the_awaited_task_belongs_to_its_chain() {
    // The awaited task posts a closure and waits for it (a TaskCompletionSource
    // the closure completes): the closure belongs to the chain and runs.
    let ui = ui("posted-ui");
    let d = ui.clone();
    let got = ui
        .invoke(move || {
            let d2 = d.clone();
            let awaited = d.spawn(async move {
                let tcs = TaskCompletionSource::<u32>::new();
                let done = tcs.task();
                d2.post(move || tcs.set_result(7).unwrap()).unwrap();
                done.await.unwrap()
            });
            awaited.result()
        })
        .unwrap();
    assert_eq!(got.unwrap(), 7);
    ui.shutdown();
}

#[test]
fn waiting_for_pool_work_on_a_ui_thread_just_waits() {
    let ui = ui("pool-ui");
    let got = ui.invoke(|| io(20, "pool").result()).unwrap();
    assert_eq!(got.unwrap(), "pool");
    ui.shutdown();
}

#[test]
fn library_code_with_configure_await_false_needs_no_ui_thread() {
    // The other classic fix: the awaited code does not come back.
    let ui = ui("caf-ui");
    let d = ui.clone();
    let got = ui
        .invoke(move || {
            let t = d.spawn(async {
                io(20, "io").configure_await(false).await.unwrap();
                "library"
            });
            t.result()
        })
        .unwrap();
    assert_eq!(got.unwrap(), "library");
    ui.shutdown();
}

fn deadlock_of(err: &tasklane::TaskError) -> &DeadlockError {
    err.downcast_ref::<DeadlockError>()
        .unwrap_or_else(|| panic!("expected a DeadlockError, got {err}"))
}

#[test]
fn two_dispatchers_blocked_on_each_other_report_the_cycle_promptly() {
    let a = ui("deadlock-a");
    let b = ui("deadlock-b");
    let both = Arc::new(Barrier::new(2));
    let started = Instant::now();
    // a's thread blocks on a task homed on b while b's thread blocks on one
    // homed on a.
    let on_a = a.invoke_async({
        let (b, both) = (b.clone(), both.clone());
        move || {
            // Both handlers run before either queues its cross task.
            both.wait();
            let for_b = b.invoke_async(|| "ran on b");
            (for_b.clone(), for_b.result())
        }
    });
    let on_b = b.invoke_async({
        let (a, both) = (a.clone(), both.clone());
        move || {
            // Both handlers run before either queues its cross task.
            both.wait();
            let for_a = a.invoke_async(|| "ran on a");
            (for_a.clone(), for_a.result())
        }
    });
    let (task_for_b, ra) = on_a.into_result().unwrap();
    let (task_for_a, rb) = on_b.into_result().unwrap();
    assert!(started.elapsed() < PATIENCE, "reported promptly");
    // Exactly one wait reports the cycle; with it broken, the other completes.
    let (err, ok) = match (&ra, &rb) {
        (Err(e), Ok(v)) => (e, *v),
        (Ok(v), Err(e)) => (e, *v),
        other => panic!("expected exactly one deadlock, got {other:?}"),
    };
    let deadlock = deadlock_of(err.first());
    assert_eq!(deadlock.cycle().len(), 2, "{deadlock}");
    let mut threads = deadlock.threads();
    threads.sort();
    assert_eq!(threads, vec!["deadlock-a", "deadlock-b"]);
    let mut ids = deadlock.task_ids();
    ids.sort();
    let mut expected = vec![task_for_a.id(), task_for_b.id()];
    expected.sort();
    assert_eq!(ids, expected);
    for step in deadlock.cycle() {
        assert!(matches!(step.held, HeldBy::Queued { .. }), "{step:?}");
    }
    let text = deadlock.to_string();
    assert!(
        text.contains("deadlock-a") && text.contains("deadlock-b"),
        "{text}"
    );
    assert!(
        text.contains("Await the task instead of blocking"),
        "{text}"
    );
    assert!(["ran on a", "ran on b"].contains(&ok));
    // The task whose wait reported the deadlock was left alone: it runs
    // once its dispatcher is free again.
    let reported_on = if ra.is_err() {
        &task_for_b
    } else {
        &task_for_a
    };
    assert!(reported_on.wait_timeout(PATIENCE));
    assert_eq!(reported_on.status(), TaskStatus::RanToCompletion);
    a.shutdown();
    b.shutdown();
}

#[test]
fn cross_invoke_deadlock_is_an_error_not_a_hang() {
    let a = ui("invoke-a");
    let b = ui("invoke-b");
    let both = Arc::new(Barrier::new(2));
    let on_a = a.invoke_async({
        let (b, both) = (b.clone(), both.clone());
        move || {
            both.wait();
            b.invoke(|| 1)
        }
    });
    let on_b = b.invoke_async({
        let (a, both) = (a.clone(), both.clone());
        move || {
            both.wait();
            a.invoke(|| 2)
        }
    });
    let ra = on_a.into_result().unwrap();
    let rb = on_b.into_result().unwrap();
    let errors: Vec<_> = [&ra, &rb]
        .into_iter()
        .filter_map(|r| r.as_ref().err())
        .collect();
    assert_eq!(errors.len(), 1, "{ra:?} {rb:?}");
    assert_eq!(deadlock_of(errors[0]).cycle().len(), 2);
    a.shutdown();
    b.shutdown();
}

#[test]
fn a_task_running_below_a_blocked_wait_is_part_of_the_cycle() {
    // a's thread: waits for task X on b. b's thread: runs X, which blocks on
    // task Y queued on a, behind a's blocked handler.
    let a = ui("running-a");
    let b = ui("running-b");
    let (send_y, recv_y) = mpsc::channel::<Task<()>>();
    let x = b.invoke_async(move || {
        let y = recv_y.recv().unwrap();
        y.wait()
    });
    let handler = a.invoke_async({
        let x = x.clone();
        move || x.result()
    });
    // Queued after the handler, so behind it on a.
    let y = a.invoke_async(|| ());
    send_y.send(y).unwrap();
    let from_a = handler.into_result().unwrap();
    let from_x = x.result().unwrap();
    let err = match (&from_a, &from_x) {
        (Err(e), _) => e.first().clone(),
        (_, Err(e)) => e.first().clone(),
        _ => panic!("expected a deadlock: {from_a:?} {from_x:?}"),
    };
    let deadlock = deadlock_of(&err);
    assert_eq!(deadlock.cycle().len(), 2, "{deadlock}");
    assert!(
        deadlock
            .cycle()
            .iter()
            .any(|s| matches!(&s.held, HeldBy::Running { thread } if thread == "running-b")),
        "{deadlock}"
    );
    a.shutdown();
    b.shutdown();
}

#[test]
fn a_task_waiting_on_itself_is_a_deadlock_on_the_pool_too() {
    let (tx, rx) = mpsc::channel::<Task<Option<String>>>();
    let t = Task::run_async(async move {
        let me: Task<Option<String>> = rx.recv().unwrap();
        match me.wait() {
            Err(e) => Some(e.first().downcast_ref::<DeadlockError>()?.to_string()),
            Ok(()) => None,
        }
    });
    tx.send(t.clone()).unwrap();
    let message = t.result().unwrap().expect("a deadlock error");
    assert!(
        message.contains("the very task doing the waiting"),
        "{message}"
    );
}

#[test]
fn a_timed_wait_runs_the_chain_and_never_reports_a_deadlock() {
    let ui = ui("timed-ui");
    let d = ui.clone();
    let (finished_in_time, stuck_timed_out) = ui
        .invoke(move || {
            let quick = d.spawn(async { io(10, "q").await.unwrap() });
            let finished = quick.wait_timeout(PATIENCE);
            let never = TaskCompletionSource::<()>::new();
            let stuck = d.spawn({
                let t = never.task();
                async move { t.await.ok() }
            });
            let timed_out = !stuck.wait_timeout(Duration::from_millis(100));
            drop(never);
            (finished, timed_out)
        })
        .unwrap();
    assert!(finished_in_time);
    assert!(stuck_timed_out);
    ui.shutdown();
}

/// A task homed on `d` that awaits a promise nobody completes (the promise
/// is returned so it stays pending), and `d`'s shutdown from the pool 50 ms
/// later.
fn stuck_ui_task_then_shutdown(d: &Dispatcher) -> (TaskCompletionSource<()>, Task<Option<()>>) {
    let never = TaskCompletionSource::<()>::new();
    let t = never.task();
    let stuck = d.spawn(async move { t.await.ok() });
    let d2 = d.clone();
    Task::run(move || {
        std::thread::sleep(Duration::from_millis(50));
        d2.shutdown();
    })
    .forget();
    (never, stuck)
}

/// A shutdown asked while the UI thread blocks in a wait drains the
/// dispatcher from inside that wait: every task homed there is canceled,
/// the awaited one included, so the wait returns its cancellation
/// (`ContextShutdown`). The handler that waited is a closure already
/// running: it is not cut off, and completes with what the wait returned.
#[test]
fn shutting_down_under_a_wait_cancels_the_awaited_ui_task() {
    use tasklane::task::CancelReason;
    let ui = ui("shutdown-ui");
    let d = ui.clone();
    let waited = ui.invoke_async(move || {
        let (never, stuck) = stuck_ui_task_then_shutdown(&d);
        let r = stuck.wait();
        let status = stuck.status();
        drop(never);
        (r, status)
    });
    assert!(waited.wait_timeout(PATIENCE), "the wait hung");
    let (r, status) = waited
        .result()
        .expect("the handler ran to its end and returned the wait's outcome");
    let agg = r.expect_err("the awaited task never completes: the wait cannot succeed");
    assert!(agg.is_canceled(), "the awaited task was canceled: {agg}");
    assert_eq!(
        agg.first().as_canceled().unwrap().reason(),
        CancelReason::ContextShutdown
    );
    assert_eq!(status, TaskStatus::Canceled);
    assert!(ui.has_shutdown_finished());
}

/// As above, but the wait happens inside an async task homed on the
/// dispatcher, mid-poll: the drain cancels that task while it runs, and
/// when its poll returns it ends Canceled for the dispatcher's reason
/// (`ContextShutdown`), not the runtime's.
#[test]
fn a_ui_task_canceled_while_it_polls_ends_with_the_dispatchers_reason() {
    use tasklane::task::CancelReason;
    let ui = ui("shutdown-mid-poll");
    let d = ui.clone();
    let outer = ui.spawn(async move {
        let (never, stuck) = stuck_ui_task_then_shutdown(&d);
        // Blocks this poll until the drain cancels `stuck`.
        let _ = stuck.wait();
        drop(never);
        // Suspends: the task was canceled while it ran, so it ends here.
        std::future::pending::<()>().await;
    });
    assert!(outer.wait_timeout(PATIENCE), "the task hung");
    assert_eq!(outer.status(), TaskStatus::Canceled);
    let err = outer.wait().unwrap_err();
    assert_eq!(
        err.first().as_canceled().unwrap().reason(),
        CancelReason::ContextShutdown
    );
}

#[test]
fn pool_work_that_invokes_on_the_waiting_ui_thread_completes() {
    // .NET's classic deadlock in its commonest form: the UI thread blocks
    // on pool work, and that work calls the blocking `Dispatcher.Invoke`.
    // The invoke is issued on behalf of the awaited task: the wait runs it.
    let ui = ui("invoke-ui");
    let ui_thread = thread_of(&ui);
    let d = ui.clone();
    let got = ui
        .invoke(move || {
            let pool_work = Task::run(move || {
                let on_ui = d.invoke(|| std::thread::current().id()).unwrap();
                (on_ui, "from the pool")
            });
            pool_work.result()
        })
        .unwrap()
        .unwrap();
    assert_eq!(got, (ui_thread, "from the pool"));
    ui.shutdown();
}

/// The UI posts a closure that would complete a promise, then blocks on
/// the promise: the closure waits behind the wait. `from_task` runs the
/// handler as a UI task (`invoke`), else as a posted closure.
fn blocks_behind_its_own_post(from_task: bool) {
    let ui = ui(if from_task {
        "own-post-task-ui"
    } else {
        "own-post-ui"
    });
    let d = ui.clone();
    let (tx, rx) = mpsc::channel();
    let handler = move || {
        let tcs = TaskCompletionSource::<u32>::new();
        let promise = tcs.task();
        d.post(move || tcs.set_result(1).unwrap()).unwrap();
        let started = Instant::now();
        let result = promise.wait();
        tx.send((result, started.elapsed())).unwrap();
    };
    if from_task {
        drop(ui.invoke_async(handler));
    } else {
        ui.post(handler).unwrap();
    }
    let (result, waited) = rx.recv_timeout(PATIENCE).expect("the wait returned");
    let err = result.unwrap_err();
    let deadlock = deadlock_of(err.first());
    assert!(
        matches!(deadlock.cycle()[0].held, HeldBy::BehindOwnPost { .. }),
        "{deadlock}"
    );
    assert!(
        deadlock.to_string().contains("sync_over_async.rs"),
        "{deadlock}"
    );
    // Within the stall bound (5 s), with room for a loaded machine.
    assert!(waited < Duration::from_secs(15), "{waited:?}");
    ui.shutdown();
}

#[test]
fn blocking_on_a_promise_its_own_posted_closure_completes_is_a_deadlock_error() {
    blocks_behind_its_own_post(false);
}

#[test]
fn a_ui_task_blocking_behind_its_own_post_is_a_deadlock_error() {
    blocks_behind_its_own_post(true);
}
