//! `CancellationTokenSource` as .NET defines it: callbacks
//! (LIFO, inline, context, panics), registrations (drop unregisters, drop
//! waits), cancel_after, linked sources, none(), the futures that await a
//! token, and tasks started with a token.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use tasklane::cancel::with_cancellation;
use tasklane::task::PanicError;
use tasklane::{
    AggregateError, AsyncLocal, CanceledError, CancellationToken, CancellationTokenRegistration,
    CancellationTokenSource, ExecutionContext, Runtime, Task, TaskCompletionSource, TaskStatus,
    block_on,
};

/// Generous: the machine is shared and noisy.
const PATIENCE: Duration = Duration::from_secs(10);

type Log = Arc<Mutex<Vec<u32>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push(log: &Log, v: u32) -> impl FnOnce() + Send + 'static {
    let log = log.clone();
    move || log.lock().unwrap().push(v)
}

#[test]
fn callbacks_run_lifo_synchronously_on_the_cancelling_thread() {
    let cts = Arc::new(CancellationTokenSource::new());
    let token = cts.token();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let regs: Vec<CancellationTokenRegistration> = (1..=4)
        .map(|i| {
            let seen = seen.clone();
            token.register(move || seen.lock().unwrap().push((i, std::thread::current().id())))
        })
        .collect();
    let canceller = {
        let cts = cts.clone();
        let seen = seen.clone();
        std::thread::spawn(move || {
            cts.cancel().unwrap();
            // Synchronous: every callback has run when cancel() returns.
            let n = seen.lock().unwrap().len();
            (std::thread::current().id(), n)
        })
    };
    let (cancel_thread, seen_at_return) = canceller.join().unwrap();
    assert_eq!(seen_at_return, 4);
    let seen = seen.lock().unwrap();
    let order: Vec<u32> = seen.iter().map(|(i, _)| *i).collect();
    assert_eq!(order, [4, 3, 2, 1], "last registered runs first");
    assert!(seen.iter().all(|(_, t)| *t == cancel_thread));
    assert!(token.is_cancellation_requested() && cts.is_cancellation_requested());
    drop(regs);
}

#[test]
fn registering_on_a_cancelled_token_runs_inline_at_once() {
    let cts = CancellationTokenSource::new();
    cts.cancel().unwrap();
    let ran_on = Arc::new(Mutex::new(None));
    let r = ran_on.clone();
    let registration = cts
        .token()
        .register(move || *r.lock().unwrap() = Some(std::thread::current().id()));
    // Ran before register returned, on this thread.
    assert_eq!(*ran_on.lock().unwrap(), Some(std::thread::current().id()));
    assert!(!registration.token().can_be_canceled(), "nothing is listed");
    assert!(!registration.unregister());
}

#[test]
fn callbacks_run_under_the_context_captured_at_registration() {
    static USER: std::sync::LazyLock<AsyncLocal<&'static str>> =
        std::sync::LazyLock::new(AsyncLocal::new);
    let cts = Arc::new(CancellationTokenSource::new());
    let seen = Arc::new(Mutex::new(Vec::new()));
    USER.set(Some("alice"));
    let s = seen.clone();
    let with_alice = cts
        .token()
        .register(move || s.lock().unwrap().push(USER.get()));
    let suppressed = {
        let _flow = ExecutionContext::suppress_flow();
        let s = seen.clone();
        cts.token()
            .register(move || s.lock().unwrap().push(USER.get()))
    };
    USER.set(None);
    let cts2 = cts.clone();
    std::thread::spawn(move || {
        USER.set(Some("canceller"));
        cts2.cancel().unwrap();
        // A callback's context never leaks into the cancelling thread.
        assert_eq!(USER.get(), Some("canceller"));
    })
    .join()
    .unwrap();
    assert_eq!(*seen.lock().unwrap(), [None, Some("alice")]);
    drop((with_alice, suppressed));
}

/// What one callback sets in its context stays there: the next callback
/// (LIFO: the one registered before it) and the cancelling thread do not
/// see it, also when the callback panics after setting it.
#[test]
fn a_value_a_callback_sets_does_not_leak_into_the_next_or_the_canceller() {
    static VALUE: std::sync::LazyLock<AsyncLocal<&'static str>> =
        std::sync::LazyLock::new(AsyncLocal::new);
    let cts = CancellationTokenSource::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let _last = cts
        .token()
        .register(move || s.lock().unwrap().push(VALUE.get()));
    let _panics = cts.token().register(|| {
        VALUE.set(Some("set by a panicking callback"));
        panic!("after setting a value");
    });
    let s = seen.clone();
    let _middle = cts
        .token()
        .register(move || s.lock().unwrap().push(VALUE.get()));
    let _first = cts
        .token()
        .register(|| VALUE.set(Some("set by the first callback")));
    VALUE.set(Some("canceller"));
    let err = cts.cancel().unwrap_err();
    assert_eq!(err.len(), 1, "the one panic: {err}");
    assert_eq!(*seen.lock().unwrap(), [None, None]);
    assert_eq!(VALUE.get(), Some("canceller"));
    VALUE.set(None);
}

#[test]
fn dropping_a_registration_unregisters_it() {
    let cts = CancellationTokenSource::new();
    let log = log();
    let kept = cts.token().register(push(&log, 1));
    drop(cts.token().register(push(&log, 2)));
    let removed = cts.token().register(push(&log, 3));
    assert!(removed.unregister(), "removed before it ran");
    assert_eq!(cts.token().registered_callback_count(), 1);
    cts.cancel().unwrap();
    assert_eq!(*log.lock().unwrap(), [1]);
    drop(kept);
}

#[test]
fn detach_keeps_the_callback_registered() {
    let cts = CancellationTokenSource::new();
    let log = log();
    cts.token().register(push(&log, 9)).detach();
    cts.cancel().unwrap();
    assert_eq!(*log.lock().unwrap(), [9]);
}

#[test]
fn dropping_a_registration_waits_for_its_callback_running_elsewhere() {
    let cts = Arc::new(CancellationTokenSource::new());
    let (started_tx, started_rx) = mpsc::channel();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let registration = cts.token().register(move || {
        started_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(150));
        f.store(true, Ordering::SeqCst);
    });
    let canceller = {
        let cts = cts.clone();
        std::thread::spawn(move || cts.cancel().unwrap())
    };
    started_rx.recv_timeout(PATIENCE).unwrap();
    drop(registration);
    assert!(
        finished.load(Ordering::SeqCst),
        "the drop returned while the callback ran"
    );
    canceller.join().unwrap();
}

#[test]
fn dropping_registrations_inside_callbacks_never_waits() {
    let cts = Arc::new(CancellationTokenSource::new());
    let own: Arc<Mutex<Option<CancellationTokenRegistration>>> = Arc::default();
    let other: Arc<Mutex<Option<CancellationTokenRegistration>>> = Arc::default();
    let log = log();
    // Registered first, so it runs last — unless the callback below drops it.
    *other.lock().unwrap() = Some(cts.token().register(push(&log, 1)));
    let (o, ot, l) = (own.clone(), other.clone(), log.clone());
    *own.lock().unwrap() = Some(cts.token().register(move || {
        l.lock().unwrap().push(2);
        drop(o.lock().unwrap().take()); // its own registration
        drop(ot.lock().unwrap().take()); // one not yet run: it never will
    }));
    let (done_tx, done_rx) = mpsc::channel();
    let cts2 = cts.clone();
    std::thread::spawn(move || done_tx.send(cts2.cancel()).unwrap());
    let result = done_rx.recv_timeout(PATIENCE).expect("cancel deadlocked");
    assert!(result.is_ok());
    assert_eq!(*log.lock().unwrap(), [2]);
}

#[test]
fn cancel_runs_every_callback_then_reports_all_panics() {
    let cts = CancellationTokenSource::new();
    let log = log();
    let _a = cts.token().register(push(&log, 1));
    let _b = cts.token().register(|| panic!("first failure"));
    let _c = cts.token().register(push(&log, 3));
    let _d = cts.token().register(|| panic!("second failure"));
    let err: AggregateError = cts.cancel().unwrap_err();
    assert_eq!(*log.lock().unwrap(), [3, 1], "the panics stopped nothing");
    let messages: Vec<&str> = err
        .iter()
        .map(|e| e.downcast_ref::<PanicError>().unwrap().message())
        .collect();
    assert_eq!(
        messages,
        ["second failure", "first failure"],
        "in the order they ran"
    );
    // Only the first cancel acts.
    assert!(cts.cancel().is_ok());
}

#[test]
fn cancel_with_throw_on_first_stops_at_the_first_panic_but_wakes_awaiters() {
    let cts = Arc::new(CancellationTokenSource::new());
    let log = log();
    let token = cts.token();
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        block_on(async {
            let cancelled = token.cancelled();
            tx.send(()).unwrap();
            cancelled.await
        })
    });
    rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(20)); // let it register
    let _never = cts.token().register(push(&log, 1));
    let _boom = cts.token().register(|| panic!("stop here"));
    let _runs = cts.token().register(push(&log, 3));
    let err = cts.cancel_with(true).unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(
        *log.lock().unwrap(),
        [3],
        "the callback after the panic never ran"
    );
    waiter.join().unwrap();
}

#[test]
fn cancel_after_cancels_later_and_rearms() {
    let cts = CancellationTokenSource::new();
    let start = Instant::now();
    cts.cancel_after(Duration::from_millis(40));
    // Re-arming replaces the deadline.
    cts.cancel_after(Duration::from_millis(1000));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !cts.is_cancellation_requested(),
        "the first deadline was replaced"
    );
    block_on(cts.token().cancelled());
    assert!(start.elapsed() >= Duration::from_millis(1000));

    let src = CancellationTokenSource::with_delay(Duration::from_millis(10));
    let waited = block_on(tasklane::time::timeout(PATIENCE, src.token().cancelled()));
    assert!(waited.is_ok());
}

#[test]
fn cancel_after_an_unrepresentable_delay_disarms() {
    let cts = CancellationTokenSource::new();
    cts.cancel_after(Duration::from_millis(30));
    cts.cancel_after(Duration::MAX);
    std::thread::sleep(Duration::from_millis(120));
    assert!(!cts.is_cancellation_requested());
}

#[test]
fn cancel_after_runs_callbacks_on_the_pool_of_the_arming_runtime() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_name("armed-here")
        .build()
        .unwrap();
    let cts = CancellationTokenSource::new();
    let (tx, rx) = mpsc::channel();
    let _r = cts.token().register(move || {
        tx.send(std::thread::current().name().map(str::to_owned))
            .unwrap();
    });
    rt.block_on(async { cts.cancel_after(Duration::from_millis(5)) });
    let name = rx.recv_timeout(PATIENCE).unwrap().unwrap_or_default();
    assert!(name.starts_with("armed-here"), "ran on {name:?}");
}

#[test]
fn a_linked_source_is_cancelled_by_any_parent_and_only_downwards() {
    let a = CancellationTokenSource::new();
    let b = CancellationTokenSource::new();
    let linked = CancellationTokenSource::create_linked_token_source(&[&a.token(), &b.token()]);
    let log = log();
    let _r = linked.token().register(push(&log, 7));
    b.cancel().unwrap();
    assert!(linked.is_cancellation_requested());
    assert_eq!(
        *log.lock().unwrap(),
        [7],
        "ran synchronously inside b.cancel()"
    );
    assert!(!a.is_cancellation_requested());

    // Cancelling the linked source itself leaves its parents alone.
    let c = CancellationTokenSource::new();
    let only = CancellationTokenSource::create_linked_token_source(&[&c.token()]);
    only.cancel().unwrap();
    assert!(!c.is_cancellation_requested());

    // A parent already cancelled cancels it at creation.
    let early = CancellationTokenSource::create_linked_token_source(&[
        &CancellationToken::none(),
        &b.token(),
    ]);
    assert!(early.is_cancellation_requested());
}

#[test]
fn dropping_a_linked_source_unlinks_it_from_its_parents() {
    let parent = CancellationTokenSource::new();
    assert_eq!(parent.token().registered_callback_count(), 0);
    let linked = CancellationTokenSource::create_linked_token_source(&[&parent.token()]);
    let child_token = linked.token();
    assert_eq!(parent.token().registered_callback_count(), 1);
    drop(linked);
    assert_eq!(parent.token().registered_callback_count(), 0);
    parent.cancel().unwrap();
    assert!(!child_token.is_cancellation_requested());
}

#[test]
fn a_linked_sources_panics_reach_the_parents_cancel() {
    let parent = CancellationTokenSource::new();
    let linked = CancellationTokenSource::create_linked_token_source(&[&parent.token()]);
    let _r = linked.token().register(|| panic!("in the child"));
    let err = parent.cancel().unwrap_err();
    assert_eq!(err.len(), 1, "one nested aggregate");
    assert_eq!(err.find::<PanicError>().unwrap().message(), "in the child");
}

#[test]
fn none_can_never_be_cancelled() {
    let none = CancellationToken::none();
    assert!(!none.can_be_canceled());
    assert!(!none.is_cancellation_requested());
    assert_eq!(none, CancellationToken::default());
    assert!(none.throw_if_cancellation_requested().is_ok());
    let witness = Arc::new(());
    let w = witness.clone();
    let registration = none.register(move || drop(w));
    assert_eq!(
        Arc::strong_count(&witness),
        1,
        "the callback was dropped unrun"
    );
    drop(registration);
    let waited = block_on(tasklane::time::timeout(
        Duration::from_millis(30),
        none.cancelled(),
    ));
    assert!(waited.is_err(), "awaiting none never ends");
    assert!(CancellationTokenSource::new().token().can_be_canceled());
    assert!(CancellationToken::new(true).is_cancellation_requested());
    assert!(!CancellationToken::new(false).can_be_canceled());
}

#[test]
fn throw_if_cancellation_requested_carries_the_token() {
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    assert!(token.throw_if_cancellation_requested().is_ok());
    cts.cancel().unwrap();
    let err: CanceledError = token.throw_if_cancellation_requested().unwrap_err();
    assert_eq!(err.token(), Some(&token));
}

#[test]
fn tokens_compare_by_source() {
    let a = CancellationTokenSource::new();
    let b = CancellationTokenSource::new();
    assert_eq!(a.token(), a.token().clone());
    assert_ne!(a.token(), b.token());
    assert_ne!(a.token(), CancellationToken::none());
}

#[test]
fn dropping_the_source_drops_its_callbacks_unrun() {
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    let witness = Arc::new(());
    let w = witness.clone();
    let registration = token.register(move || drop(w));
    drop(cts);
    assert_eq!(Arc::strong_count(&witness), 1);
    assert!(!token.is_cancellation_requested());
    assert!(
        token.can_be_canceled(),
        "as in C#, still true after Dispose"
    );
    drop(registration);
    // Registering afterwards drops the callback too.
    let w = witness.clone();
    drop(token.register(move || drop(w)));
    assert_eq!(Arc::strong_count(&witness), 1);
}

#[test]
fn try_reset_makes_an_uncancelled_source_reusable() {
    let cts = CancellationTokenSource::new();
    let log = log();
    let _old = cts.token().register(push(&log, 1));
    cts.cancel_after(Duration::from_millis(20));
    assert!(cts.try_reset());
    std::thread::sleep(Duration::from_millis(80));
    assert!(!cts.is_cancellation_requested(), "the timer was disarmed");
    let _new = cts.token().register(push(&log, 2));
    cts.cancel().unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [2],
        "reset unregistered the old callback"
    );
    assert!(!cts.try_reset());
}

#[test]
fn cancelled_and_run_until_cancelled_end_when_the_token_fires() {
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    let t = token.clone();
    let waiter =
        std::thread::spawn(move || block_on(t.run_until_cancelled(std::future::pending::<u8>())));
    std::thread::sleep(Duration::from_millis(30));
    cts.cancel().unwrap();
    let err = waiter.join().unwrap().unwrap_err();
    assert_eq!(err.token(), Some(&token));
    block_on(token.cancelled()); // already cancelled: ready at once

    let live = CancellationTokenSource::new();
    assert_eq!(
        block_on(with_cancellation(async { 5 }, &live.token())).unwrap(),
        5
    );
    // An already-cancelled token never polls the future.
    let polled = Arc::new(AtomicBool::new(false));
    let p = polled.clone();
    let r = block_on(token.run_until_cancelled(async move { p.store(true, Ordering::SeqCst) }));
    assert!(r.is_err() && !polled.load(Ordering::SeqCst));
}

#[test]
fn wait_async_on_a_promise_ends_canceled_when_the_token_fires() {
    let tcs = TaskCompletionSource::<u32>::new();
    let cts = Arc::new(CancellationTokenSource::new());
    let token = cts.token();
    let task = tcs.task();
    let start = Instant::now();
    let c = cts.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        c.cancel().unwrap();
    });
    let err = block_on(task.wait_async(&token)).unwrap_err();
    assert!(err.is_canceled());
    assert_eq!(err.as_canceled().unwrap().token(), Some(&token));
    assert!(start.elapsed() < PATIENCE);
    // The promise itself goes on, and a completed task wins over the token.
    assert_eq!(task.status(), TaskStatus::WaitingForActivation);
    tcs.set_result(4).unwrap();
    assert_eq!(block_on(task.wait_async(&token)).unwrap(), 4);
    assert_eq!(
        block_on(task.wait_async(&CancellationToken::none())).unwrap(),
        4
    );
}

#[test]
fn run_with_an_already_cancelled_token_never_runs_the_work() {
    let cts = CancellationTokenSource::new();
    cts.cancel().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let t = Task::run_with_token(move || r.fetch_add(1, Ordering::SeqCst), &cts.token());
    assert_eq!(t.status(), TaskStatus::Canceled, "canceled at once");
    let err = t.wait().unwrap_err();
    assert_eq!(
        err.first().as_canceled().unwrap().token(),
        Some(&cts.token())
    );
    let r = ran.clone();
    let t = Task::run_async_with_token(
        async move { r.fetch_add(1, Ordering::SeqCst) },
        &cts.token(),
    );
    assert!(t.wait().unwrap_err().is_canceled());
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn work_cancelled_while_queued_ends_canceled_and_never_runs() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (busy_tx, busy_rx) = mpsc::channel();
    let blocker = rt.run(move || {
        busy_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    busy_rx.recv_timeout(PATIENCE).unwrap();
    let cts = CancellationTokenSource::new();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let queued = {
        let _in_rt = rt.handle().enter();
        Task::run_with_token(move || r.store(true, Ordering::SeqCst), &cts.token())
    };
    cts.cancel().unwrap();
    release_tx.send(()).unwrap();
    blocker.wait().unwrap();
    assert!(queued.wait().unwrap_err().is_canceled());
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn a_body_ending_with_its_own_signalled_tokens_cancellation_ends_canceled() {
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let t = token.clone();
    let task = Task::try_run_with_token(
        move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            t.throw_if_cancellation_requested()?;
            Ok::<_, CanceledError>(1)
        },
        &token,
    );
    // The body is running: from here the token is only cooperative.
    started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    cts.cancel().unwrap();
    go_tx.send(()).unwrap();
    assert!(task.wait().unwrap_err().is_canceled());
    assert_eq!(task.status(), TaskStatus::Canceled);
}

#[test]
fn a_cancellation_by_another_token_or_unsignalled_faults() {
    let own = CancellationTokenSource::new();
    let other = CancellationTokenSource::new();
    other.cancel().unwrap();
    let theirs = other.token();
    let t = Task::try_run_with_token(
        move || theirs.throw_if_cancellation_requested().map(|_| 0),
        &own.token(),
    );
    let err = t.wait().unwrap_err();
    assert_eq!(t.status(), TaskStatus::Faulted);
    assert!(err.first().downcast_ref::<CanceledError>().is_some());

    // Its own token, but not signalled: a fault too.
    let mine = own.token();
    let t = Task::try_run_with_token(
        move || Err::<u8, _>(CanceledError::with_token(mine)),
        &own.token(),
    );
    t.wait().unwrap_err();
    assert_eq!(t.status(), TaskStatus::Faulted);

    // The async form follows the same rule.
    let theirs = other.token();
    let t = Task::try_run_async_with_token(
        async move { theirs.throw_if_cancellation_requested().map(|_| 0) },
        &own.token(),
    );
    t.wait().unwrap_err();
    assert_eq!(t.status(), TaskStatus::Faulted);
    let mine = own.token();
    own.cancel().unwrap();
    let t = Task::try_run_async_with_token(
        async move { Err::<u8, _>(CanceledError::with_token(mine)) },
        &CancellationTokenSource::new().token(),
    );
    t.wait().unwrap_err();
    assert_eq!(t.status(), TaskStatus::Faulted);
}

#[test]
fn an_async_body_awaiting_its_token_ends_canceled_promptly() {
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    let t = token.clone();
    let task = Task::try_run_async_with_token(
        async move {
            t.run_until_cancelled(tasklane::time::delay(Duration::from_secs(3600)))
                .await?;
            Ok::<_, CanceledError>(())
        },
        &token,
    );
    std::thread::sleep(Duration::from_millis(20));
    let start = Instant::now();
    cts.cancel().unwrap();
    assert!(task.wait().unwrap_err().is_canceled());
    assert!(start.elapsed() < PATIENCE);
}

#[test]
fn the_types_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<CancellationTokenSource>();
    send_sync::<CancellationToken>();
    send_sync::<CancellationTokenRegistration>();
    send_sync::<tasklane::cancel::Cancelled>();
    send_sync::<tasklane::cancel::WaitAsync<u8>>();
}

#[test]
fn panics_in_a_fired_cancel_after_reach_the_unhandled_error_handler() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let previous = tasklane::diag::set_unhandled_error_handler(Some(Arc::new(move |e| {
        let _ = tx
            .lock()
            .unwrap()
            .send((e.location.line(), e.error.to_string()));
    })));
    let cts = CancellationTokenSource::new();
    let _r = cts.token().register(|| panic!("late failure"));
    let line = line!() + 1;
    cts.cancel_after(Duration::from_millis(5));
    let (reported_line, message) = rx.recv_timeout(PATIENCE).expect("reported");
    tasklane::diag::set_unhandled_error_handler(previous);
    assert_eq!(reported_line, line, "names the cancel_after call");
    assert!(message.contains("late failure"), "{message}");
}

/// A deliberate improvement over .NET, which leaves the task WaitingToRun
/// until a worker reaches it.
#[test]
fn a_queued_task_is_canceled_the_moment_its_token_fires() {
    // One thread and no more: a compensating thread for the blocked worker
    // could otherwise run the queued task before the token fires.
    let rt = tasklane::Runtime::builder()
        .worker_threads(1)
        .max_threads(1)
        .build()
        .unwrap();
    let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let blocker = rt.run(move || {
        started_tx.send(()).unwrap();
        hold_rx.recv().unwrap();
    });
    started_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    let cts = CancellationTokenSource::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let queued = {
        let ran = ran.clone();
        let _enter = rt.handle().enter();
        Task::run_with_token(move || ran.fetch_add(1, Ordering::SeqCst), &cts.token())
    };
    assert_eq!(queued.status(), tasklane::TaskStatus::WaitingToRun);
    cts.cancel().unwrap();
    // Canceled at once, while the only worker is still busy.
    assert!(queued.is_canceled(), "{:?}", queued.status());
    let e = queued.wait().unwrap_err();
    assert_eq!(e.first().as_canceled().unwrap().token(), Some(&cts.token()));
    hold_tx.send(()).unwrap();
    blocker.wait().unwrap();
    // The worker reached the queued entry and skipped it.
    rt.run(|| ()).wait().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 0, "the work never ran");
}

#[test]
fn a_started_task_is_not_cut_off_by_its_token() {
    let cts = CancellationTokenSource::new();
    let (in_tx, in_rx) = std::sync::mpsc::channel::<()>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let t = Task::run_with_token(
        move || {
            in_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            7
        },
        &cts.token(),
    );
    in_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    cts.cancel().unwrap();
    assert!(
        !t.is_completed(),
        "running work is only asked, never cut off"
    );
    go_tx.send(()).unwrap();
    assert_eq!(t.result().unwrap(), 7);
}
