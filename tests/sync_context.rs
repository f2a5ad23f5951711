//! `SynchronizationContext`: the trait, the current context and its scope,
//! and tasks homed on a context that is not a dispatcher (every poll goes
//! through `post`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;
use tasklane::context::{Dispatcher, SynchronizationContext, Work, fire_and_forget, switch_to};
use tasklane::task::CancelReason;
use tasklane::{Task, TaskCompletionSource};

const PATIENCE: Duration = Duration::from_secs(20);

mod common;
use common::thread_context::{ThreadContext, as_dyn};

#[test]
fn no_context_on_plain_and_pool_threads() {
    assert!(<dyn SynchronizationContext>::current().is_none());
    let on_pool = Task::run(|| <dyn SynchronizationContext>::current().is_none());
    assert!(on_pool.result().unwrap());
}

#[test]
fn set_current_is_scoped_and_nests() {
    let outer = as_dyn(&ThreadContext::start());
    let inner = as_dyn(&ThreadContext::start());
    {
        let _a = <dyn SynchronizationContext>::set_current(Some(outer.clone()));
        let cur = <dyn SynchronizationContext>::current().unwrap();
        assert!(Arc::ptr_eq(&cur, &outer));
        {
            let _b = <dyn SynchronizationContext>::set_current(Some(inner.clone()));
            let cur = <dyn SynchronizationContext>::current().unwrap();
            assert!(Arc::ptr_eq(&cur, &inner));
            {
                let _c = <dyn SynchronizationContext>::set_current(None);
                assert!(<dyn SynchronizationContext>::current().is_none());
            }
            let cur = <dyn SynchronizationContext>::current().unwrap();
            assert!(Arc::ptr_eq(&cur, &inner));
        }
        let cur = <dyn SynchronizationContext>::current().unwrap();
        assert!(Arc::ptr_eq(&cur, &outer));
    }
    assert!(<dyn SynchronizationContext>::current().is_none());
}

#[test]
fn set_current_none_hides_the_dispatcher_on_its_thread() {
    let ui = Dispatcher::start("hidden-ui").unwrap();
    let (before, hidden, after) = ui
        .invoke(|| {
            let before = <dyn SynchronizationContext>::current().is_some();
            let hidden = {
                let _s = <dyn SynchronizationContext>::set_current(None);
                <dyn SynchronizationContext>::current().is_none()
            };
            (
                before,
                hidden,
                <dyn SynchronizationContext>::current().is_some(),
            )
        })
        .unwrap();
    assert!(before && hidden && after);
    ui.shutdown();
}

#[test]
fn work_capturing_a_custom_context_runs_and_resumes_there() {
    let ctx = ThreadContext::start();
    let ctx_thread = ctx.thread;
    let (tx, rx) = mpsc::channel();
    let seen_ctx = as_dyn(&ctx);
    {
        let _scope = <dyn SynchronizationContext>::set_current(Some(as_dyn(&ctx)));
        fire_and_forget(async move {
            let mut threads = vec![std::thread::current().id()];
            Task::run(|| std::thread::sleep(Duration::from_millis(10)))
                .await
                .unwrap();
            threads.push(std::thread::current().id());
            tasklane::yield_now().await;
            threads.push(std::thread::current().id());
            let current = <dyn SynchronizationContext>::current().unwrap();
            tx.send((threads, Arc::ptr_eq(&current, &seen_ctx)))
                .unwrap();
        });
    }
    let (threads, is_current) = rx.recv_timeout(PATIENCE).unwrap();
    // As an `async void` method: the part before the first await runs on
    // the calling thread, every resumption on the captured context.
    assert_eq!(
        threads,
        vec![std::thread::current().id(), ctx_thread, ctx_thread]
    );
    assert!(is_current);
    ctx.stop();
}

#[test]
fn switch_to_a_custom_context() {
    let ctx = ThreadContext::start();
    let target = as_dyn(&ctx);
    let t = Task::run_async(async move {
        switch_to(&target).await.unwrap();
        let first = std::thread::current().id();
        Task::run(|| ()).await.unwrap();
        (first, std::thread::current().id())
    });
    let (first, after_await) = t.result().unwrap();
    assert_eq!(first, ctx.thread);
    assert_eq!(after_await, ctx.thread);
    ctx.stop();
}

#[test]
fn a_task_whose_context_drops_it_is_canceled_not_lost() {
    let ctx = ThreadContext::start();
    let gate = TaskCompletionSource::<()>::new();
    let t = {
        let target = as_dyn(&ctx);
        let g = gate.task();
        Task::run_async(async move {
            switch_to(&target).await.unwrap();
            g.await.unwrap();
        })
    };
    // Wait until it is parked on the gate, then stop the context: the wake
    // is posted to a context that drops it.
    std::thread::sleep(Duration::from_millis(50));
    ctx.stop();
    gate.set_result(()).unwrap();
    assert!(t.wait_timeout(PATIENCE));
    assert!(t.is_canceled());
    let reason = t
        .wait()
        .unwrap_err()
        .first()
        .as_canceled()
        .unwrap()
        .reason();
    assert_eq!(reason, CancelReason::ContextShutdown);
}

#[test]
fn send_runs_inline_by_default_and_on_the_dispatcher_for_a_dispatcher() {
    let ctx = ThreadContext::start();
    let ran_here = Arc::new(AtomicBool::new(false));
    let here = std::thread::current().id();
    let flag = ran_here.clone();
    ctx.send(Box::new(move || {
        flag.store(std::thread::current().id() == here, Ordering::SeqCst)
    }))
    .unwrap();
    assert!(ran_here.load(Ordering::SeqCst));
    let err = ctx.send(Box::new(|| panic!("send failed"))).unwrap_err();
    assert!(err.is_panic());
    ctx.stop();

    let ui = Dispatcher::start("send-ui").unwrap();
    let ui_thread = ui.invoke(|| std::thread::current().id()).unwrap();
    let (tx, rx) = mpsc::channel();
    ui.as_context()
        .send(Box::new(move || {
            tx.send(std::thread::current().id()).unwrap()
        }))
        .unwrap();
    assert_eq!(rx.recv().unwrap(), ui_thread);
    ui.shutdown();
}

#[test]
fn the_default_methods_match_dotnets_base_class() {
    struct Minimal;
    impl SynchronizationContext for Minimal {
        fn post(&self, work: Work) {
            work()
        }
    }
    let m = Minimal;
    m.operation_started();
    m.operation_completed();
    assert!(m.name().ends_with("Minimal"));
    assert!(m.as_dispatcher().is_none());
    let e = tasklane::diag::UnhandledError {
        error: tasklane::TaskError::canceled(),
        origin: tasklane::diag::ErrorOrigin::FireAndForget,
        location: std::panic::Location::caller(),
        task_id: None,
        context: None,
    };
    // Declined: handed back for the runtime-wide handler.
    assert!(m.unhandled_error(e).is_err());
}
