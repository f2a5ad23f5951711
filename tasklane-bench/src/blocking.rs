//! The blocking suite (docs/BENCHMARKS.md, workload 2): with workers = cores, 64 tasks
//! each block their thread for 50 ms the way legacy code does — half wait
//! on another operation (`task.wait()`; a blocking channel receive on
//! tokio), half `std::thread::sleep` — while 10,000 short tasks are spawned
//! from outside over one second and timed from spawn to first poll.
//!
//! tasklane runs the code annotated the way it is written for it (`wait()`
//! is cooperative by itself; the sleep is inside `tasklane::blocking`), and
//! with the sleep left bare in every blocker (unannotated: only the
//! supervisor can notice). The peers are tokio with the same code (the
//! blocking left in the task), with `block_in_place`, and written
//! "correctly" with `spawn_blocking`.
//!
//! Every iteration builds fresh runtimes, so threads added in one
//! iteration never serve the next. Rows: short-task p99 (and p50) latency,
//! and the wall time to run the 10,000 short tasks (the throughput row),
//! tasklane ÷ peer. `timeline.rs` writes the thread count and throughput
//! over time as CSV for `docs/plot_blocking.py`.

mod timeline;

use crate::harness::{Opts, Row};
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tasklane::TaskCompletionSource;

/// Tasks that block their thread.
pub(crate) const BLOCKERS: usize = 64;
/// How long each blocks.
pub(crate) const BLOCK: Duration = Duration::from_millis(50);
/// Short tasks, spawned over [`SPAN`] in batches of [`BATCH`] per ms.
pub(crate) const SHORT: usize = 10_000;
const BATCH: usize = 10;
pub(crate) const SPAN: Duration = Duration::from_millis((SHORT / BATCH) as u64);
/// A run that takes longer than this is a hang, not a result.
const DEADLINE: Duration = Duration::from_secs(120);

/// One way of running the workload.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// tasklane: `wait()` and `blocking(|| sleep)`.
    Annotated,
    /// tasklane: a bare `std::thread::sleep` in every blocker.
    Unannotated,
    /// tokio, the blocking left in the task: a blocking receive, a sleep.
    TokioSameCode,
    /// tokio, the sleep bare in every blocker (the unannotated twin).
    TokioSameCodeSleep,
    /// tokio, each blocking call inside `block_in_place`.
    TokioBlockInPlace,
    /// tokio, each blocking call on `spawn_blocking`, awaited.
    TokioSpawnBlocking,
}

impl Variant {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Variant::Annotated => "tasklane (wait + blocking)",
            Variant::Unannotated => "tasklane (bare sleep)",
            Variant::TokioSameCode => "tokio (same code)",
            Variant::TokioSameCodeSleep => "tokio (bare sleep)",
            Variant::TokioBlockInPlace => "tokio (block_in_place)",
            Variant::TokioSpawnBlocking => "tokio (spawn_blocking)",
        }
    }
}

/// What one run measured.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// Short-task latencies, spawn to first poll, sorted (µs).
    pub(crate) latencies_us: Vec<f64>,
    /// From the first short spawn to the last short task's first poll.
    pub(crate) wall: Duration,
    /// When each short task was first polled, from the start (µs).
    pub(crate) polled_at_us: Vec<f64>,
}

impl Run {
    pub(crate) fn percentile(&self, p: f64) -> f64 {
        let v = &self.latencies_us;
        v[((v.len() - 1) as f64 * p).round() as usize]
    }
}

/// A closure to run at a deadline.
type Armed = (Instant, Box<dyn FnOnce() + Send>);

/// Fires closures at deadlines from a thread of its own: the "other
/// operation" the waiting blockers wait on (it needs no runtime, so a peer
/// with every worker blocked cannot deadlock on it).
pub(crate) struct Timer {
    tx: Option<mpsc::Sender<Armed>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Timer {
    pub(crate) fn new() -> Timer {
        let (tx, rx) = mpsc::channel::<Armed>();
        let thread = std::thread::spawn(move || {
            // Every deadline is "now + BLOCK": they arrive in order.
            for (at, f) in rx {
                let now = Instant::now();
                if at > now {
                    std::thread::sleep(at - now);
                }
                f();
            }
        });
        Timer {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// Runs `f` [`BLOCK`] from now.
    pub(crate) fn after_block(&self, f: impl FnOnce() + Send + 'static) {
        if let Some(tx) = &self.tx {
            let _ = tx.send((Instant::now() + BLOCK, Box::new(f)));
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Something that can run the workload's tasks.
pub(crate) trait Spawner: Sync {
    /// Spawns blocker number `i`.
    fn blocker(&self, i: usize, timer: &Arc<Timer>);
    /// Spawns a short task that runs `f` at its first poll.
    fn short(&self, f: Box<dyn FnOnce() + Send>);
    /// Threads the runtime has now.
    fn threads(&self) -> usize;
}

pub(crate) struct Tasklane {
    pub(crate) rt: tasklane::Runtime,
    pub(crate) annotated: bool,
}

impl Spawner for Tasklane {
    fn blocker(&self, i: usize, timer: &Arc<Timer>) {
        let timer = timer.clone();
        let annotated = self.annotated;
        drop(self.rt.run(move || {
            if !annotated {
                std::thread::sleep(BLOCK);
            } else if i.is_multiple_of(2) {
                // Legacy sync-over-async: wait on another operation.
                let tcs = Arc::new(TaskCompletionSource::<()>::new());
                let task = tcs.task();
                timer.after_block(move || {
                    let _ = tcs.set_result(());
                });
                task.wait().unwrap();
            } else {
                tasklane::blocking(|| std::thread::sleep(BLOCK));
            }
        }));
    }

    fn short(&self, f: Box<dyn FnOnce() + Send>) {
        drop(self.rt.run(f));
    }

    fn threads(&self) -> usize {
        self.rt.handle().thread_count()
    }
}

pub(crate) struct Tokio {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) variant: Variant,
}

impl Spawner for Tokio {
    fn blocker(&self, i: usize, timer: &Arc<Timer>) {
        let timer = timer.clone();
        let variant = self.variant;
        // The blocking call, as a closure: wait for the other operation or
        // sleep.
        let block = move || {
            if i.is_multiple_of(2) && variant != Variant::TokioSameCodeSleep {
                let (tx, rx) = mpsc::channel::<()>();
                timer.after_block(move || {
                    let _ = tx.send(());
                });
                rx.recv().unwrap();
            } else {
                std::thread::sleep(BLOCK);
            }
        };
        drop(self.rt.spawn(async move {
            match variant {
                Variant::TokioBlockInPlace => tokio::task::block_in_place(block),
                Variant::TokioSpawnBlocking => tokio::task::spawn_blocking(block).await.unwrap(),
                _ => block(),
            }
        }));
    }

    fn short(&self, f: Box<dyn FnOnce() + Send>) {
        drop(self.rt.spawn(async move { f() }));
    }

    fn threads(&self) -> usize {
        // Workers and blocking threads share the name; tokio's thread
        // count metric for blocking threads needs `tokio_unstable`.
        let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
            return 0;
        };
        dir.filter_map(Result::ok)
            .filter(|e| {
                std::fs::read_to_string(e.path().join("comm"))
                    .is_ok_and(|c| c.starts_with("bench-tokio"))
            })
            .count()
    }
}

/// Builds the runtime for `variant` with `workers` threads.
pub(crate) fn spawner(variant: Variant, workers: usize) -> Box<dyn Spawner> {
    match variant {
        Variant::Annotated | Variant::Unannotated => Box::new(Tasklane {
            rt: tasklane::Runtime::builder()
                .worker_threads(workers)
                .thread_name("bench-tl")
                .build()
                .expect("tasklane runtime"),
            annotated: variant == Variant::Annotated,
        }),
        _ => Box::new(Tokio {
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("bench-tokio")
                .enable_all()
                .build()
                .expect("tokio runtime"),
            variant,
        }),
    }
}

/// One run: 64 blockers, then 10,000 short tasks paced over [`SPAN`];
/// returns when every short task has been polled.
pub(crate) fn run_once(s: &dyn Spawner) -> Run {
    let timer = Arc::new(Timer::new());
    let polled: Arc<Vec<AtomicU64>> = Arc::new((0..SHORT).map(|_| AtomicU64::new(0)).collect());
    let done = Arc::new(AtomicU64::new(0));
    let mut spawned = vec![0u64; SHORT];
    let t0 = Instant::now();
    for i in 0..BLOCKERS {
        s.blocker(i, &timer);
    }
    for batch in 0..SHORT / BATCH {
        let due = t0 + Duration::from_millis(batch as u64);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        for k in 0..BATCH {
            let i = batch * BATCH + k;
            let (polled, done) = (polled.clone(), done.clone());
            spawned[i] = t0.elapsed().as_nanos() as u64;
            s.short(Box::new(move || {
                polled[i].store(t0.elapsed().as_nanos() as u64, Relaxed);
                done.fetch_add(1, Relaxed);
            }));
        }
    }
    while done.load(Relaxed) < SHORT as u64 {
        assert!(
            t0.elapsed() < DEADLINE,
            "blocking bench: short tasks never ran"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    let polled_at: Vec<u64> = polled.iter().map(|p| p.load(Relaxed)).collect();
    let mut latencies_us: Vec<f64> = polled_at
        .iter()
        .zip(&spawned)
        .map(|(p, s)| p.saturating_sub(*s) as f64 / 1e3)
        .collect();
    latencies_us.sort_by(f64::total_cmp);
    let last = polled_at.iter().max().copied().unwrap_or(0);
    Run {
        latencies_us,
        wall: Duration::from_nanos(last.saturating_sub(spawned[0])),
        polled_at_us: polled_at.iter().map(|&p| p as f64 / 1e3).collect(),
    }
}

/// Medians over the iterations of one variant: (p50 µs, p99 µs, wall ms).
#[derive(Copy, Clone, Debug)]
struct Summary {
    p50: f64,
    p99: f64,
    wall_ms: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the suite.
pub fn run(opts: &Opts) -> Vec<Row> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Each iteration takes a second or more per variant: at most 5 (the
    // default), fewer when asked (`--iters 1` for a quick look).
    let iters = opts.iters.clamp(1, 5);
    let warmup = opts.warmup.min(1);
    let variants = [
        Variant::Annotated,
        Variant::Unannotated,
        Variant::TokioSameCode,
        Variant::TokioSameCodeSleep,
        Variant::TokioBlockInPlace,
        Variant::TokioSpawnBlocking,
    ];
    let mut results: Vec<Vec<Run>> = vec![Vec::new(); variants.len()];
    for round in 0..warmup + iters {
        // Interleaved, so machine noise hits every variant alike.
        for (k, &v) in variants.iter().enumerate() {
            let s = spawner(v, workers);
            let r = run_once(&*s);
            drop(s);
            if round >= warmup {
                results[k].push(r);
            }
        }
    }
    let summary: Vec<Summary> = results
        .iter()
        .map(|runs| Summary {
            p50: median(runs.iter().map(|r| r.percentile(0.50)).collect()),
            p99: median(runs.iter().map(|r| r.percentile(0.99)).collect()),
            wall_ms: median(runs.iter().map(|r| r.wall.as_secs_f64() * 1e3).collect()),
        })
        .collect();
    let [annotated, bare, same, same_sleep, in_place, spawn_blocking] = [0, 1, 2, 3, 4, 5];
    let row = |name: &str, a: usize, b: usize, what: fn(&Summary) -> f64, unit| Row {
        name: format!("{name} ({workers}w)"),
        tasklane: what(&summary[a]),
        peer: what(&summary[b]),
        peer_name: variants[b].name().trim_start_matches("tokio ").to_owned(),
        unit,
    };
    let p99 = |s: &Summary| s.p99;
    let p50 = |s: &Summary| s.p50;
    let wall = |s: &Summary| s.wall_ms;
    let mut rows = vec![
        row("blocking_vs_tokio_same_code", annotated, same, p99, "µs"),
        row(
            "blocking_vs_tokio_spawn_blocking",
            annotated,
            spawn_blocking,
            p99,
            "µs",
        ),
        row(
            "blocking_vs_tokio_block_in_place",
            annotated,
            in_place,
            p99,
            "µs",
        ),
        row(
            "blocking_unannotated_vs_tokio_same_code",
            bare,
            same_sleep,
            p99,
            "µs",
        ),
        row(
            "blocking_p50_vs_tokio_same_code",
            annotated,
            same,
            p50,
            "µs",
        ),
        row(
            "blocking_p50_vs_tokio_spawn_blocking",
            annotated,
            spawn_blocking,
            p50,
            "µs",
        ),
        row(
            "blocking_throughput_vs_tokio_same_code",
            annotated,
            same,
            wall,
            "ms",
        ),
        row(
            "blocking_throughput_vs_tokio_spawn_blocking",
            annotated,
            spawn_blocking,
            wall,
            "ms",
        ),
        row(
            "blocking_unannotated_throughput_vs_tokio_same_code",
            bare,
            same_sleep,
            wall,
            "ms",
        ),
    ];
    rows.retain(|r| opts.wants(&r.name));
    if opts.wants("timeline") {
        timeline::write(workers);
    }
    rows
}
