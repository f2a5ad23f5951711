//! Virtual time: a paused runtime clock that auto-advances when the
//! runtime is idle and moves by hand with `advance`; delays, timeouts,
//! `Task::delay` and `cancel_after` honor it; other runtimes keep real time.

mod common;

use common::{runtime, with_deadline};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tasklane::time::{self, ClockError};
use tasklane::{CancellationTokenSource, Runtime, Task};

fn paused() -> Runtime {
    Runtime::builder()
        .worker_threads(2)
        .start_paused(true)
        .build()
        .unwrap()
}

#[test]
fn a_thirty_second_timeout_runs_in_no_time() {
    with_deadline("timeout", || {
        let rt = paused();
        let real = Instant::now();
        rt.block_on(async {
            let start = time::now();
            let never = std::future::pending::<()>();
            let r = time::timeout(Duration::from_secs(30), never).await;
            assert!(r.is_err());
            let waited = time::now() - start;
            assert!(waited >= Duration::from_secs(30), "{waited:?}");
            assert!(waited < Duration::from_secs(31), "{waited:?}");
        });
        assert!(real.elapsed() < Duration::from_secs(10));
    });
}

#[test]
fn timers_fire_in_deadline_order() {
    with_deadline("order", || {
        let rt = paused();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks: Vec<Task<()>> = [30u64, 10, 20]
            .into_iter()
            .map(|s| {
                let order = order.clone();
                rt.run_async(async move {
                    time::delay(Duration::from_secs(s)).await;
                    order.lock().unwrap().push(s);
                })
            })
            .collect();
        for t in tasks {
            t.wait().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![10, 20, 30]);
    });
}

#[test]
fn advance_moves_the_clock_by_hand() {
    with_deadline("advance", || {
        let rt = paused();
        let _enter = rt.handle().enter();
        // Only the test moves the clock.
        time::set_auto_advance(false).unwrap();
        let start = time::now();
        let timer = Task::delay(Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(20));
        assert!(!timer.is_completed(), "the clock moved by itself");
        time::advance(Duration::from_secs(59)).unwrap();
        assert!(!timer.is_completed());
        assert_eq!(time::now() - start, Duration::from_secs(59));
        time::advance(Duration::from_secs(1)).unwrap();
        assert!(timer.is_completed());
        assert!(time::now() - start >= Duration::from_secs(60));
    });
}

#[test]
fn cancel_after_honors_the_paused_clock() {
    with_deadline("cancel_after", || {
        let rt = paused();
        let real = Instant::now();
        rt.block_on(async {
            let cts = CancellationTokenSource::new();
            cts.cancel_after(Duration::from_secs(3600));
            cts.token().cancelled().await;
            assert!(cts.is_cancellation_requested());
        });
        assert!(real.elapsed() < Duration::from_secs(10));
    });
}

#[test]
fn time_does_not_jump_past_a_task_that_is_running() {
    with_deadline("busy", || {
        let rt = paused();
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let busy = rt.run(move || {
            // Real work, 80 ms of it: the runtime is not idle meanwhile.
            let until = Instant::now() + Duration::from_millis(80);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
            d.store(true, Ordering::SeqCst);
        });
        let d = done.clone();
        let sleeper = rt.run_async(async move {
            time::delay(Duration::from_secs(1)).await;
            d.load(Ordering::SeqCst)
        });
        assert!(
            sleeper.result().unwrap(),
            "the clock jumped while a task ran"
        );
        busy.wait().unwrap();
    });
}

#[test]
fn other_runtimes_keep_real_time() {
    with_deadline("real", || {
        let _paused = paused();
        let rt = runtime();
        let start = Instant::now();
        rt.block_on(time::delay(Duration::from_millis(50)));
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert!(!rt.block_on(async { time::is_paused() }));
    });
}

#[test]
fn misuse_is_a_typed_error() {
    with_deadline("errors", || {
        let outside = std::thread::spawn(time::pause).join().unwrap();
        assert_eq!(outside, Err(ClockError::NoRuntime));
        let rt = runtime();
        let _enter = rt.handle().enter();
        assert_eq!(
            time::advance(Duration::from_secs(1)),
            Err(ClockError::NotPaused)
        );
        assert_eq!(time::resume(), Err(ClockError::NotPaused));
        time::pause().unwrap();
        assert_eq!(time::pause(), Err(ClockError::AlreadyPaused));
        assert!(time::is_paused());
        time::resume().unwrap();
        assert!(!time::is_paused());
        assert!(ClockError::NoRuntime.to_string().contains("no runtime"));
    });
}

#[test]
fn a_resumed_clock_runs_at_real_speed_from_where_it_stood() {
    with_deadline("resume", || {
        let rt = paused();
        rt.block_on(async {
            time::advance(Duration::from_secs(100)).unwrap();
            let at = time::now();
            time::resume().unwrap();
            let real = Instant::now();
            time::delay(Duration::from_millis(30)).await;
            assert!(real.elapsed() >= Duration::from_millis(30));
            assert!(time::now() - at >= Duration::from_millis(30));
        });
    });
}

#[cfg(feature = "hyper")]
#[test]
fn hyper_timer_reads_and_sleeps_on_the_paused_clock() {
    use hyper::rt::Timer as _;
    with_deadline("hyper timer", || {
        let rt = paused();
        let real = Instant::now();
        rt.block_on(async {
            let timer = tasklane::net::hyper_rt::Timer::new();
            let start = timer.now();
            timer.sleep(Duration::from_secs(3600)).await;
            assert!(timer.now() - start >= Duration::from_secs(3600));
        });
        assert!(real.elapsed() < Duration::from_secs(10));
    });
}
