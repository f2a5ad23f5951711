//! `ExecutionContext` / `AsyncLocal<T>`: copy-on-write values that flow
//! into spawned tasks, `Task::run`, `continue_with` callbacks,
//! `queue_user_work_item`, dispatcher work and fire-and-forget work; a
//! child's change never flows back; `suppress_flow` stops capture; capture
//! is a reference copy.
//!
//! Token callbacks (`CancellationToken::register`) flow the context too;
//! that case is tested with the cancellation work (src/cancel), which owns
//! registration.

use std::sync::{Arc, LazyLock, mpsc};
use std::time::Duration;
use tasklane::context::{
    ConfigureAwaitExt, Dispatcher, ExecutionContext, fire_and_forget, flow_scope, switch_to,
    switch_to_thread_pool,
};
use tasklane::{AsyncLocal, ContinuationOptions, Task, ThreadPool};

static REQUEST: LazyLock<AsyncLocal<String>> = LazyLock::new(AsyncLocal::new);
static USER: LazyLock<AsyncLocal<u32>> = LazyLock::new(AsyncLocal::new);

const PATIENCE: Duration = Duration::from_secs(20);

/// Runs `f` on a fresh thread (a clean context), with REQUEST set to `id`.
fn with_request<R: Send + 'static>(id: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let id = id.to_owned();
    std::thread::spawn(move || {
        REQUEST.set(Some(id));
        f()
    })
    .join()
    .unwrap()
}

#[test]
fn flows_into_task_run_and_spawned_tasks() {
    let (a, b) = with_request("r1", || {
        let a = Task::run(|| REQUEST.get()).result().unwrap();
        let b = Task::run_async(async {
            // Across a real suspension too.
            Task::run(|| ()).await.unwrap();
            REQUEST.get()
        })
        .result()
        .unwrap();
        (a, b)
    });
    assert_eq!(a.as_deref(), Some("r1"));
    assert_eq!(b.as_deref(), Some("r1"));
}

#[test]
fn flows_into_continue_with_callbacks_as_captured_when_registered() {
    let seen = with_request("r2", || {
        let gate = tasklane::TaskCompletionSource::<()>::new();
        let antecedent = gate.task();
        let cont = antecedent.continue_with(|_| REQUEST.get(), ContinuationOptions::NONE);
        // Completed from a thread with a different context: the callback
        // still sees the one captured at continue_with.
        std::thread::spawn(move || {
            REQUEST.set(Some("completer".into()));
            gate.set_result(()).unwrap();
        });
        cont.result().unwrap()
    });
    assert_eq!(seen.as_deref(), Some("r2"));
}

#[test]
fn flows_into_queue_user_work_item() {
    let seen = with_request("r3", || {
        let (tx, rx) = mpsc::channel();
        ThreadPool::queue_user_work_item(move || tx.send(REQUEST.get()).unwrap());
        rx.recv_timeout(PATIENCE).unwrap()
    });
    assert_eq!(seen.as_deref(), Some("r3"));
}

#[test]
fn flows_into_dispatcher_work_and_fire_and_forget() {
    let ui = Dispatcher::start("ec-ui").unwrap();
    let d = ui.clone();
    let (spawned, posted, invoked, forgotten) = with_request("r4", move || {
        let spawned = d.spawn(async { REQUEST.get() }).result().unwrap();
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        d.post(move || tx2.send(REQUEST.get()).unwrap()).unwrap();
        let posted = rx.recv_timeout(PATIENCE).unwrap();
        let invoked = d.invoke_async(|| REQUEST.get()).result().unwrap();
        fire_and_forget(async move {
            tasklane::yield_now().await;
            tx.send(REQUEST.get()).unwrap();
        });
        let forgotten = rx.recv_timeout(PATIENCE).unwrap();
        (spawned, posted, invoked, forgotten)
    });
    for v in [spawned, posted, invoked, forgotten] {
        assert_eq!(v.as_deref(), Some("r4"));
    }
    ui.shutdown();
}

#[test]
fn the_context_stays_with_a_task_that_changes_home() {
    let ui = Dispatcher::start("ec-move-ui").unwrap();
    let d = ui.clone();
    let seen = with_request("r5", move || {
        Task::run_async(async move {
            let mut seen = vec![REQUEST.get()];
            switch_to(&d).await.unwrap();
            seen.push(REQUEST.get());
            Task::run(|| std::thread::sleep(Duration::from_millis(5)))
                .configure_await(false)
                .await
                .unwrap();
            seen.push(REQUEST.get());
            switch_to_thread_pool().await.unwrap();
            seen.push(REQUEST.get());
            seen
        })
        .result()
        .unwrap()
    });
    assert_eq!(seen, vec![Some("r5".to_owned()); 4]);
    ui.shutdown();
}

#[test]
fn a_childs_change_never_flows_back() {
    let (child_saw, parent_after, sibling_saw) = with_request("parent", || {
        let child = Task::run_async(async {
            REQUEST.set(Some("child".into()));
            USER.set(Some(9));
            Task::run(|| ()).await.unwrap();
            (REQUEST.get(), USER.get())
        });
        let child_saw = child.result().unwrap();
        let sibling = Task::run(|| (REQUEST.get(), USER.get()));
        (
            child_saw,
            (REQUEST.get(), USER.get()),
            sibling.result().unwrap(),
        )
    });
    assert_eq!(child_saw, (Some("child".into()), Some(9)));
    assert_eq!(parent_after, (Some("parent".into()), None));
    assert_eq!(sibling_saw, (Some("parent".into()), None));
}

#[test]
fn a_flow_scope_keeps_an_awaited_methods_changes_inside() {
    let after = with_request("outer", || {
        tasklane::block_on(async {
            flow_scope(async {
                REQUEST.set(Some("inner".into()));
                Task::run(|| ()).await.unwrap();
                assert_eq!(REQUEST.get().as_deref(), Some("inner"));
            })
            .await;
            REQUEST.get()
        })
    });
    assert_eq!(after.as_deref(), Some("outer"));
}

#[test]
fn suppress_flow_stops_capture_until_undone() {
    let (suppressed, restored) = with_request("r6", || {
        let guard = ExecutionContext::suppress_flow();
        assert!(ExecutionContext::is_flow_suppressed());
        let suppressed = Task::run(|| REQUEST.get()).result().unwrap();
        // The thread itself still sees its values.
        assert_eq!(REQUEST.get().as_deref(), Some("r6"));
        guard.undo();
        assert!(!ExecutionContext::is_flow_suppressed());
        let restored = Task::run(|| REQUEST.get()).result().unwrap();
        (suppressed, restored)
    });
    assert_eq!(suppressed, None);
    assert_eq!(restored.as_deref(), Some("r6"));
}

#[test]
fn capture_is_a_reference_copy() {
    let (same_twice, same_in_task, changed_is_new) = with_request("r7", || {
        let a = ExecutionContext::capture();
        let b = ExecutionContext::capture();
        let in_task = Task::run(ExecutionContext::capture).result().unwrap();
        USER.set(Some(1));
        let c = ExecutionContext::capture();
        (a.ptr_eq(&b), a.ptr_eq(&in_task), !a.ptr_eq(&c))
    });
    assert!(same_twice, "two captures share one map");
    assert!(same_in_task, "a task runs under the very map captured");
    assert!(changed_is_new, "a change makes a new map (copy-on-write)");
}

#[test]
fn run_installs_a_captured_context_and_restores() {
    let captured = with_request("r8", ExecutionContext::capture);
    assert!(REQUEST.get().is_none());
    let inside = captured.run(|| {
        REQUEST.set(Some("changed inside run".into()));
        REQUEST.get()
    });
    assert_eq!(inside.as_deref(), Some("changed inside run"));
    assert!(REQUEST.get().is_none());
    // The captured context itself did not change.
    assert_eq!(captured.run(|| REQUEST.get()).as_deref(), Some("r8"));
}

#[test]
fn a_value_changed_handler_hears_sets_and_context_switches() {
    use tasklane::context::AsyncLocalValueChangedArgs as Changed;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    let local = Arc::new(AsyncLocal::<u32>::with_value_changed(move |e| {
        s.lock().unwrap().push(e.clone());
    }));
    let l = local.clone();
    Task::run_async(async move {
        l.set(Some(1));
        tasklane::yield_now().await;
        l.set(Some(2));
    })
    .wait()
    .unwrap();
    let change = |previous_value, current_value, thread_context_changed| Changed {
        previous_value,
        current_value,
        thread_context_changed,
    };
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            change(None, Some(1), false),
            // The poll ends at the yield: the task's context leaves the thread...
            change(Some(1), None, true),
            // ...and comes back when it resumes.
            change(None, Some(1), true),
            change(Some(1), Some(2), false),
            change(Some(2), None, true),
        ]
    );
    drop(local);
}
