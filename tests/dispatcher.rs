//! The `Dispatcher`: a single-thread message loop. Tasks homed on it run
//! only on its thread, after every await; `invoke` runs inline on its own
//! thread; `post` keeps order; `!Send` futures from its own thread; run on
//! the current thread until shut down; shutdown cancels what is pending.

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::ThreadId;
use std::time::Duration;
use tasklane::context::{ContextError, Dispatcher, SynchronizationContext};
use tasklane::task::CancelReason;
use tasklane::{Task, TaskCompletionSource, TaskStatus};

const PATIENCE: Duration = Duration::from_secs(20);

fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

fn thread_of(d: &Dispatcher) -> ThreadId {
    d.invoke(|| std::thread::current().id()).unwrap()
}

#[test]
fn a_started_dispatcher_runs_on_its_own_named_thread() {
    let ui = Dispatcher::start("named-ui").unwrap();
    let name = ui
        .invoke(|| std::thread::current().name().map(str::to_owned))
        .unwrap();
    assert_eq!(name.as_deref(), Some("named-ui"));
    assert_eq!(ui.name(), "named-ui");
    assert!(!ui.check_access());
    assert!(matches!(
        ui.verify_access(),
        Err(ContextError::NotOnDispatcherThread { .. })
    ));
    ui.shutdown();
}

#[test]
fn a_homed_task_resumes_on_the_dispatcher_after_every_await() {
    let ui = Dispatcher::start("resume-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let tcs = TaskCompletionSource::<u32>::new();
    let from_elsewhere = tcs.task();
    let t = ui.spawn(async move {
        let mut seen = vec![std::thread::current().id()];
        // Completed on the pool.
        Task::run(|| std::thread::sleep(Duration::from_millis(10)))
            .await
            .unwrap();
        seen.push(std::thread::current().id());
        // Completed by a plain thread.
        let v = from_elsewhere.await.unwrap();
        seen.push(std::thread::current().id());
        tasklane::yield_now().await;
        seen.push(std::thread::current().id());
        (v, seen)
    });
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        tcs.set_result(5).unwrap();
    });
    let (v, seen) = t.result().unwrap();
    assert_eq!(v, 5);
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter().all(|t| *t == ui_thread),
        "{seen:?} vs {ui_thread:?}"
    );
    ui.shutdown();
}

#[test]
fn posted_work_and_woken_tasks_run_one_at_a_time_in_order() {
    let ui = Dispatcher::start("order-ui").unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let gate = TaskCompletionSource::<()>::new();
    // Hold the loop while we queue.
    let blocker = {
        let g = gate.task();
        ui.invoke_async(move || g.wait().unwrap())
    };
    for i in 0..5 {
        let l = log.clone();
        ui.post(move || l.lock().unwrap().push(i)).unwrap();
    }
    let l = log.clone();
    let t = ui.spawn(async move { l.lock().unwrap().push(5) });
    let l = log.clone();
    ui.post(move || l.lock().unwrap().push(6)).unwrap();
    gate.set_result(()).unwrap();
    blocker.wait().unwrap();
    t.wait().unwrap();
    ui.invoke(|| ()).unwrap();
    assert_eq!(*log.lock().unwrap(), vec![0, 1, 2, 3, 4, 5, 6]);
    ui.shutdown();
}

#[test]
fn invoke_runs_inline_on_the_dispatcher_thread_and_queues_elsewhere() {
    let ui = Dispatcher::start("invoke-ui").unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (d, l) = (ui.clone(), log.clone());
    ui.invoke(move || {
        let l2 = l.clone();
        d.post(move || l2.lock().unwrap().push("posted")).unwrap();
        // Inline: before the message queued ahead of it.
        let l3 = l.clone();
        d.invoke(move || l3.lock().unwrap().push("invoked inline"))
            .unwrap();
    })
    .unwrap();
    ui.invoke(|| ()).unwrap();
    assert_eq!(*log.lock().unwrap(), vec!["invoked inline", "posted"]);
    // From another thread: queued, waited for, panics reported as errors.
    assert_eq!(ui.invoke(|| 6 * 7).unwrap(), 42);
    let err = ui
        .invoke(|| -> u8 { panic!("handler failed") })
        .unwrap_err();
    assert!(err.is_panic(), "{err}");
    // The loop survived the panic.
    assert_eq!(ui.invoke(|| 1).unwrap(), 1);
    ui.shutdown();
}

#[test]
fn spawn_local_runs_a_non_send_future_from_the_dispatcher_thread_only() {
    let ui = Dispatcher::start("local-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let d = ui.clone();
    let task = ui
        .invoke(move || {
            let shared = Rc::new(std::cell::Cell::new(0));
            d.spawn_local(async move {
                for _ in 0..3 {
                    shared.set(shared.get() + 1);
                    Task::run(|| ()).await.unwrap();
                    assert_eq!(std::thread::current().id(), ui_thread);
                }
                shared.get()
            })
        })
        .unwrap()
        .unwrap();
    assert_eq!(task.result().unwrap(), 3);
    // From another thread: a typed error, not a panic.
    let err = ui.spawn_local(async { 1 }).unwrap_err();
    assert_eq!(
        err,
        ContextError::NotOnDispatcherThread {
            dispatcher: "local-ui".into()
        }
    );
    assert!(err.to_string().contains("local-ui"));
    ui.shutdown();
}

#[test]
fn for_current_thread_runs_here_until_shut_down() {
    let (tx, rx) = mpsc::channel();
    let runner = std::thread::Builder::new()
        .name("runner".into())
        .spawn(move || {
            let d = Dispatcher::for_current_thread("here").unwrap();
            assert_eq!(Dispatcher::current(), Some(d.clone()));
            // A thread owns one dispatcher.
            assert!(matches!(
                Dispatcher::for_current_thread("again"),
                Err(ContextError::ThreadHasDispatcher { .. })
            ));
            // Work queued before the loop runs waits for it.
            let t = d.spawn(async { std::thread::current().name().map(str::to_owned) });
            tx.send(d.clone()).unwrap();
            d.run().unwrap();
            // After the loop: drained, and the thread owns nothing.
            assert!(d.has_shutdown_finished());
            assert!(Dispatcher::current().is_none());
            t.result().unwrap()
        })
        .unwrap();
    let d = rx.recv().unwrap();
    // Not from another thread.
    assert!(matches!(
        d.run(),
        Err(ContextError::NotOnDispatcherThread { .. })
    ));
    // Not twice on its own thread.
    let nested = d.invoke(|| Dispatcher::current().unwrap().run()).unwrap();
    assert!(matches!(nested, Err(ContextError::AlreadyRunning { .. })));
    assert!(d.shutdown_timeout(PATIENCE));
    // The task queued before `run` ran on the runner thread.
    assert_eq!(runner.join().unwrap().as_deref(), Some("runner"));
}

#[test]
fn shutdown_cancels_pending_tasks_and_refuses_new_work() {
    let ui = Dispatcher::start("shutdown-ui").unwrap();
    let never = TaskCompletionSource::<()>::new();
    let pending = {
        let t = never.task();
        ui.spawn(async move { t.await.ok() })
    };
    // Let it reach its await.
    ui.invoke(|| ()).unwrap();
    assert!(ui.shutdown_timeout(PATIENCE));
    assert!(ui.has_shutdown_started() && ui.has_shutdown_finished());
    assert!(pending.wait_timeout(PATIENCE));
    assert_eq!(pending.status(), TaskStatus::Canceled);
    let err = pending.wait().unwrap_err();
    let reason = err.first().as_canceled().unwrap().reason();
    assert_eq!(reason, CancelReason::ContextShutdown);
    // New work: a typed error for post, a canceled task for spawn.
    assert!(matches!(ui.post(|| ()), Err(ContextError::ShutDown { .. })));
    let late = ui.spawn(async { 1 });
    assert!(late.wait_timeout(PATIENCE));
    assert!(late.is_canceled());
    drop(never);
}

#[test]
fn a_thread_that_ends_without_shutting_down_its_dispatcher_drains_it() {
    let never = TaskCompletionSource::<()>::new();
    let t = never.task();
    let (pinned, leaked_handle) = std::thread::spawn(move || {
        let d = Dispatcher::for_current_thread("ends-early").unwrap();
        let local = Rc::new(1);
        let pinned = d
            .spawn_local(async move {
                let r = t.await;
                drop(local);
                r.is_ok()
            })
            .unwrap();
        // The thread ends with the dispatcher still open (never run) and a
        // handle alive elsewhere.
        (pinned, d)
    })
    .join()
    .unwrap();
    // The thread-local destructor drained it on its own thread: the pinned
    // task (and its !Send future) ended there, Canceled.
    assert!(pinned.wait_timeout(PATIENCE));
    assert!(pinned.is_canceled());
    assert!(leaked_handle.has_shutdown_finished());
    drop(never);
}

#[test]
fn dropping_the_last_handle_shuts_the_dispatcher_down() {
    let ui = Dispatcher::start("dropped-ui").unwrap();
    let never = TaskCompletionSource::<()>::new();
    let pending = {
        let t = never.task();
        ui.spawn(async move { t.await.ok() })
    };
    drop(ui);
    assert!(pending.wait_timeout(PATIENCE));
    assert!(pending.is_canceled());
    drop(never);
}

#[test]
fn the_dispatcher_is_the_current_context_on_its_thread() {
    let ui = Dispatcher::start("ctx-ui").unwrap();
    let d = ui.clone();
    let (name, same) = ui
        .invoke(move || {
            let ctx = <dyn SynchronizationContext>::current().unwrap();
            (ctx.name(), ctx.as_dispatcher() == Some(d))
        })
        .unwrap();
    assert_eq!(name, "dispatcher 'ctx-ui'");
    assert!(same);
    // Not on the pool.
    let on_pool = Task::run(|| <dyn SynchronizationContext>::current().is_none())
        .result()
        .unwrap();
    assert!(on_pool);
    // Dispatcher::current() inside a homed task.
    let d = ui.clone();
    let inside = ui.spawn(async move { Dispatcher::current() == Some(d) });
    assert!(inside.result().unwrap());
    ui.shutdown();
}

#[test]
fn a_panic_in_posted_work_goes_to_the_dispatchers_handler_on_its_thread() {
    let ui = Dispatcher::start("panic-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    ui.set_unhandled_error_handler(Some(Arc::new(move |e| {
        let on_ui = std::thread::current().id() == ui_thread;
        tx.lock()
            .unwrap()
            .send((e.error.to_string(), e.location.file().to_owned(), on_ui))
            .unwrap();
    })));
    ui.post(|| panic!("click handler blew up")).unwrap();
    let (message, file, on_ui) = rx.recv_timeout(PATIENCE).unwrap();
    assert!(message.contains("click handler blew up"), "{message}");
    assert!(file.ends_with("dispatcher.rs"), "{file}");
    assert!(on_ui);
    // The loop goes on.
    assert_eq!(ui.invoke(|| 3).unwrap(), 3);
    ui.shutdown();
}

#[test]
fn diagnostics_count_queued_messages_and_live_tasks() {
    let ui = Dispatcher::start("diag-ui").unwrap();
    let gate = TaskCompletionSource::<()>::new();
    let blocker = {
        let g = gate.task();
        ui.invoke_async(move || g.wait().unwrap())
    };
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let r = ran.clone();
        ui.post(move || {
            r.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    // The blocker may still be queued or already running.
    let queued = ui.queued_messages();
    assert!((3..=4).contains(&queued), "{queued}");
    assert!(ui.live_tasks() >= 1);
    gate.set_result(()).unwrap();
    blocker.wait().unwrap();
    ui.invoke(|| ()).unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 3);
    assert_eq!(ui.queued_messages(), 0);
    // A completed task leaves the registry just after its waiters wake.
    assert!(eventually(|| ui.live_tasks() == 0), "{}", ui.live_tasks());
    assert!(format!("{ui:?}").contains("diag-ui"));
    ui.shutdown();
}

#[test]
fn invoke_async_returns_the_task_without_waiting() {
    let ui = Dispatcher::start("invoke-async-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let t = ui.invoke_async(move || std::thread::current().id() == ui_thread);
    assert!(t.result().unwrap());
    ui.shutdown();
}

#[path = "../examples/dispatcher.rs"]
mod dispatcher_example;

/// `examples/dispatcher.rs` runs to its end and sees what it shows: the
/// click handler's label set on the UI thread from library code that ran on
/// the pool, .NET's classic `.Result` UI deadlock completing with its continuation
/// on the UI thread, the fire-and-forget failure reaching the UI's handler
/// on the UI thread, and work for a shut-down UI refused as canceled.
#[test]
fn the_dispatcher_example_runs_to_its_end() {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(dispatcher_example::run()).unwrap());
    let report = rx
        .recv_timeout(PATIENCE)
        .expect("the example hung or panicked");
    assert_eq!(report.label, "CONTENTS OF REPORT.CSV");
    assert_eq!(
        report.data.expect(".NET's classic UI deadlock completes"),
        "data, resumed on 'ui'"
    );
    assert_eq!(
        report.unhandled,
        vec![(
            "cannot save notes.txt: the disk is read-only".to_owned(),
            "ui".to_owned()
        )]
    );
    let late = report.late;
    assert_eq!(
        late.as_canceled().map(|c| c.reason()),
        Some(CancelReason::ContextShutdown),
        "{late}"
    );
}
