//! The "time" suite (docs/BENCHMARKS.md, workload 3): timers, cancellation and promises,
//! tasklane against tokio (tokio-util for cancellation) in the same process
//! run, iterations interleaved by [`harness::compare`].
//!
//! | row | tasklane | peer |
//! |---|---|---|
//! | delays | 100,000 tasks each awaiting `time::delay(d)`, `d` random in 1–100 ms | `tokio::spawn` + `tokio::time::sleep(d)` |
//! | armed then cancelled | 100,000 `time::delay`s (1–100 ms, plus 1 s so none is due) polled once, then dropped | 100,000 `tokio::time::sleep`s, polled once (pinned in place), dropped |
//! | timeout on a ready future | 100,000 `time::timeout(1 s, ready)` polled once | `tokio::time::timeout` |
//! | registrations then cancel | 10,000 `token.register(..)`, `cancel()`, every callback runs | tokio-util `CancellationToken`: 10,000 `cancelled()` futures polled once, `cancel()`, every waker runs |
//! | promise round trip | 10,000 × (`TaskCompletionSource` set by a pool task, awaited) | `tokio::sync::oneshot` sent by a spawned task, awaited |
//! | when_all | `Task::when_all` over 10,000 `Task::run`s | `JoinSet` of 10,000 spawns, joined |

use crate::harness::{self, Opts, Pair, Row};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tasklane::{CancellationTokenSource, Task, TaskCompletionSource};

/// Delays of the timer rows.
const NUM_DELAYS: usize = 100_000;
/// Timeouts of the ready-future row.
const NUM_TIMEOUTS: usize = 100_000;
/// Registrations (waiters) of the cancellation row.
const NUM_REGISTRATIONS: usize = 10_000;
/// Round trips of the promise row.
const NUM_ROUND_TRIPS: usize = 10_000;
/// Tasks of the when_all row.
const NUM_WHEN_ALL: usize = 10_000;

/// The same pseudo-random delays for both runtimes: 1–100 ms.
fn random_delays(n: usize) -> Arc<Vec<Duration>> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    Arc::new(
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                Duration::from_micros(1_000 + state % 99_001)
            })
            .collect(),
    )
}

fn row(name: String, peer_name: &str, (tasklane, peer): (f64, f64)) -> Row {
    Row {
        name,
        tasklane,
        peer,
        peer_name: peer_name.to_owned(),
        unit: "µs",
    }
}

/// Counts wakes (tokio-util's waiters are wakers).
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs the suite.
pub fn run(opts: &Opts) -> Vec<Row> {
    let mut rows = Vec::new();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let delays = random_delays(NUM_DELAYS);

    for &workers in &opts.workers {
        let pair = Pair::new(workers);
        let name = format!("delays 100k random 1-100ms ({workers}w)");
        if opts.wants(&name) {
            let (d1, d2) = (delays.clone(), delays.clone());
            rows.push(row(
                name,
                "tokio",
                harness::compare(
                    opts,
                    || {
                        let d = d1.clone();
                        pair.tasklane.block_on(async move {
                            let tasks: Vec<Task<()>> = (0..d.len())
                                .map(|i| {
                                    let d = d.clone();
                                    Task::run_async(
                                        async move { tasklane::time::delay(d[i]).await },
                                    )
                                })
                                .collect();
                            for t in tasks {
                                t.await.unwrap();
                            }
                        })
                    },
                    || {
                        let d = d2.clone();
                        pair.tokio.block_on(async move {
                            let handles: Vec<_> = (0..d.len())
                                .map(|i| {
                                    let d = d.clone();
                                    tokio::spawn(async move { tokio::time::sleep(d[i]).await })
                                })
                                .collect();
                            for h in handles {
                                h.await.unwrap();
                            }
                        })
                    },
                ),
            ));
        }

        let name = format!("promise round trip x10k ({workers}w)");
        if opts.wants(&name) {
            rows.push(row(
                name,
                "tokio oneshot",
                harness::compare(
                    opts,
                    || {
                        pair.tasklane.block_on(async {
                            for i in 0..NUM_ROUND_TRIPS {
                                let tcs = TaskCompletionSource::new();
                                let promise = tcs.task();
                                drop(Task::run(move || tcs.set_result(i).unwrap()));
                                assert_eq!(promise.await.unwrap(), i);
                            }
                        })
                    },
                    || {
                        pair.tokio.block_on(async {
                            for i in 0..NUM_ROUND_TRIPS {
                                let (tx, rx) = tokio::sync::oneshot::channel();
                                tokio::spawn(async move { tx.send(i).unwrap() });
                                assert_eq!(rx.await.unwrap(), i);
                            }
                        })
                    },
                ),
            ));
        }

        let name = format!("when_all 10k tasks ({workers}w)");
        if opts.wants(&name) {
            rows.push(row(
                name,
                "tokio JoinSet",
                harness::compare(
                    opts,
                    || {
                        pair.tasklane.block_on(async {
                            let all =
                                Task::when_all((0..NUM_WHEN_ALL).map(|i| Task::run(move || i)));
                            assert_eq!(all.await.unwrap().len(), NUM_WHEN_ALL);
                        })
                    },
                    || {
                        pair.tokio.block_on(async {
                            let mut set = tokio::task::JoinSet::new();
                            for i in 0..NUM_WHEN_ALL {
                                set.spawn(async move { i });
                            }
                            let mut n = 0;
                            while let Some(r) = set.join_next().await {
                                r.unwrap();
                                n += 1;
                            }
                            assert_eq!(n, NUM_WHEN_ALL);
                        })
                    },
                ),
            ));
        }
    }

    // One-thread rows: the cost of the timer and token structures themselves.
    let pair = Pair::new(cores);
    let noop = Waker::noop();

    let name = "delays 100k armed then cancelled".to_owned();
    if opts.wants(&name) {
        // Pushed one second out so none is due before it is polled.
        let later: Vec<Duration> = delays.iter().map(|d| *d + Duration::from_secs(1)).collect();
        let (d1, d2) = (later.clone(), later);
        rows.push(row(
            name,
            "tokio",
            harness::compare(
                opts,
                || {
                    pair.tasklane.block_on(async {
                        let mut cx = Context::from_waker(noop);
                        let mut armed: Vec<tasklane::time::Delay> =
                            d1.iter().map(|&d| tasklane::time::delay(d)).collect();
                        for delay in &mut armed {
                            assert!(Pin::new(delay).poll(&mut cx).is_pending());
                        }
                        drop(armed);
                    })
                },
                || {
                    pair.tokio.block_on(async {
                        let mut cx = Context::from_waker(noop);
                        let mut armed: Vec<tokio::time::Sleep> = Vec::with_capacity(d2.len());
                        armed.extend(d2.iter().map(|&d| tokio::time::sleep(d)));
                        for sleep in &mut armed {
                            // SAFETY: the vector is full before any element is
                            // pinned and is never grown or moved afterwards; the
                            // sleeps are dropped in place with it.
                            let sleep = unsafe { Pin::new_unchecked(sleep) };
                            assert!(sleep.poll(&mut cx).is_pending());
                        }
                        drop(armed);
                    })
                },
            ),
        ));
    }

    let name = "timeout on a ready future x100k".to_owned();
    if opts.wants(&name) {
        rows.push(row(
            name,
            "tokio",
            harness::compare(
                opts,
                || {
                    pair.tasklane.block_on(async {
                        let mut cx = Context::from_waker(noop);
                        for i in 0..NUM_TIMEOUTS {
                            let t = std::pin::pin!(tasklane::time::timeout(
                                Duration::from_secs(1),
                                std::future::ready(i)
                            ));
                            assert_eq!(t.poll(&mut cx), Poll::Ready(Ok(i)));
                        }
                    })
                },
                || {
                    pair.tokio.block_on(async {
                        let mut cx = Context::from_waker(noop);
                        for i in 0..NUM_TIMEOUTS {
                            let t = std::pin::pin!(tokio::time::timeout(
                                Duration::from_secs(1),
                                std::future::ready(i)
                            ));
                            assert!(matches!(t.poll(&mut cx), Poll::Ready(Ok(v)) if v == i));
                        }
                    })
                },
            ),
        ));
    }

    let name = "10k registrations then cancel".to_owned();
    if opts.wants(&name) {
        let ran = Arc::new(AtomicUsize::new(0));
        let woken = Arc::new(CountingWaker(AtomicUsize::new(0)));
        rows.push(row(
            name,
            "tokio-util",
            harness::compare(
                opts,
                || {
                    ran.store(0, Ordering::Relaxed);
                    let cts = CancellationTokenSource::new();
                    let token = cts.token();
                    let registrations: Vec<_> = (0..NUM_REGISTRATIONS)
                        .map(|_| {
                            let ran = ran.clone();
                            token.register(move || {
                                ran.fetch_add(1, Ordering::Relaxed);
                            })
                        })
                        .collect();
                    cts.cancel().unwrap();
                    drop(registrations);
                    assert_eq!(ran.load(Ordering::Relaxed), NUM_REGISTRATIONS);
                },
                || {
                    woken.0.store(0, Ordering::Relaxed);
                    let waker = Waker::from(woken.clone());
                    let mut cx = Context::from_waker(&waker);
                    let token = tokio_util::sync::CancellationToken::new();
                    let mut waiters = Vec::with_capacity(NUM_REGISTRATIONS);
                    waiters.extend((0..NUM_REGISTRATIONS).map(|_| token.cancelled()));
                    for w in &mut waiters {
                        // SAFETY: as above: full before pinning, never moved.
                        let w = unsafe { Pin::new_unchecked(w) };
                        assert!(w.poll(&mut cx).is_pending());
                    }
                    token.cancel();
                    drop(waiters);
                    assert_eq!(woken.0.load(Ordering::Relaxed), NUM_REGISTRATIONS);
                },
            ),
        ));
    }
    rows
}
