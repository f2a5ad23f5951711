//! Tokio-based code inside tasklane tasks (feature `tokio-compat`): Tokio's
//! context on every kind of tasklane thread, `tokio::spawn` that neither
//! starves nor deadlocks, blocking semantics across the bridge, shutdown
//! with Tokio work in flight, and the other way round — a tasklane `Task`
//! awaited inside a Tokio runtime.

mod common;

use common::{DEADLINE, with_deadline};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tasklane::context::Dispatcher;
use tasklane::pool::PoolSettings;
use tasklane::{Runtime, Task, TaskCompletionSource, TaskStatus};

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

/// A Tokio timer and a Tokio channel, as any Tokio-based crate uses them.
async fn tokio_work() -> u32 {
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move { tx.send(41u32).await.unwrap() });
    rx.recv().await.unwrap() + 1
}

#[test]
fn tokio_works_in_pool_tasks_dispatcher_tasks_and_block_on() {
    with_deadline("tokio everywhere", || {
        // A pool task.
        let t = Task::run_async(tokio_work());
        assert_eq!(t.result().unwrap(), 42);
        // `block_on` on a plain thread.
        assert_eq!(tasklane::block_on(tokio_work()), 42);
        // A task homed on a dispatcher thread.
        let ui = Dispatcher::start("tokio-ui").unwrap();
        let t = ui.spawn(async { (tokio_work().await, thread_name()) });
        assert_eq!(t.result().unwrap(), (42, "tokio-ui".to_owned()));
        ui.shutdown();
        // A LongRunning task on a thread of its own.
        let t = Task::start_new(
            || tasklane::block_on(tokio_work()),
            tasklane::TaskCreationOptions::LONG_RUNNING,
        );
        assert_eq!(t.result().unwrap(), 42);
    });
}

#[test]
fn a_continuation_resumed_inline_on_a_foreign_thread_still_has_tokio() {
    with_deadline("inline on a foreign thread", || {
        let tcs = TaskCompletionSource::<u32>::new();
        let gate = tcs.task();
        let t = Task::run_async(async move {
            let v = gate.await.unwrap();
            // Resumed inside `set_result`, on the thread below.
            let here = thread_name();
            tokio::time::sleep(Duration::from_millis(1)).await;
            (v, here)
        });
        std::thread::sleep(Duration::from_millis(20));
        std::thread::Builder::new()
            .name("completer".into())
            .spawn(move || tcs.set_result(1).unwrap())
            .unwrap()
            .join()
            .unwrap();
        let (v, resumed_on) = t.result().unwrap();
        assert_eq!(v, 1);
        assert_eq!(resumed_on, "completer");
    });
}

#[test]
fn tokio_sockets_select_and_timeout_work_inside_tasks() {
    with_deadline("tokio net", || {
        let t = Task::run_async(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = Task::run_async(async move {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 5];
                s.read_exact(&mut buf).await.unwrap();
                s.write_all(&buf).await.unwrap();
            });
            let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
            c.write_all(b"hello").await.unwrap();
            let mut back = [0u8; 5];
            c.read_exact(&mut back).await.unwrap();
            server.await.unwrap();

            // select!: the channel wins over a long sleep.
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            Task::run(move || tx.send(7u8).unwrap()).forget();
            let picked = tokio::select! {
                v = rx.recv() => v.unwrap(),
                _ = tokio::time::sleep(Duration::from_secs(3600)) => 0,
            };
            // timeout: an hour-long sleep is cut at 10 ms.
            let cut = tokio::time::timeout(
                Duration::from_millis(10),
                tokio::time::sleep(Duration::from_secs(3600)),
            )
            .await
            .is_err();
            (back, picked, cut)
        });
        assert_eq!(t.result().unwrap(), (*b"hello", 7, true));
    });
}

#[test]
fn tokio_spawn_runs_on_the_bridge_thread_and_never_waits_for_the_pool() {
    with_deadline("tokio::spawn", || {
        // One worker, and it blocks: tokio::spawn'd work still runs,
        // because it runs on the bridge thread, not on the pool.
        let rt = Runtime::builder()
            .pool_settings(PoolSettings {
                workers: 1,
                max_threads: 1,
                ..PoolSettings::default()
            })
            .thread_name("one")
            .build()
            .unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        let seen = done.clone();
        let t = rt.run(move || {
            let (tx, rx) = std::sync::mpsc::channel();
            for _ in 0..1000 {
                let done = seen.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    tokio::task::yield_now().await;
                    done.fetch_add(1, Ordering::SeqCst);
                    let _ = tx.send(thread_name());
                });
            }
            drop(tx);
            // The pool's only thread blocks until all of them ran.
            let names: Vec<String> = rx.iter().collect();
            names
        });
        let names = t.result().unwrap();
        assert_eq!(names.len(), 1000);
        assert_eq!(done.load(Ordering::SeqCst), 1000);
        assert!(names.iter().all(|n| n == "one-tokio"), "{:?}", &names[..3]);
    });
}

#[test]
fn waiting_on_a_task_that_awaits_tokio_gets_a_thread_on_a_one_worker_pool() {
    with_deadline("wait across the bridge", || {
        let rt = Runtime::builder()
            .pool_settings(PoolSettings {
                workers: 1,
                ..PoolSettings::default()
            })
            .build()
            .unwrap();
        let outer = rt.run(|| {
            // wait() on the only worker, for a task that needs a worker
            // once Tokio's timer fires: the pool adds a thread for it.
            let inner = Task::run_async(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                5
            });
            inner.result().unwrap()
        });
        assert_eq!(outer.result().unwrap(), 5);
    });
}

#[test]
fn an_unannounced_block_does_not_hold_up_a_task_waiting_on_tokio() {
    with_deadline("blocking beside tokio", || {
        let rt = Runtime::builder()
            .pool_settings(PoolSettings {
                workers: 1,
                ..PoolSettings::default()
            })
            .build()
            .unwrap();
        let sleeper = rt.run(|| std::thread::sleep(Duration::from_secs(3)));
        let start = Instant::now();
        let waiter = rt.run_async(async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Instant::now()
        });
        let finished = waiter.result().unwrap();
        // It finished long before the unannounced sleep ended: the
        // supervisor added a thread for it.
        assert!(
            finished.duration_since(start) < Duration::from_secs(3),
            "waited for the blocked worker"
        );
        sleeper.wait().unwrap();
    });
}

#[test]
fn shutdown_drops_tokio_work_in_flight_and_joins_the_bridge_thread() {
    with_deadline("shutdown", || {
        let runtimes = tasklane::diag::live_runtimes();
        for _ in 0..20 {
            let rt = Runtime::builder().worker_threads(2).build().unwrap();
            let tokio = rt.handle().tokio_handle();
            for _ in 0..10 {
                // Work that would run for an hour, on Tokio and on tasklane.
                tokio.spawn(async { tokio::time::sleep(Duration::from_secs(3600)).await });
                rt.run_async(async { tokio::time::sleep(Duration::from_secs(3600)).await })
                    .forget();
            }
            let start = Instant::now();
            assert!(rt.shutdown_timeout(DEADLINE));
            assert!(start.elapsed() < DEADLINE);
        }
        assert!(
            common::eventually(|| tasklane::diag::live_runtimes() == runtimes),
            "runtimes still allocated"
        );
    });
}

#[test]
fn a_task_awaited_inside_a_tokio_runtime_keeps_its_semantics() {
    with_deadline("tasklane inside tokio", || {
        let tokio_rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        tokio_rt.block_on(async {
            // A value, through a continuation.
            let t = Task::run(|| 20);
            let c = t.continue_with(|a| a.result().unwrap() + 1, Default::default());
            assert_eq!(c.await.unwrap(), 21);
            // A fault: the original error, and the Faulted status.
            let f = Task::<u8>::try_run(|| Err(std::io::Error::other("nope")));
            let err = (&f).await.unwrap_err();
            assert_eq!(err.to_string(), "nope");
            assert_eq!(f.status(), TaskStatus::Faulted);
            // A cancellation.
            let cts = tasklane::CancellationTokenSource::new();
            let d = Task::delay_with_token(Duration::from_secs(3600), &cts.token());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                cts.cancel().unwrap();
            });
            assert!((&d).await.unwrap_err().is_canceled());
            assert_eq!(d.status(), TaskStatus::Canceled);
            // A promise completed from a Tokio task.
            let tcs = TaskCompletionSource::<&'static str>::new();
            let p = tcs.task();
            tokio::spawn(async move { tcs.set_result("from tokio").unwrap() });
            assert_eq!(p.await.unwrap(), "from tokio");
        });
    });
}
