//! The "sync" suite (docs/BENCHMARKS.md, workload 5b): tasklane's channels,
//! semaphore, async mutex and event against the best crate for each job, in
//! the same run, iterations interleaved by [`harness::compare_timed`].
//!
//! tasklane's primitive always runs on tasklane's runtime; each peer runs on
//! tasklane's runtime *and* on Tokio's (a row each), so a ratio never
//! credits the primitive with the runtime's win.
//!
//! | row | work |
//! |---|---|
//! | bounded mpsc 4→1 | 4 producer tasks send 1,000,000 numbers in all through one channel of capacity 1024; the root task receives them all |
//! | unbounded mpsc 4→1 | the same, unbounded |
//! | ping-pong | 10,000 round trips over two capacity-1 channels between the root and an echo task |
//! | semaphore | 64 tasks × 50 rounds of: take one of 4 permits, ~10 µs of work (with a yield while holding it in the `+yield` row), release |
//! | mutex | 64 tasks × 10,000 increments of one counter under the async mutex |
//! | event | 1,000 tasks parked on one event, released by one set: the time from the set to the last one done |
//!
//! Peers: `flume`, `async-channel`, `tokio::sync::mpsc` (channels);
//! `tokio::sync::Semaphore`, `async_lock::Semaphore`; `async_lock::Mutex`,
//! `tokio::sync::Mutex`; `event-listener`, `tokio::sync::Notify`.

use crate::harness::{self, Opts, Pair, Row};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

mod peers;

use peers::{Event, Mpsc, Mutex, Semaphore};

/// Messages through the MPSC rows.
const MESSAGES: u64 = 1_000_000;
/// Producers of the MPSC rows.
const PRODUCERS: u64 = 4;
/// Capacity of the bounded MPSC row.
const CAPACITY: usize = 1024;
/// Round trips of the ping-pong row.
const PING_PONGS: u64 = 10_000;
/// Tasks of the semaphore row.
const SEM_TASKS: usize = 64;
/// Permits of the semaphore row.
const SEM_PERMITS: usize = 4;
/// Permits taken by each task of the semaphore row.
const SEM_ROUNDS: usize = 50;
/// Work done while holding a permit.
const SEM_WORK: Duration = Duration::from_micros(10);
/// Tasks of the mutex row.
const MUTEX_TASKS: usize = 64;
/// Increments by each task of the mutex row.
const MUTEX_INCREMENTS: usize = 10_000;
/// Waiters of the event row.
const EVENT_WAITERS: usize = 1_000;

type BoxFut = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The runtime a workload's tasks run on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rt {
    Tasklane,
    Tokio,
}

impl Rt {
    fn name(self) -> &'static str {
        match self {
            Rt::Tasklane => "tasklane",
            Rt::Tokio => "tokio",
        }
    }

    /// Spawns `f` on the runtime of the task calling it; the future joins it.
    fn spawn(self, f: impl Future<Output = ()> + Send + 'static) -> BoxFut {
        match self {
            Rt::Tasklane => {
                let t = tasklane::Task::run_async(f);
                Box::pin(async move { t.await.expect("a bench task") })
            }
            Rt::Tokio => {
                let h = tokio::spawn(f);
                Box::pin(async move { h.await.expect("a bench task") })
            }
        }
    }
}

impl Pair {
    /// Runs `root` as a task of `rt`, returning the time it reports.
    fn run<F>(&self, rt: Rt, root: impl FnOnce(Rt) -> F) -> Duration
    where
        F: Future<Output = Duration> + Send + 'static,
    {
        let f = root(rt);
        match rt {
            Rt::Tasklane => self
                .tasklane
                .handle()
                .run_async(f)
                .into_result()
                .expect("the root task"),
            Rt::Tokio => self
                .tokio
                .block_on(async { tokio::spawn(f).await.expect("the root task") }),
        }
    }
}

/// Yields once to the scheduler, the same way on either runtime.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn yield_now() -> YieldNow {
    YieldNow(false)
}

/// Busy for `d`, as work holding a permit.
fn work(d: Duration) {
    let s = Instant::now();
    while s.elapsed() < d {
        std::hint::spin_loop();
    }
}

async fn mpsc<C: Mpsc>(rt: Rt, bounded: bool) -> Duration {
    let start = Instant::now();
    let (tx, mut rx) = if bounded {
        C::bounded(CAPACITY)
    } else {
        C::unbounded()
    };
    let per = MESSAGES / PRODUCERS;
    let producers: Vec<BoxFut> = (0..PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            rt.spawn(async move {
                for i in 0..per {
                    C::send(&tx, p * per + i).await;
                }
            })
        })
        .collect();
    drop(tx);
    let mut n = 0u64;
    while C::recv(&mut rx).await.is_some() {
        n += 1;
    }
    assert_eq!(n, MESSAGES, "every message arrived");
    for p in producers {
        p.await;
    }
    start.elapsed()
}

async fn ping_pong<C: Mpsc>(rt: Rt) -> Duration {
    let start = Instant::now();
    let (ping, mut pinged) = C::bounded(1);
    let (pong, mut ponged) = C::bounded(1);
    let echo = rt.spawn(async move {
        while let Some(v) = C::recv(&mut pinged).await {
            C::send(&pong, v).await;
        }
    });
    for i in 0..PING_PONGS {
        C::send(&ping, i).await;
        assert_eq!(C::recv(&mut ponged).await, Some(i));
    }
    drop(ping);
    echo.await;
    start.elapsed()
}

async fn semaphore<S: Semaphore>(rt: Rt, yield_inside: bool) -> Duration {
    let start = Instant::now();
    let sem = Arc::new(S::new(SEM_PERMITS));
    let tasks: Vec<BoxFut> = (0..SEM_TASKS)
        .map(|_| {
            let sem = sem.clone();
            rt.spawn(async move {
                for _ in 0..SEM_ROUNDS {
                    sem.hold(yield_inside).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await;
    }
    start.elapsed()
}

async fn mutex<M: Mutex>(rt: Rt) -> Duration {
    let start = Instant::now();
    let m = Arc::new(M::new());
    let tasks: Vec<BoxFut> = (0..MUTEX_TASKS)
        .map(|_| {
            let m = m.clone();
            rt.spawn(async move {
                for _ in 0..MUTEX_INCREMENTS {
                    m.increment().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await;
    }
    assert_eq!(m.value().await, (MUTEX_TASKS * MUTEX_INCREMENTS) as u64);
    start.elapsed()
}

/// The time from the set to the last waiter done.
async fn event<E: Event>(rt: Rt) -> Duration {
    let e = Arc::new(E::new());
    let parked = Arc::new(AtomicUsize::new(0));
    let waiters: Vec<BoxFut> = (0..EVENT_WAITERS)
        .map(|_| {
            let (e, parked) = (e.clone(), parked.clone());
            rt.spawn(async move { e.wait(&parked).await })
        })
        .collect();
    while parked.load(Ordering::Acquire) < EVENT_WAITERS {
        yield_now().await;
    }
    let start = Instant::now();
    e.set();
    for w in waiters {
        w.await;
    }
    start.elapsed()
}

fn row(name: String, peer: &str, on: Rt, (tasklane, peer_cost): (f64, f64)) -> Row {
    Row {
        name,
        tasklane,
        peer: peer_cost,
        peer_name: format!("{peer}@{}", on.name()),
        unit: "µs",
    }
}

/// One row per peer runtime: tasklane's primitive on tasklane's runtime
/// against the peer's on `on`.
fn versus<F, G>(
    opts: &Opts,
    pair: &Pair,
    rows: &mut Vec<Row>,
    name: &str,
    peer: &str,
    ours: impl Fn(Rt) -> F + Copy,
    theirs: impl Fn(Rt) -> G + Copy,
) where
    F: Future<Output = Duration> + Send + 'static,
    G: Future<Output = Duration> + Send + 'static,
{
    for on in [Rt::Tasklane, Rt::Tokio] {
        let full = format!("{name} vs {peer}@{}", on.name());
        if !opts.wants(&full) {
            continue;
        }
        let r = harness::compare_timed(
            opts,
            || pair.run(Rt::Tasklane, ours),
            || pair.run(on, theirs),
        );
        rows.push(row(full, peer, on, r));
    }
}

pub fn run(opts: &Opts) -> Vec<Row> {
    use peers::{AsyncChannel, EventListener, Flume, Ours, Tokio};
    use tasklane::sync::{AsyncManualResetEvent, AsyncMutex, SemaphoreSlim};
    let mut rows = Vec::new();
    for &w in &opts.workers {
        let pair = Pair::new(w);
        let pair = &pair;
        for bounded in [true, false] {
            let name = format!(
                "{} mpsc 4→1 ({w}w)",
                if bounded { "bounded" } else { "unbounded" }
            );
            let ours = move |rt| mpsc::<Ours>(rt, bounded);
            versus(opts, pair, &mut rows, &name, "flume", ours, move |rt| {
                mpsc::<Flume>(rt, bounded)
            });
            versus(
                opts,
                pair,
                &mut rows,
                &name,
                "async-channel",
                ours,
                move |rt| mpsc::<AsyncChannel>(rt, bounded),
            );
            versus(
                opts,
                pair,
                &mut rows,
                &name,
                "tokio mpsc",
                ours,
                move |rt| mpsc::<Tokio>(rt, bounded),
            );
        }
        let name = format!("ping-pong ({w}w)");
        let ours = ping_pong::<Ours>;
        versus(
            opts,
            pair,
            &mut rows,
            &name,
            "flume",
            ours,
            ping_pong::<Flume>,
        );
        versus(
            opts,
            pair,
            &mut rows,
            &name,
            "async-channel",
            ours,
            ping_pong::<AsyncChannel>,
        );
        versus(
            opts,
            pair,
            &mut rows,
            &name,
            "tokio mpsc",
            ours,
            ping_pong::<Tokio>,
        );
        for y in [false, true] {
            let name = format!(
                "semaphore(4) 64 tasks{} ({w}w)",
                if y { " +yield" } else { "" }
            );
            let ours = move |rt| semaphore::<SemaphoreSlim>(rt, y);
            versus(
                opts,
                pair,
                &mut rows,
                &name,
                "tokio Semaphore",
                ours,
                move |rt| semaphore::<tokio::sync::Semaphore>(rt, y),
            );
            versus(
                opts,
                pair,
                &mut rows,
                &name,
                "async-lock Semaphore",
                ours,
                move |rt| semaphore::<async_lock::Semaphore>(rt, y),
            );
        }
        let name = format!("mutex 64×10k ({w}w)");
        let ours = mutex::<AsyncMutex<u64>>;
        versus(
            opts,
            pair,
            &mut rows,
            &name,
            "async-lock Mutex",
            ours,
            mutex::<async_lock::Mutex<u64>>,
        );
        versus(
            opts,
            pair,
            &mut rows,
            &name,
            "tokio Mutex",
            ours,
            mutex::<tokio::sync::Mutex<u64>>,
        );
        let name = format!("event 1000 waiters ({w}w)");
        let ours = event::<AsyncManualResetEvent>;
        versus(
            opts,
            pair,
            &mut rows,
            &name,
            "event-listener",
            ours,
            event::<EventListener>,
        );
        versus(
            opts,
            pair,
            &mut rows,
            &name,
            "tokio Notify",
            ours,
            event::<tokio::sync::Notify>,
        );
    }
    rows
}
