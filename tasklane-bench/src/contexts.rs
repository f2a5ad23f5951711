//! The `contexts` suite: a tasklane `Dispatcher` (a single-thread message
//! loop) against a tokio current-thread runtime driven on its own thread —
//! tokio's closest equivalent of a UI loop.
//!
//! `cargo run --release -p tasklane-bench -- contexts`

use crate::harness::{Opts, Row, compare};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use tasklane::Task;
use tasklane::context::Dispatcher;

const POSTS: usize = 10_000;
const SPAWNS: usize = 10_000;
const YIELDS: usize = 10_000;
const ROUND_TRIPS: usize = 1_000;

/// A tokio current-thread runtime running on a thread of its own until
/// dropped.
struct TokioLoop {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TokioLoop {
    fn start() -> TokioLoop {
        let (tx, rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio current-thread runtime");
            tx.send(rt.handle().clone()).expect("send handle");
            rt.block_on(async move {
                let _ = stop_rx.await;
            });
        });
        TokioLoop {
            handle: rx.recv().expect("handle"),
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for TokioLoop {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn row(name: &str, (tasklane, peer): (f64, f64), peer_name: &str) -> Row {
    Row {
        name: name.to_owned(),
        tasklane,
        peer,
        peer_name: peer_name.to_owned(),
        unit: "µs",
    }
}

/// Every workload of the suite.
pub fn run(opts: &Opts) -> Vec<Row> {
    let ui = Dispatcher::start("bench-ui").expect("dispatcher");
    let tk = TokioLoop::start();
    let pool = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.workers.first().copied().unwrap_or(2))
        .build()
        .expect("tokio pool");
    let mut rows = Vec::new();

    if opts.wants("post_10k") {
        // From a plain thread, post closures; the last one signals.
        let r = compare(
            opts,
            || {
                let left = Arc::new(AtomicUsize::new(POSTS));
                let (tx, rx) = mpsc::sync_channel(1);
                for _ in 0..POSTS {
                    let (left, tx) = (left.clone(), tx.clone());
                    ui.post(move || {
                        if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                            tx.send(()).unwrap();
                        }
                    })
                    .unwrap();
                }
                rx.recv().unwrap();
            },
            || {
                let left = Arc::new(AtomicUsize::new(POSTS));
                let (tx, rx) = mpsc::sync_channel(1);
                for _ in 0..POSTS {
                    let (left, tx) = (left.clone(), tx.clone());
                    tk.handle.spawn(async move {
                        if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                            tx.send(()).unwrap();
                        }
                    });
                }
                rx.recv().unwrap();
            },
        );
        rows.push(row(
            "post_10k (remote post → loop)",
            r,
            "tokio current_thread",
        ));
    }

    if opts.wants("spawn_await_10k") {
        // On the loop: spawn a task homed there and await it, 10,000 times.
        let r = compare(
            opts,
            || {
                let d = ui.clone();
                let t = ui.spawn(async move {
                    let mut sum = 0usize;
                    for i in 0..SPAWNS {
                        sum += d.spawn(async move { i }).await.unwrap();
                    }
                    sum
                });
                assert!(t.result().unwrap() > 0);
            },
            || {
                let (tx, rx) = mpsc::sync_channel(1);
                tk.handle.spawn(async move {
                    let mut sum = 0usize;
                    for i in 0..SPAWNS {
                        sum += tokio::spawn(async move { i }).await.unwrap();
                    }
                    tx.send(sum).unwrap();
                });
                assert!(rx.recv().unwrap() > 0);
            },
        );
        rows.push(row(
            "spawn_await_10k (on the loop)",
            r,
            "tokio current_thread",
        ));
    }

    if opts.wants("yield_10k") {
        let r = compare(
            opts,
            || {
                ui.spawn(async {
                    for _ in 0..YIELDS {
                        tasklane::yield_now().await;
                    }
                })
                .wait()
                .unwrap();
            },
            || {
                let (tx, rx) = mpsc::sync_channel(1);
                tk.handle.spawn(async move {
                    for _ in 0..YIELDS {
                        tokio::task::yield_now().await;
                    }
                    tx.send(()).unwrap();
                });
                rx.recv().unwrap();
            },
        );
        rows.push(row("yield_10k (on the loop)", r, "tokio current_thread"));
    }

    if opts.wants("pool_round_trip_1k") {
        // A task on the loop awaits work on the pool, 1,000 times: each
        // await is a cross-thread wake back onto the loop.
        let pool_handle = pool.handle().clone();
        let r = compare(
            opts,
            || {
                let t = ui.spawn(async {
                    let mut sum = 0usize;
                    for i in 0..ROUND_TRIPS {
                        sum += Task::run(move || i).await.unwrap();
                    }
                    sum
                });
                assert!(t.result().unwrap() > 0);
            },
            || {
                let (tx, rx) = mpsc::sync_channel(1);
                let p = pool_handle.clone();
                tk.handle.spawn(async move {
                    let mut sum = 0usize;
                    for i in 0..ROUND_TRIPS {
                        sum += p.spawn(async move { i }).await.unwrap();
                    }
                    tx.send(sum).unwrap();
                });
                assert!(rx.recv().unwrap() > 0);
            },
        );
        rows.push(row(
            "pool_round_trip_1k (loop ↔ pool)",
            r,
            "tokio current_thread + multi_thread",
        ));
    }

    ui.shutdown();
    rows
}
