//! Calling an async method, as in C#: `Task::start_inline` runs the body on
//! the calling thread up to its first real suspension, and the returned
//! task is already RanToCompletion, Faulted or Canceled if nothing
//! suspended; `fire_and_forget` (`async void`) does the same, with the
//! context's operation counts; and .NET's own fix for the classic UI
//! deadlock (`ConfigureAwait(false)` inside the method, then blocking on
//! it) completes on any `SynchronizationContext`.

mod common;

use common::thread_context::{ThreadContext, as_dyn};
use common::{DEADLINE, with_deadline};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;
use tasklane::context::{ConfigureAwaitExt, SynchronizationContext, Work, fire_and_forget};
use tasklane::{CanceledError, Task, TaskStatus};

#[test]
fn the_body_runs_on_the_calling_thread_up_to_its_first_real_suspension() {
    let caller = std::thread::current().id();
    let (tx, rx) = mpsc::channel();
    let t = Task::start_inline(async move {
        tx.send(std::thread::current().id()).unwrap();
        // Complete already: no suspension.
        Task::from_result(1).await.unwrap();
        tx.send(std::thread::current().id()).unwrap();
        Task::run(|| std::thread::sleep(Duration::from_millis(10)))
            .await
            .unwrap();
        tx.send(std::thread::current().id()).unwrap();
        7
    });
    // Before start_inline returned: twice on the caller.
    assert_eq!(rx.try_recv().unwrap(), caller);
    assert_eq!(rx.try_recv().unwrap(), caller);
    assert_eq!(t.status(), TaskStatus::WaitingForActivation);
    assert_eq!(t.result().unwrap(), 7);
    assert_ne!(rx.recv().unwrap(), caller, "resumed on the pool");
}

#[test]
fn a_task_that_never_suspends_is_complete_on_return() {
    assert_eq!(
        Task::start_inline(async { 5 }).status(),
        TaskStatus::RanToCompletion
    );
    let faulted = Task::<u8>::start_inline(async { panic!("before the first await") });
    assert_eq!(faulted.status(), TaskStatus::Faulted);
    let failed = Task::<u8>::try_start_inline(async { Err(std::io::Error::other("bad input")) });
    assert_eq!(failed.status(), TaskStatus::Faulted);
    assert!(
        failed
            .exception()
            .unwrap()
            .first()
            .downcast_ref::<std::io::Error>()
            .is_some()
    );
    let canceled = Task::<u8>::try_start_inline(async { Err(CanceledError::new()) });
    assert_eq!(canceled.status(), TaskStatus::Canceled);
}

/// A context that counts `operation_started` / `operation_completed` and
/// runs posted work on a thread of its own.
struct Counting {
    inner: Arc<ThreadContext>,
    started: AtomicUsize,
    completed: AtomicUsize,
}

impl SynchronizationContext for Counting {
    fn post(&self, work: Work) {
        self.inner.post(work);
    }
    fn operation_started(&self) {
        self.started.fetch_add(1, Ordering::SeqCst);
    }
    fn operation_completed(&self) {
        self.completed.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn fire_and_forget_runs_its_synchronous_part_inside_the_call() {
    let ctx = Arc::new(Counting {
        inner: ThreadContext::start(),
        started: AtomicUsize::new(0),
        completed: AtomicUsize::new(0),
    });
    let ran = Arc::new(AtomicUsize::new(0));
    {
        let _scope = <dyn SynchronizationContext>::set_current(Some(ctx.clone()));
        let r = ran.clone();
        fire_and_forget(async move {
            r.fetch_add(1, Ordering::SeqCst);
        });
        // Done inside the call, counted as .NET's AsyncVoidMethodBuilder
        // counts: started at the call, completed at the end.
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert_eq!(ctx.started.load(Ordering::SeqCst), 1);
        assert_eq!(ctx.completed.load(Ordering::SeqCst), 1);
        let r = ran.clone();
        fire_and_forget(async move {
            r.fetch_add(1, Ordering::SeqCst);
            tasklane::yield_now().await;
            r.fetch_add(1, Ordering::SeqCst);
        });
        // The part before the yield ran here; the rest is posted.
        assert!(ran.load(Ordering::SeqCst) >= 2);
        assert_eq!(ctx.started.load(Ordering::SeqCst), 2);
    }
    common::wait_until("the posted part runs", || {
        ctx.completed.load(Ordering::SeqCst) == 2
    });
    assert_eq!(ran.load(Ordering::SeqCst), 3);
    ctx.inner.stop();
}

/// .NET's fix for the classic deadlock: the method awaits with
/// `ConfigureAwait(false)`, so its rest needs no UI thread, and the UI
/// thread may block on it. Here the "UI" is a plain
/// `SynchronizationContext`, not a `Dispatcher`.
async fn get_data_async() -> u32 {
    Task::run(|| {
        std::thread::sleep(Duration::from_millis(20));
        41
    })
    .configure_await(false)
    .await
    .unwrap()
        + 1
}

#[test]
fn blocking_on_a_configure_await_false_method_completes_on_any_context() {
    with_deadline("classic fix on a custom context", || {
        let ui = ThreadContext::start();
        let ctx = as_dyn(&ui);
        let (tx, rx) = mpsc::channel();
        ui.post(Box::new(move || {
            // A UI event handler: the context is current on its thread.
            let _scope = <dyn SynchronizationContext>::set_current(Some(ctx));
            let data = Task::start_inline(get_data_async()).result().unwrap();
            tx.send(data).unwrap();
        }));
        assert_eq!(rx.recv_timeout(DEADLINE).unwrap(), 42);
        ui.stop();
    });
}
