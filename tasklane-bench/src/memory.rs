//! The memory suite (docs/BENCHMARKS.md, workload 6): heap allocations per spawned task,
//! allocations to await a ready `ValueTask`, and resident bytes per idle
//! pending task, each against tokio.
//!
//! Every measurement runs in a child process of its own (this binary,
//! started again with [`CHILD_ARG`]), so the counting allocator and a
//! million parked tasks never touch the process that runs the timing
//! suites, and each runtime starts from a clean heap.

use crate::harness::{Opts, Row};
use std::alloc::{GlobalAlloc, Layout, System};
use std::process::Command;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// The first argument that makes this binary run one measurement and
/// print its result instead of a suite.
pub const CHILD_ARG: &str = "__memory-child";

/// Counts every allocation in the process while [`COUNTING`] is set; in
/// the parent process it stays unset (one relaxed load per allocation, the
/// same for both runtimes).
pub struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a static atomic, which never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations (in every thread) made while `f` runs.
fn count_allocations(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.store(0, SeqCst);
    COUNTING.store(true, SeqCst);
    f();
    COUNTING.store(false, SeqCst);
    ALLOCATIONS.load(SeqCst)
}

/// Tasks spawned per allocation measurement.
const SPAWNS: usize = 10_000;
/// Idle tasks of the resident-memory measurement.
const IDLE_TASKS: usize = 1_000_000;
/// Awaits of a ready value per measurement.
const READY_AWAITS: usize = 10_000;

/// One row: a name, the measurement of each side, the unit.
struct Measure {
    name: &'static str,
    unit: &'static str,
    peer: &'static str,
}

const MEASURES: &[Measure] = &[
    Measure {
        name: "allocations per spawn, from outside the pool",
        unit: "allocs",
        peer: "tokio",
    },
    Measure {
        name: "allocations per spawn, from a worker",
        unit: "allocs",
        peer: "tokio",
    },
    Measure {
        name: "allocations per await of a ready ValueTask",
        unit: "allocs",
        peer: "std ready",
    },
    Measure {
        name: "bytes per idle pending task (1M)",
        unit: "B",
        peer: "tokio",
    },
    Measure {
        name: "bytes per idle task on a promise of its own (1M)",
        unit: "B",
        peer: "tokio oneshot",
    },
];

/// Runs the suite: every measure in two child processes.
pub fn run(opts: &Opts) -> Vec<Row> {
    let workers = opts.workers.first().copied().unwrap_or(1);
    let mut rows = Vec::new();
    for (i, m) in MEASURES.iter().enumerate() {
        if !opts.wants(m.name) {
            continue;
        }
        let tasklane = child(i, "tasklane", workers);
        let peer = child(i, "peer", workers);
        rows.push(Row {
            name: format!("{} ({workers}w)", m.name),
            tasklane,
            peer,
            peer_name: m.peer.to_owned(),
            unit: m.unit,
        });
    }
    rows
}

/// Runs measure `index` for `side` in a child process and parses its
/// result.
fn child(index: usize, side: &str, workers: usize) -> f64 {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let out = Command::new(exe)
        .args([CHILD_ARG, &index.to_string(), side, &workers.to_string()])
        .output()
        .expect("start a measurement child process");
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.trim().parse() {
        Ok(v) if out.status.success() => v,
        _ => panic!(
            "measurement child {index}/{side} failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The child process's entry: `args` are what follows [`CHILD_ARG`].
/// Prints the measurement on stdout.
pub fn child_main(args: &[String]) -> ! {
    let parse = |i: usize| args.get(i).cloned().unwrap_or_default();
    let index: usize = parse(0).parse().expect("measure index");
    let tasklane = parse(1) == "tasklane";
    let workers: usize = parse(2).parse().expect("worker count");
    let value = match (index, tasklane) {
        (0, true) => tasklane_spawn_allocs(workers, false),
        (0, false) => tokio_spawn_allocs(workers, false),
        (1, true) => tasklane_spawn_allocs(workers, true),
        (1, false) => tokio_spawn_allocs(workers, true),
        (2, true) => tasklane_ready_allocs(),
        (2, false) => std_ready_allocs(),
        (3, true) => tasklane_idle_bytes(workers),
        (3, false) => tokio_idle_bytes(workers),
        (4, true) => tasklane_own_promise_bytes(workers),
        (4, false) => tokio_own_oneshot_bytes(workers),
        _ => panic!("no measure {index}"),
    };
    println!("{value}");
    std::process::exit(0);
}

/// Spawns [`SPAWNS`] tasks (each decrements a counter; the last signals)
/// from `block_on`'s thread, or from inside a task when `from_worker`.
fn tasklane_spawn_allocs(workers: usize, from_worker: bool) -> f64 {
    let rt = tasklane::Runtime::builder()
        .worker_threads(workers)
        .build()
        .unwrap();
    let round = || {
        let (tx, rx) = mpsc::sync_channel(1);
        let rem = Arc::new(AtomicUsize::new(SPAWNS));
        let spawn_all = move || {
            for _ in 0..SPAWNS {
                let (tx, rem) = (tx.clone(), rem.clone());
                drop(tasklane::Task::run_async(async move {
                    if rem.fetch_sub(1, Relaxed) == 1 {
                        tx.send(()).unwrap();
                    }
                }));
            }
        };
        if from_worker {
            drop(rt.run_async(async move { spawn_all() }));
        } else {
            rt.block_on(async move { spawn_all() });
        }
        rx.recv().unwrap();
    };
    for _ in 0..5 {
        round();
    }
    count_allocations(round) as f64 / SPAWNS as f64
}

fn tokio_spawn_allocs(workers: usize, from_worker: bool) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    let round = || {
        let (tx, rx) = mpsc::sync_channel(1);
        let rem = Arc::new(AtomicUsize::new(SPAWNS));
        let spawn_all = move || {
            for _ in 0..SPAWNS {
                let (tx, rem) = (tx.clone(), rem.clone());
                drop(tokio::spawn(async move {
                    if rem.fetch_sub(1, Relaxed) == 1 {
                        tx.send(()).unwrap();
                    }
                }));
            }
        };
        if from_worker {
            drop(rt.spawn(async move { spawn_all() }));
        } else {
            rt.block_on(async move { spawn_all() });
        }
        rx.recv().unwrap();
    };
    for _ in 0..5 {
        round();
    }
    count_allocations(round) as f64 / SPAWNS as f64
}

/// Awaits a ready `ValueTask` [`READY_AWAITS`] times inside one future,
/// polled on this thread.
fn tasklane_ready_allocs() -> f64 {
    let fut = async {
        let mut sum = 0_u64;
        for i in 0..READY_AWAITS as u64 {
            sum += tasklane::ValueTask::from_result(i).await.unwrap();
        }
        sum
    };
    let mut fut = std::pin::pin!(fut);
    let allocs = count_allocations(|| {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_ready());
    });
    allocs as f64 / READY_AWAITS as f64
}

/// The same with `std::future::ready`, what code on tokio awaits.
fn std_ready_allocs() -> f64 {
    let fut = async {
        let mut sum = 0_u64;
        for i in 0..READY_AWAITS as u64 {
            sum += std::future::ready(i).await;
        }
        sum
    };
    let mut fut = std::pin::pin!(fut);
    let allocs = count_allocations(|| {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_ready());
    });
    allocs as f64 / READY_AWAITS as f64
}

/// Resident set size of this process, in bytes (`/proc/self/statm`).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm (Linux only)");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("resident pages in statm");
    pages * 4096
}

/// Waits until `count` reaches `n` (every task has been polled once).
fn wait_for(count: &AtomicUsize, n: usize) {
    let start = Instant::now();
    while count.load(SeqCst) < n {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "tasks never all started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Spawns [`IDLE_TASKS`] tasks that each await one signal (clones of one
/// `TaskCompletionSource`'s task), measures the resident-memory growth
/// once all are parked, then releases them.
fn tasklane_idle_bytes(workers: usize) -> f64 {
    let rt = tasklane::Runtime::builder()
        .worker_threads(workers)
        .build()
        .unwrap();
    // Warm the pool up.
    rt.block_on(async { tasklane::Task::run(|| 1).await.unwrap() });
    let signal = tasklane::TaskCompletionSource::<()>::new();
    let started = Arc::new(AtomicUsize::new(0));
    let before = rss_bytes();
    let finished = Arc::new(AtomicUsize::new(0));
    for _ in 0..IDLE_TASKS {
        let (wait, started, finished) = (signal.task(), started.clone(), finished.clone());
        drop(rt.run_async(async move {
            started.fetch_add(1, Relaxed);
            (&wait).await.unwrap();
            finished.fetch_add(1, Relaxed);
        }));
    }
    wait_for(&started, IDLE_TASKS);
    let grown = rss_bytes().saturating_sub(before);
    signal.set_result(()).unwrap();
    // Then completed: nothing lost.
    wait_for(&finished, IDLE_TASKS);
    grown as f64 / IDLE_TASKS as f64
}

/// [`IDLE_TASKS`] tasks each awaiting a `TaskCompletionSource` of its own
/// (held by the measuring thread): resident growth once all are parked;
/// then every promise is completed and every task must finish.
fn tasklane_own_promise_bytes(workers: usize) -> f64 {
    let rt = tasklane::Runtime::builder()
        .worker_threads(workers)
        .build()
        .unwrap();
    rt.block_on(async { tasklane::Task::run(|| 1).await.unwrap() });
    let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let before = rss_bytes();
    let promises: Vec<tasklane::TaskCompletionSource<u32>> = (0..IDLE_TASKS)
        .map(|_| {
            let tcs = tasklane::TaskCompletionSource::new();
            let (wait, started, finished) = (tcs.task(), started.clone(), finished.clone());
            drop(rt.run_async(async move {
                started.fetch_add(1, Relaxed);
                wait.await.unwrap();
                finished.fetch_add(1, Relaxed);
            }));
            tcs
        })
        .collect();
    wait_for(&started, IDLE_TASKS);
    let grown = rss_bytes().saturating_sub(before);
    for p in promises {
        p.set_result(1).unwrap();
    }
    wait_for(&finished, IDLE_TASKS);
    grown as f64 / IDLE_TASKS as f64
}

/// The same on tokio, each task awaiting a `oneshot` of its own.
fn tokio_own_oneshot_bytes(workers: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { tokio::spawn(async { 1 }).await.unwrap() });
    let (started, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let before = rss_bytes();
    let senders: Vec<tokio::sync::oneshot::Sender<u32>> = (0..IDLE_TASKS)
        .map(|_| {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let (started, finished) = (started.clone(), finished.clone());
            drop(rt.spawn(async move {
                started.fetch_add(1, Relaxed);
                rx.await.unwrap();
                finished.fetch_add(1, Relaxed);
            }));
            tx
        })
        .collect();
    wait_for(&started, IDLE_TASKS);
    let grown = rss_bytes().saturating_sub(before);
    for tx in senders {
        tx.send(1).unwrap();
    }
    wait_for(&finished, IDLE_TASKS);
    grown as f64 / IDLE_TASKS as f64
}

/// The same on tokio, with every task awaiting one `Notify`.
fn tokio_idle_bytes(workers: usize) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { tokio::spawn(async { 1 }).await.unwrap() });
    let signal = Arc::new(tokio::sync::Notify::new());
    let started = Arc::new(AtomicUsize::new(0));
    let before = rss_bytes();
    let finished = Arc::new(AtomicUsize::new(0));
    for _ in 0..IDLE_TASKS {
        let (signal, started, finished) = (signal.clone(), started.clone(), finished.clone());
        drop(rt.spawn(async move {
            let notified = signal.notified();
            started.fetch_add(1, Relaxed);
            notified.await;
            finished.fetch_add(1, Relaxed);
        }));
    }
    wait_for(&started, IDLE_TASKS);
    let grown = rss_bytes().saturating_sub(before);
    signal.notify_waiters();
    wait_for(&finished, IDLE_TASKS);
    grown as f64 / IDLE_TASKS as f64
}
