//! Context capture, case by case: captured, not captured
//! (`configure_await(false)`), already complete (no hop), yield; the .NET 8
//! options; and `switch_to` there and back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;
use tasklane::context::{
    ConfigureAwaitExt, ConfigureAwaitOptions, ContextError, Dispatcher, SynchronizationContext,
    switch_to, switch_to_thread_pool,
};
use tasklane::diag::ThreadCounters;
use tasklane::{Runtime, Task, TaskCompletionSource};

fn thread_of(d: &Dispatcher) -> ThreadId {
    d.invoke(|| std::thread::current().id()).unwrap()
}

fn me() -> ThreadId {
    std::thread::current().id()
}

/// A pool task that is certainly still pending when first awaited.
fn slow(v: u32) -> Task<u32> {
    Task::run(move || {
        std::thread::sleep(Duration::from_millis(20));
        v
    })
}

#[test]
fn captured_the_rest_resumes_on_the_dispatcher() {
    let ui = Dispatcher::start("captured-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let t = ui.spawn(async move {
        let a = slow(1).await.unwrap();
        let after_first = me();
        let b = slow(2).configure_await(true).await.unwrap();
        (a + b, after_first, me())
    });
    let (sum, first, second) = t.result().unwrap();
    assert_eq!(sum, 3);
    assert_eq!(first, ui_thread);
    assert_eq!(second, ui_thread);
    ui.shutdown();
}

#[test]
fn not_captured_the_rest_runs_on_the_pool_and_later_awaits_stay_there() {
    let ui = Dispatcher::start("not-captured-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let t = ui.spawn(async move {
        let a = slow(1).configure_await(false).await.unwrap();
        let after = (me(), <dyn SynchronizationContext>::current().is_none());
        // A plain await afterwards captures nothing either.
        let b = slow(2).await.unwrap();
        (a + b, after, me())
    });
    let (sum, (after, no_context), later) = t.result().unwrap();
    assert_eq!(sum, 3);
    assert_ne!(after, ui_thread);
    assert!(no_context, "no context on the pool");
    assert_ne!(later, ui_thread);
    ui.shutdown();
}

#[test]
fn already_complete_stays_on_the_current_thread_with_no_hop() {
    let ui = Dispatcher::start("complete-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let t = ui.spawn(async move {
        let before = ThreadCounters::current();
        let a = Task::from_result(20).configure_await(false).await.unwrap();
        let b = std::future::ready(22).configure_await(false).await;
        let after = ThreadCounters::current();
        (a + b, me(), before, after)
    });
    let (v, thread, before, after) = t.result().unwrap();
    assert_eq!(v, 42);
    assert_eq!(thread, ui_thread);
    assert_eq!(before.waker_registrations, after.waker_registrations);
    assert_eq!(before.schedules, after.schedules);
    ui.shutdown();
}

#[test]
fn yield_on_a_dispatcher_posts_behind_queued_work_and_stays_there() {
    let ui = Dispatcher::start("yield-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let log = Arc::new(Mutex::new(Vec::new()));
    let (d, l) = (ui.clone(), log.clone());
    let t = ui.spawn(async move {
        l.lock().unwrap().push("before yield");
        let l2 = l.clone();
        d.post(move || l2.lock().unwrap().push("posted")).unwrap();
        tasklane::yield_now().await;
        l.lock().unwrap().push("after yield");
        me()
    });
    assert_eq!(t.result().unwrap(), ui_thread);
    assert_eq!(
        *log.lock().unwrap(),
        vec!["before yield", "posted", "after yield"]
    );
    ui.shutdown();
}

#[test]
fn force_yielding_yields_even_when_complete() {
    let ui = Dispatcher::start("force-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let log = Arc::new(Mutex::new(Vec::new()));
    let (d, l) = (ui.clone(), log.clone());
    let t = ui.spawn(async move {
        let l2 = l.clone();
        d.post(move || l2.lock().unwrap().push("posted")).unwrap();
        // Complete, but forced to yield: resumes on the dispatcher, behind
        // the posted work.
        let v = Task::from_result(1)
            .configure_await_with(
                ConfigureAwaitOptions::CONTINUE_ON_CAPTURED_CONTEXT
                    | ConfigureAwaitOptions::FORCE_YIELDING,
            )
            .await
            .unwrap();
        l.lock().unwrap().push("resumed");
        let on_ui = me();
        // Complete, forced to yield, not captured: resumes on the pool.
        let w = Task::from_result(2)
            .configure_await_with(ConfigureAwaitOptions::FORCE_YIELDING)
            .await
            .unwrap();
        (v + w, on_ui, me())
    });
    let (v, on_ui, on_pool) = t.result().unwrap();
    assert_eq!(v, 3);
    assert_eq!(on_ui, ui_thread);
    assert_ne!(on_pool, ui_thread);
    assert_eq!(*log.lock().unwrap(), vec!["posted", "resumed"]);
    ui.shutdown();
}

#[test]
fn configure_await_false_leaves_a_non_send_task_on_its_dispatcher() {
    let ui = Dispatcher::start("pinned-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let d = ui.clone();
    let t = ui
        .invoke(move || {
            let local = std::rc::Rc::new(5);
            d.spawn_local(async move {
                let v = slow(1).configure_await(false).await.unwrap();
                (v + *local, me())
            })
        })
        .unwrap()
        .unwrap();
    let (v, thread) = t.result().unwrap();
    assert_eq!(v, 6);
    assert_eq!(thread, ui_thread);
    ui.shutdown();
}

#[test]
fn configure_await_outside_a_task_is_a_plain_await() {
    let v = tasklane::block_on(async { slow(7).configure_await(false).await.unwrap() });
    assert_eq!(v, 7);
    let on_pool = Task::run_async(async { slow(8).configure_await(false).await.unwrap() });
    assert_eq!(on_pool.result().unwrap(), 8);
}

static UNOBSERVED: AtomicUsize = AtomicUsize::new(0);

#[test]
fn suppress_throwing_yields_nothing_and_counts_as_observed() {
    tasklane::diag::set_unobserved_fault_handler(Some(Arc::new(|f| {
        if f.errors.to_string().contains("suppressed failure") {
            UNOBSERVED.fetch_add(1, Ordering::SeqCst);
        }
    })));
    let failing = Task::<u8>::from_error(std::io::Error::other("suppressed failure"));
    let done = Task::run_async(async move {
        failing.configure_await(false).suppress_throwing().await;
        "went on"
    });
    assert_eq!(done.result().unwrap(), "went on");
    let canceled = Task::<()>::from_canceled();
    tasklane::block_on(canceled.configure_await(true).suppress_throwing());
    assert_eq!(UNOBSERVED.load(Ordering::SeqCst), 0);
}

#[test]
fn switch_to_moves_there_and_back() {
    let ui = Dispatcher::start("switch-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let d = ui.clone();
    let t = Task::run_async(async move {
        let start = me();
        switch_to(&d).await.unwrap();
        let on_ui = me();
        // Later awaits resume on the dispatcher too.
        slow(1).await.unwrap();
        let still_ui = me();
        // Already there: no hop.
        let before = ThreadCounters::current();
        switch_to(&d).await.unwrap();
        let after = ThreadCounters::current();
        switch_to_thread_pool().await.unwrap();
        let back = (me(), d.check_access());
        (
            start,
            on_ui,
            still_ui,
            before.schedules == after.schedules,
            back,
        )
    });
    let (start, on_ui, still_ui, no_hop, (back, back_on_ui)) = t.result().unwrap();
    assert_ne!(start, ui_thread);
    assert_eq!(on_ui, ui_thread);
    assert_eq!(still_ui, ui_thread);
    assert!(no_hop);
    assert_ne!(back, ui_thread);
    assert!(!back_on_ui);
    ui.shutdown();
}

#[test]
fn switch_to_a_runtime_handle_runs_on_that_runtimes_workers() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_name("switch-target")
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    let t = Task::run_async(async move {
        switch_to(&handle).await.unwrap();
        std::thread::current().name().map(str::to_owned)
    });
    let name = t.result().unwrap().unwrap();
    assert!(name.starts_with("switch-target"), "{name}");
}

#[test]
fn switch_to_misuse_is_a_typed_error() {
    let ui = Dispatcher::start("misuse-ui").unwrap();
    // Outside a task.
    let r = tasklane::block_on(switch_to(&ui));
    assert_eq!(r, Err(ContextError::NotInTask));
    assert!(
        r.unwrap_err()
            .to_string()
            .contains("inside a tasklane task")
    );
    // A task whose future is not Send cannot leave its dispatcher.
    let d = ui.clone();
    let pinned = ui
        .invoke(move || {
            let local = std::rc::Rc::new(1);
            d.spawn_local(async move {
                let r = switch_to_thread_pool().await;
                drop(local);
                r
            })
        })
        .unwrap()
        .unwrap();
    let err = pinned.result().unwrap().unwrap_err();
    assert!(matches!(err, ContextError::TaskPinned { .. }), "{err}");
    assert!(err.to_string().contains("misuse-ui"), "{err}");
    // A target that is shut down.
    let gone = Dispatcher::start("gone-ui").unwrap();
    assert!(gone.shutdown_timeout(Duration::from_secs(20)));
    let t = Task::run_async({
        let gone = gone.clone();
        async move { switch_to(&gone).await }
    });
    assert!(matches!(
        t.result().unwrap(),
        Err(ContextError::ShutDown { .. })
    ));
    ui.shutdown();
}

#[test]
fn configure_await_works_on_anything_awaitable() {
    // A promise completed later by another thread.
    let tcs = TaskCompletionSource::<&'static str>::new();
    let t = tcs.task();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        tcs.set_result("later").unwrap();
    });
    let v = Task::run_async(async move { t.configure_await(false).await.unwrap() });
    assert_eq!(v.result().unwrap(), "later");
    // An async block.
    let w = tasklane::block_on(async { 5 }.configure_await(false));
    assert_eq!(w, 5);
}

/// A library method in the C# shape: after its slow part it does not need
/// the caller's context.
#[tasklane::async_method]
async fn library_get_data(seen: Arc<Mutex<Vec<ThreadId>>>) -> u32 {
    seen.lock().unwrap().push(me());
    let v = slow(41).configure_await(false).await.unwrap();
    seen.lock().unwrap().push(me());
    v + 1
}

/// The same method when nothing it awaits suspends.
#[tasklane::async_method]
async fn library_ready() -> u32 {
    Task::from_result(1).configure_await(false).await.unwrap()
}

#[test]
fn configure_await_false_in_an_async_method_moves_only_that_method() {
    let ui = Dispatcher::start("per-method-ui").unwrap();
    let ui_thread = thread_of(&ui);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let caller = ui.spawn(async move {
        let data = library_get_data(s).await;
        // C#: the caller's own await captured the UI context.
        let after = me();
        let ready = library_ready().await;
        (data, after, ready, me())
    });
    let (data, after, ready, last) = caller.result().unwrap();
    assert_eq!((data, ready), (42, 1));
    assert_eq!(after, ui_thread, "the caller resumes on its UI thread");
    assert_eq!(
        last, ui_thread,
        "a method that never suspended moves nothing"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0], ui_thread,
        "the method starts on its caller's thread"
    );
    assert_ne!(seen[1], ui_thread, "its rest runs on the pool");
    ui.shutdown();
}
