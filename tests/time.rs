//! `Task.Delay` as .NET defines it: delays never fire early,
//! `Delay::reset`, `timeout`, `Task::delay` with and without a token,
//! `wait_timeout`, and timers across a runtime's shutdown.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tasklane::task::CancelReason;
use tasklane::time::{Delay, Elapsed, delay, delay_until, timeout};
use tasklane::{
    CancellationTokenSource, Runtime, Task, TaskCompletionSource, TaskStatus, block_on,
};

/// Generous: the machine is shared and noisy.
const PATIENCE: Duration = Duration::from_secs(10);

fn assert_send_sync_unpin<T: Send + Sync + Unpin>() {}

#[test]
fn delay_is_send_sync_and_unpin() {
    assert_send_sync_unpin::<Delay>();
}

#[test]
fn delays_never_complete_before_their_deadline() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let mut tasks = Vec::new();
    for i in 0..400u64 {
        let d = Duration::from_micros(250 * (i % 97) + 300 * (i % 7));
        tasks.push(rt.run_async(async move {
            let start = Instant::now();
            delay(d).await;
            (start.elapsed(), d)
        }));
    }
    for t in tasks {
        let (took, wanted) = t.result().unwrap();
        assert!(
            took >= wanted,
            "a {wanted:?} delay completed after {took:?}"
        );
    }
}

/// The resolution is about a millisecond (the wheel's tick): the typical
/// lateness of a delay is a tick or two, not tens of milliseconds. The
/// median of many sequential delays is asserted, against a bound several
/// times the tick, so a noisy machine cannot fail it while a coarse timer
/// (a 10 ms tick, a missed wake-up rescued by a later one) would.
#[test]
fn delays_are_late_by_about_a_tick_at_the_median() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let mut late: Vec<Duration> = rt.block_on(async {
        let mut late = Vec::new();
        for i in 0..60u64 {
            let d = Duration::from_micros(2_000 + 137 * (i % 11));
            let start = Instant::now();
            delay(d).await;
            late.push(start.elapsed().saturating_sub(d));
        }
        late
    });
    late.sort();
    let median = late[late.len() / 2];
    assert!(
        median < Duration::from_millis(4),
        "median lateness {median:?} (all: {late:?})"
    );
}

#[test]
fn a_zero_delay_is_ready_at_once_and_a_past_deadline_promptly() {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(
        Pin::new(&mut delay(Duration::ZERO))
            .poll(&mut cx)
            .is_ready()
    );
    let past = Instant::now() - Duration::from_millis(1);
    let d = delay_until(past);
    assert!(d.is_elapsed());
    let start = Instant::now();
    block_on(d);
    assert!(start.elapsed() < PATIENCE);
}

#[test]
fn delay_works_outside_any_runtime() {
    let start = Instant::now();
    std::thread::spawn(|| block_on(delay(Duration::from_millis(25))))
        .join()
        .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(25));
}

#[test]
fn reset_moves_an_armed_delay_later_or_earlier() {
    let start = Instant::now();
    let mut d = delay(Duration::from_millis(20));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut d).poll(&mut cx).is_pending());
    d.reset(start + Duration::from_millis(120));
    assert_eq!(d.deadline(), start + Duration::from_millis(120));
    block_on(&mut d);
    assert!(
        start.elapsed() >= Duration::from_millis(120),
        "fired at the old deadline"
    );

    // Earlier: the waiting thread is woken at the new deadline without
    // polling in between.
    let (tx, rx) = mpsc::channel::<Delay>();
    let waiter = std::thread::spawn(move || {
        let d = rx.recv().unwrap();
        let start = Instant::now();
        block_on(d);
        start.elapsed()
    });
    let mut long = delay(Duration::from_secs(3600));
    assert!(Pin::new(&mut long).poll(&mut cx).is_pending());
    long.reset(Instant::now() + Duration::from_millis(30));
    tx.send(long).unwrap();
    assert!(waiter.join().unwrap() < PATIENCE);

    // After completion, reset arms it again.
    let mut done = delay(Duration::ZERO);
    block_on(&mut done);
    let again = Instant::now() + Duration::from_millis(20);
    done.reset(again);
    block_on(&mut done);
    assert!(Instant::now() >= again);
}

/// Polls a delay that another thread may reset meanwhile.
struct Shared(Arc<Mutex<Delay>>);

impl Future for Shared {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut *self.0.lock().unwrap()).poll(cx)
    }
}

#[test]
fn reset_to_a_passed_deadline_wakes_the_waiter() {
    let d = Arc::new(Mutex::new(delay(Duration::from_secs(3600))));
    let (tx, rx) = mpsc::channel();
    let shared = Shared(d.clone());
    std::thread::spawn(move || {
        block_on(shared);
        tx.send(()).unwrap();
    });
    // Let the waiter arm the timer with its waker and park.
    std::thread::sleep(Duration::from_millis(30));
    d.lock()
        .unwrap()
        .reset(Instant::now() - Duration::from_millis(1));
    rx.recv_timeout(PATIENCE).expect("the waiter was not woken");
}

#[test]
fn timeout_gives_up_after_its_duration_and_passes_results_through() {
    let start = Instant::now();
    let r = block_on(timeout(
        Duration::from_millis(40),
        std::future::pending::<()>(),
    ));
    assert!(r.is_err());
    assert!(start.elapsed() >= Duration::from_millis(40));
    assert_eq!(
        block_on(timeout(Duration::from_millis(1), async { 3 })),
        Ok(3)
    );
    let slow_but_in_time = async {
        delay(Duration::from_millis(10)).await;
        "done"
    };
    assert_eq!(block_on(timeout(PATIENCE, slow_but_in_time)), Ok("done"));
    let e: Elapsed = block_on(timeout(Duration::ZERO, std::future::pending::<()>())).unwrap_err();
    assert!(e.to_string().contains("deadline"));
}

#[test]
fn timeout_on_a_task_and_a_promise() {
    let tcs = TaskCompletionSource::<u8>::new();
    assert!(block_on(timeout(Duration::from_millis(20), tcs.task())).is_err());
    tcs.set_result(1).unwrap();
    assert_eq!(
        block_on(timeout(Duration::from_millis(20), tcs.task()))
            .unwrap()
            .unwrap(),
        1
    );
}

#[test]
fn task_delay_completes_after_its_duration() {
    let start = Instant::now();
    let t = Task::delay(Duration::from_millis(30));
    assert_eq!(t.status(), TaskStatus::WaitingForActivation);
    t.wait().unwrap();
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert_eq!(t.status(), TaskStatus::RanToCompletion);
    assert!(Task::delay(Duration::ZERO).is_completed_successfully());
    // Awaited from a task.
    let start = Instant::now();
    Task::run_async(async { Task::delay(Duration::from_millis(15)).await.unwrap() })
        .wait()
        .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(15));
}

#[test]
fn task_delay_with_token_ends_canceled_promptly() {
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    let t = Task::delay_with_token(Duration::from_secs(3600), &token);
    assert_eq!(t.status(), TaskStatus::WaitingForActivation);
    let waiter = {
        let t = t.clone();
        std::thread::spawn(move || block_on(t))
    };
    std::thread::sleep(Duration::from_millis(20));
    let start = Instant::now();
    cts.cancel().unwrap();
    // Canceled synchronously, inside cancel().
    assert_eq!(t.status(), TaskStatus::Canceled);
    let err = waiter.join().unwrap().unwrap_err();
    assert_eq!(err.as_canceled().unwrap().token(), Some(&token));
    assert!(start.elapsed() < PATIENCE);
    assert_eq!(token.registered_callback_count(), 0);

    // Already cancelled: canceled at once.
    assert_eq!(
        Task::delay_with_token(Duration::from_secs(1), &token).status(),
        TaskStatus::Canceled
    );
}

#[test]
fn task_delay_with_token_that_is_not_cancelled_completes_and_unregisters() {
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    let t = Task::delay_with_token(Duration::from_millis(20), &token);
    assert_eq!(token.registered_callback_count(), 1);
    t.wait().unwrap();
    assert_eq!(t.status(), TaskStatus::RanToCompletion);
    // The timer's firing removed the token registration.
    let deadline = Instant::now() + PATIENCE;
    while token.registered_callback_count() != 0 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(1));
    }
    cts.cancel().unwrap();
    assert_eq!(t.status(), TaskStatus::RanToCompletion);
}

#[test]
fn the_future_form_with_a_token_ends_canceled() {
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    let t = token.clone();
    let waiter = std::thread::spawn(move || {
        block_on(t.run_until_cancelled(delay(Duration::from_secs(3600))))
    });
    std::thread::sleep(Duration::from_millis(20));
    cts.cancel().unwrap();
    assert!(waiter.join().unwrap().is_err());
}

#[test]
fn wait_timeout_reports_whether_the_task_completed() {
    let tcs = TaskCompletionSource::<()>::new();
    let task = tcs.task();
    let start = Instant::now();
    assert!(!task.wait_timeout(Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert!(!task.wait_timeout(Duration::ZERO));
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        tcs.set_result(()).unwrap();
    });
    // An unrepresentable timeout waits without limit (C#: Wait(Infinite)).
    assert!(task.wait_timeout(Duration::MAX));
    assert!(task.wait_timeout(Duration::ZERO));
}

#[test]
fn a_task_awaiting_a_delay_is_canceled_cleanly_when_its_runtime_shuts_down() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let (tx, rx) = mpsc::channel();
    let t = rt.run_async(async move {
        tx.send(()).unwrap();
        delay(Duration::from_secs(3600)).await;
    });
    rx.recv_timeout(PATIENCE).unwrap();
    std::thread::sleep(Duration::from_millis(10));
    let start = Instant::now();
    drop(rt);
    assert!(start.elapsed() < PATIENCE);
    let err = t.wait().unwrap_err();
    assert_eq!(
        err.first().as_canceled().unwrap().reason(),
        CancelReason::RuntimeShutdown
    );
}

#[test]
fn delays_made_on_a_shut_down_runtime_resolve_or_cancel() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let handle = rt.handle().clone();
    drop(rt);
    let _enter = handle.enter();
    // A delay task is a promise: it needs no runtime and still completes.
    Task::delay(Duration::from_millis(5)).wait().unwrap();
    // Work given to the dead runtime is canceled, not lost or panicking.
    let t = handle.run_async(async { delay(Duration::from_millis(5)).await });
    assert!(t.wait().unwrap_err().is_canceled());
    // The future form still works from a plain block_on.
    block_on(delay(Duration::from_millis(5)));
}

#[test]
fn many_timers_in_one_burst_all_fire_and_none_early() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let tasks: Vec<Task<bool>> = (0..5000u64)
        .map(|i| {
            let d = Duration::from_millis(1 + (i * 7919) % 40);
            rt.run_async(async move {
                let start = Instant::now();
                delay(d).await;
                start.elapsed() >= d
            })
        })
        .collect();
    let all = rt.block_on(Task::when_all(tasks)).unwrap();
    assert!(all.into_iter().all(|ok| ok));
}

/// Delays, timeouts and `cancel_after` at `Duration::ZERO` and
/// `Duration::MAX`: no overflow panic; zero is due at once, the maximum
/// never (a deadline too far to compute waits without limit, as
/// `Timeout.Infinite`).
#[test]
fn timers_at_the_extremes_behave_as_documented() {
    let rt = tasklane::Runtime::new().unwrap();
    let _enter = rt.handle().enter();
    // Zero: due at once.
    assert!(Task::delay(Duration::ZERO).is_completed_successfully());
    assert_eq!(
        rt.block_on(timeout(Duration::ZERO, async { 1 })).unwrap(),
        1,
        "a ready future beats a zero timeout"
    );
    assert!(
        rt.block_on(timeout(Duration::ZERO, std::future::pending::<()>()))
            .is_err()
    );
    let now = CancellationTokenSource::new();
    now.cancel_after(Duration::ZERO);
    assert!(
        now.is_cancellation_requested() || {
            std::thread::sleep(Duration::from_millis(50));
            now.is_cancellation_requested()
        }
    );
    assert!(CancellationTokenSource::with_delay(Duration::ZERO).is_cancellation_requested());
    // The maximum: never due, and cancelable.
    let forever = Task::delay(Duration::MAX);
    let cts = CancellationTokenSource::new();
    let forever_canceled = Task::delay_with_token(Duration::MAX, &cts.token());
    let never = CancellationTokenSource::new();
    never.cancel_after(Duration::MAX);
    let never_either = CancellationTokenSource::with_delay(Duration::MAX);
    assert_eq!(rt.block_on(timeout(Duration::MAX, async { 2 })).unwrap(), 2);
    let mut far = delay(Duration::MAX);
    assert!(!forever.wait_timeout(Duration::from_millis(50)));
    assert!(!never.is_cancellation_requested());
    assert!(!never_either.is_cancellation_requested());
    cts.cancel().unwrap();
    assert!(forever_canceled.wait_timeout(Duration::from_secs(60)));
    assert!(forever_canceled.is_canceled());
    // Re-armed from the maximum to now: due at once.
    far.reset(std::time::Instant::now());
    rt.block_on(far);
    assert!(rt.run(|| 1).wait_timeout(Duration::MAX));
}
