//! No panic escapes a thread of the runtime: every place the runtime calls
//! user code on its own threads contains the panic, reports it (with its
//! origin and the task's spawn location) when nobody else can take it, and
//! leaves the thread running. One table, one row per place; after each row
//! a fresh spawn completes and the pool still has its threads.
//!
//! One test in this binary: it owns the process-wide handlers.

mod common;

use common::{DEADLINE, wait_until, with_deadline};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tasklane::diag::{ErrorOrigin, UnhandledError};
use tasklane::{
    AsyncLocal, CancellationTokenSource, Dispatcher, Runtime, Task, TaskCompletionSource,
    TaskCreationOptions,
};

/// A value whose destructor panics.
#[derive(Clone)]
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("PanicOnDrop dropped");
        }
    }
}

/// A waker that panics when woken.
struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("PanickingWaker woken");
    }
}

/// A future that is ready at once with `value`, and holds a `PanicOnDrop`
/// until it is dropped (after its poll: its destructor runs in the runtime).
struct Holding<T>(Option<T>, #[allow(dead_code)] PanicOnDrop);

impl<T> Unpin for Holding<T> {}

impl<T> Future for Holding<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        Poll::Ready(self.0.take().expect("polled once"))
    }
}

/// Polls `future` once with a waker that panics when woken.
fn poll_with_panicking_waker<F: Future + Unpin>(future: &mut F) {
    let waker = Waker::from(Arc::new(PanickingWaker));
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(future).poll(&mut cx).is_pending());
}

/// What the handlers saw.
#[derive(Default)]
struct Seen {
    unhandled: Mutex<Vec<(ErrorOrigin, Option<u64>, String)>>,
}

impl Seen {
    fn count(&self, origin: ErrorOrigin) -> usize {
        let v = self.unhandled.lock().unwrap();
        v.iter().filter(|(o, ..)| *o == origin).count()
    }

    /// Waits until a report of `origin` arrived; returns its text.
    fn wait_for(&self, origin: ErrorOrigin, what: &str) -> String {
        wait_until(&format!("{what}: a report of {origin:?}"), || {
            self.count(origin) > 0
        });
        let v = self.unhandled.lock().unwrap();
        v.iter().find(|(o, ..)| *o == origin).unwrap().2.clone()
    }

    fn clear(&self) {
        self.unhandled.lock().unwrap().clear();
    }
}

const WORKERS: usize = 2;

/// A pool that cannot add threads: a dead worker would show as a pool that
/// runs nothing.
fn capped_runtime() -> Runtime {
    Runtime::builder()
        .worker_threads(WORKERS)
        .max_threads(WORKERS)
        .build()
        .expect("runtime")
}

/// After each row: a fresh spawn completes on every worker, and the pool
/// still counts its threads.
fn assert_pool_healthy(rt: &Runtime, row: &str) {
    // Two tasks that each hold a worker until both run: both workers live.
    let both = Arc::new(std::sync::Barrier::new(WORKERS));
    let tasks: Vec<Task<u32>> = (0..WORKERS)
        .map(|_| {
            let both = both.clone();
            rt.run(move || {
                both.wait();
                7
            })
        })
        .collect();
    for t in tasks {
        assert!(
            t.wait_timeout(Duration::from_secs(20)),
            "{row}: a fresh spawn did not complete"
        );
        assert_eq!(t.result().unwrap(), 7, "{row}");
    }
    assert_eq!(rt.handle().worker_count(), WORKERS, "{row}: thread count");
}

/// A place, what its panic is reported as (`None`: someone owns the panic,
/// and nothing is reported unhandled), and the code that panics there.
type Row = (&'static str, Option<ErrorOrigin>, fn(&Runtime, &Seen));

#[test]
fn every_place_user_code_runs_contains_its_panic() {
    with_deadline("panic containment table", || {
        let seen = Arc::new(Seen::default());
        let sink = seen.clone();
        let previous = tasklane::diag::set_unhandled_error_handler(Some(Arc::new(
            move |e: &UnhandledError| {
                sink.unhandled
                    .lock()
                    .unwrap()
                    .push((e.origin, e.task_id, e.to_string()));
            },
        )));
        let rows: &[Row] = &[
            ("a task body", None, |rt, _| {
                let t = rt.run(|| -> u32 { panic!("body") });
                let err = t.wait().unwrap_err();
                assert!(err.to_string().contains("body"), "{err}");
            }),
            ("an async body", None, |rt, _| {
                let t = rt.run_async(async { panic!("async body") });
                assert!(t.wait().is_err());
            }),
            ("a continue_with body", None, |rt, _| {
                let t = rt
                    .run(|| 1)
                    .continue_with(|_| -> u32 { panic!("continuation") }, Default::default());
                assert!(t.wait().is_err());
            }),
            ("a LongRunning body", None, |rt, _| {
                let _enter = rt.handle().enter();
                let t = Task::start_new(
                    || -> u32 { panic!("long running") },
                    TaskCreationOptions::LONG_RUNNING,
                );
                assert!(t.wait().is_err());
            }),
            (
                "an output dropped on a worker (handle gone first)",
                Some(ErrorOrigin::OutputDrop),
                |rt, seen| {
                    for _ in 0..WORKERS {
                        let t = rt.run(|| {
                            std::thread::sleep(Duration::from_millis(20));
                            PanicOnDrop
                        });
                        drop(t);
                    }
                    wait_until("both outputs dropped", || {
                        seen.count(ErrorOrigin::OutputDrop) == WORKERS
                    });
                    let text = seen.wait_for(ErrorOrigin::OutputDrop, "output drop");
                    assert!(text.contains("panic_containment.rs"), "{text}");
                },
            ),
            (
                "a future dropped after it completed (its panic is the fault)",
                None,
                |rt, _| {
                    let t = rt.run_async(Holding(Some(3u32), PanicOnDrop));
                    let err = t.wait().unwrap_err();
                    assert!(err.to_string().contains("PanicOnDrop"), "{err}");
                },
            ),
            (
                "a future dropped when canceled before it ran",
                Some(ErrorOrigin::FutureDrop),
                |rt, seen| {
                    let _enter = rt.handle().enter();
                    let cts = CancellationTokenSource::new();
                    // A scheduler that runs nothing until asked: the task
                    // stays queued until the token takes it back.
                    let manual = tasklane::schedulers::DeterministicScheduler::new();
                    let t = tasklane::TaskFactory::new()
                        .scheduler(manual.scheduler())
                        .token(&cts.token())
                        .start_new_async(Holding(Some(1u32), PanicOnDrop));
                    cts.cancel().unwrap();
                    assert!(t.wait().is_err());
                    assert!(t.is_canceled());
                    assert_eq!(manual.queued_count(), 0);
                    seen.wait_for(ErrorOrigin::FutureDrop, "cancel drop");
                },
            ),
            (
                "a waker woken by a completing task on a worker",
                Some(ErrorOrigin::Waker),
                |rt, seen| {
                    let tcs = TaskCompletionSource::<u32>::new();
                    let mut task = tcs.task();
                    poll_with_panicking_waker(&mut task);
                    let done = rt.run(move || tcs.set_result(1).unwrap());
                    done.wait().unwrap();
                    seen.wait_for(ErrorOrigin::Waker, "continuation waker");
                    assert_eq!(task.result().unwrap(), 1);
                },
            ),
            (
                "a waker woken by the timer thread",
                Some(ErrorOrigin::Waker),
                |rt, seen| {
                    let mut delay = tasklane::time::delay(Duration::from_millis(100));
                    poll_with_panicking_waker(&mut delay);
                    seen.wait_for(ErrorOrigin::Waker, "timer waker");
                    // The timer thread goes on.
                    rt.run_async(tasklane::time::delay(Duration::from_millis(5)))
                        .wait()
                        .unwrap();
                },
            ),
            (
                "a waker woken by the I/O reactor",
                Some(ErrorOrigin::Waker),
                |rt, seen| {
                    let _enter = rt.handle().enter();
                    let (a, b) = rt.block_on(async {
                        let l = tasklane::net::TcpListener::bind("127.0.0.1:0").unwrap();
                        let addr = l.local_addr().unwrap();
                        let a = tasklane::net::TcpStream::connect(addr).await.unwrap();
                        let (b, _) = l.accept().await.unwrap();
                        (a, b)
                    });
                    let mut readable = Box::pin(a.readable());
                    let waker = Waker::from(Arc::new(PanickingWaker));
                    let mut cx = Context::from_waker(&waker);
                    assert!(readable.as_mut().poll(&mut cx).is_pending());
                    let mut b = b;
                    rt.block_on(b.write_all(b"x")).unwrap();
                    seen.wait_for(ErrorOrigin::Waker, "reactor waker");
                    drop(readable);
                },
            ),
            (
                "cancellation callbacks run by cancel_after",
                Some(ErrorOrigin::CancellationCallback),
                |rt, seen| {
                    let _enter = rt.handle().enter();
                    let cts = CancellationTokenSource::new();
                    let _reg = cts.token().register(|| panic!("callback"));
                    cts.cancel_after(Duration::from_millis(5));
                    let text = seen.wait_for(ErrorOrigin::CancellationCallback, "cancel_after");
                    assert!(text.contains("callback"), "{text}");
                    assert!(!text.contains("fire-and-forget"), "{text}");
                },
            ),
            (
                "a cancellation callback run by cancel() (the canceller gets it)",
                None,
                |rt, _| {
                    let cts = Arc::new(CancellationTokenSource::new());
                    let _reg = cts.token().register(|| panic!("callback"));
                    let c = cts.clone();
                    let r = rt.run(move || c.cancel()).result().unwrap();
                    assert!(r.unwrap_err().to_string().contains("callback"));
                },
            ),
            (
                "a closure posted to a dispatcher",
                Some(ErrorOrigin::PostedWork),
                |_, seen| {
                    let ui = Dispatcher::start("panics-ui").unwrap();
                    ui.post(|| panic!("posted")).unwrap();
                    seen.wait_for(ErrorOrigin::PostedWork, "post");
                    // Invoked: the invoker gets the panic; the loop goes on.
                    assert!(ui.invoke(|| -> u32 { panic!("invoked") }).is_err());
                    assert_eq!(ui.invoke(|| 5).unwrap(), 5);
                    assert!(ui.shutdown_timeout(DEADLINE));
                },
            ),
            (
                "the unobserved-fault handler",
                Some(ErrorOrigin::Handler),
                |rt, seen| {
                    let previous =
                        tasklane::diag::set_unobserved_fault_handler(Some(Arc::new(|_| {
                            panic!("unobserved handler")
                        })));
                    let t = rt.run(|| -> u32 { panic!("fault") });
                    while !t.is_completed() {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    drop(t);
                    seen.wait_for(ErrorOrigin::Handler, "unobserved handler");
                    tasklane::diag::set_unobserved_fault_handler(previous);
                },
            ),
            (
                "the starvation handler",
                Some(ErrorOrigin::Handler),
                |_, seen| {
                    let previous = tasklane::diag::set_starvation_handler(Some(Arc::new(|_| {
                        panic!("starvation handler")
                    })));
                    let rt = Runtime::builder().worker_threads(1).build().unwrap();
                    let stuck = rt.run(|| std::thread::sleep(Duration::from_millis(300)));
                    let queued: Vec<_> = (0..4).map(|_| rt.run(|| 1)).collect();
                    seen.wait_for(ErrorOrigin::Handler, "starvation handler");
                    stuck.wait().unwrap();
                    for q in queued {
                        q.wait().unwrap();
                    }
                    tasklane::diag::set_starvation_handler(previous);
                },
            ),
            (
                "an AsyncLocal value dropped with its task on a worker",
                Some(ErrorOrigin::FutureDrop),
                |rt, seen| {
                    static LOCAL: std::sync::LazyLock<AsyncLocal<PanicOnDrop>> =
                        std::sync::LazyLock::new(AsyncLocal::new);
                    let t = rt.run(|| {
                        LOCAL.set(Some(PanicOnDrop));
                        std::thread::sleep(Duration::from_millis(20));
                    });
                    drop(t);
                    seen.wait_for(ErrorOrigin::FutureDrop, "context value drop");
                },
            ),
            (
                "a pending future dropped at shutdown",
                Some(ErrorOrigin::FutureDrop),
                |_, seen| {
                    let rt = capped_runtime();
                    let holds = PanicOnDrop;
                    let t = rt.run_async(async move {
                        let _holds = holds;
                        std::future::pending::<()>().await;
                    });
                    drop(t);
                    assert!(rt.shutdown_timeout(DEADLINE), "every thread stopped");
                    seen.wait_for(ErrorOrigin::FutureDrop, "shutdown drop");
                },
            ),
        ];
        let rt = capped_runtime();
        let counter = AtomicUsize::new(0);
        for (row, origin, run) in rows {
            seen.clear();
            run(&rt, &seen);
            assert_pool_healthy(&rt, row);
            counter.fetch_add(1, Ordering::Relaxed);
            // Rows whose panic has an owner (the task, the canceller) report
            // nothing unhandled.
            let all = seen.unhandled.lock().unwrap();
            match origin {
                None => assert!(all.is_empty(), "{row}: unexpected reports {all:?}"),
                Some(o) => assert!(
                    all.iter().all(|(seen, ..)| seen == o),
                    "{row}: reports of another origin: {all:?}"
                ),
            }
        }
        assert_eq!(counter.load(Ordering::Relaxed), rows.len());
        assert!(rt.shutdown_timeout(DEADLINE));
        tasklane::diag::set_unhandled_error_handler(previous);
    });
}
