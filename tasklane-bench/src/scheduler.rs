//! The scheduler suite: the seven workloads of tokio's own
//! `benches/rt_multi_threaded.rs` (docs/BENCHMARKS.md, workload 1), run on tasklane and on
//! tokio with the same worker count in the same process run, plus the
//! "limit" rows: the same work pushed through a bare queue on one thread,
//! the floor both runtimes are measured against.
//!
//! A limit row measures one runtime, named at the end of the row's name,
//! against the floor: `limit: <workload> (<n>w) <runtime> vs floor`, where
//! `<runtime>` is `tasklane` or `tokio`. Its columns are that runtime's
//! cost, the floor's cost, and runtime ÷ floor; in `--tsv` output:
//! `limit: spawn_many_local (2w) tokio vs floor<TAB>tokio's cost<TAB>floor
//! cost<TAB>ratio`. So the first cost column holds tasklane's cost on every
//! row except a limit row for tokio, where it holds tokio's.
//!
//! Every workload builds both runtimes once per worker count and
//! interleaves their iterations (see [`harness::compare`]), so machine noise
//! hits both alike. The two busy workloads start their background load
//! before each timed part and stop it (waiting until it has stopped) after,
//! so one runtime's background load never runs while the other is timed.

use crate::harness::{self, Opts, Row};
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tasklane::{Task, TaskCompletionSource};

/// Tasks spawned by the spawn workloads.
const NUM_SPAWN: usize = 10_000;
/// Remote spawns of `spawn_many_remote_busy2`.
const BUSY2_SPAWN: usize = 1_000;
/// Chains of `spawn_many_remote_busy2`.
const BUSY2_CHAINS: usize = 4;
/// How long one unit of background work spins.
const STALL: Duration = Duration::from_micros(10);
/// Tasks of `yield_many`, and the yields each makes.
const YIELD_TASKS: usize = 200;
const NUM_YIELD: usize = 1_000;
/// Pairs of `ping_pong`.
const NUM_PINGS: usize = 1_000;
/// Links of `chained_spawn`.
const CHAIN: usize = 1_000;

/// Both runtimes at one worker count.
pub(crate) struct Pair {
    pub(crate) tasklane: tasklane::Runtime,
    pub(crate) tokio: tokio::runtime::Runtime,
}

impl Pair {
    pub(crate) fn new(workers: usize, opts: &Opts) -> Pair {
        let mut builder = tasklane::Runtime::builder()
            .worker_threads(workers)
            .thread_name("bench-tasklane");
        if let Some(on) = opts.hill_climbing {
            builder = builder.hill_climbing(on);
        }
        Pair {
            tasklane: builder.build().expect("tasklane runtime"),
            tokio: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("bench-tokio")
                .enable_all()
                .build()
                .expect("tokio runtime"),
        }
    }
}

type Workload = fn(&Pair, &Opts) -> (f64, f64);

/// The seven workloads, in the order docs/BENCHMARKS.md lists them.
const WORKLOADS: &[(&str, Workload)] = &[
    ("spawn_many_local", spawn_many_local),
    ("spawn_many_remote_idle", spawn_many_remote_idle),
    ("spawn_many_remote_busy1", spawn_many_remote_busy1),
    ("spawn_many_remote_busy2", spawn_many_remote_busy2),
    ("yield_many", yield_many),
    ("ping_pong", ping_pong),
    ("chained_spawn", chained_spawn),
];

/// Runs the suite.
pub fn run(opts: &Opts) -> Vec<Row> {
    let mut rows = Vec::new();
    for &workers in &opts.workers {
        let pair = Pair::new(workers, opts);
        for (name, workload) in WORKLOADS {
            if !opts.wants(name) {
                continue;
            }
            let (tasklane, tokio) = workload(&pair, opts);
            rows.push(Row {
                name: format!("{name} ({workers}w)"),
                tasklane,
                peer: tokio,
                peer_name: "tokio".to_owned(),
                unit: "µs",
            });
        }
    }
    rows.extend(limit_rows(opts));
    rows
}

/// Spins for [`STALL`], yielding the thread as tokio's benchmark does.
fn stall() {
    let now = Instant::now();
    while now.elapsed() < STALL {
        std::thread::yield_now();
    }
}

/// Inside `block_on`, spawns 10,000 tasks; each decrements a shared counter
/// and the last signals a std channel the caller waits on.
fn spawn_many_local(pair: &Pair, opts: &Opts) -> (f64, f64) {
    harness::compare(
        opts,
        || tasklane_spawn_many_local(pair),
        || tokio_spawn_many_local(pair),
    )
}

fn tasklane_spawn_many_local(pair: &Pair) {
    let (tx, rx) = mpsc::sync_channel(1);
    let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
    pair.tasklane.block_on(async {
        for _ in 0..NUM_SPAWN {
            let tx = tx.clone();
            let rem = rem.clone();
            drop(Task::run_async(async move {
                if rem.fetch_sub(1, Relaxed) == 1 {
                    tx.send(()).unwrap();
                }
            }));
        }
        rx.recv().unwrap();
    });
}

fn tokio_spawn_many_local(pair: &Pair) {
    let (tx, rx) = mpsc::sync_channel(1);
    let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
    pair.tokio.block_on(async {
        for _ in 0..NUM_SPAWN {
            let tx = tx.clone();
            let rem = rem.clone();
            drop(tokio::spawn(async move {
                if rem.fetch_sub(1, Relaxed) == 1 {
                    tx.send(()).unwrap();
                }
            }));
        }
        rx.recv().unwrap();
    });
}

/// From a plain thread, spawns `n` empty tasks, keeping the handles, then
/// awaits them all in order inside `block_on`.
fn tasklane_spawn_remote(pair: &Pair, n: usize) {
    let handle = pair.tasklane.handle();
    let handles: Vec<Task<()>> = (0..n).map(|_| handle.run_async(async {})).collect();
    pair.tasklane.block_on(async {
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn tokio_spawn_remote(pair: &Pair, n: usize) {
    let handle = pair.tokio.handle();
    let handles: Vec<_> = (0..n).map(|_| handle.spawn(async {})).collect();
    pair.tokio.block_on(async {
        for h in handles {
            h.await.unwrap();
        }
    });
}

fn spawn_many_remote_idle(pair: &Pair, opts: &Opts) -> (f64, f64) {
    harness::compare(
        opts,
        || tasklane_spawn_remote(pair, NUM_SPAWN),
        || tokio_spawn_remote(pair, NUM_SPAWN),
    )
}

/// Times `timed` while `workers × 2` background tasks loop: yield, then
/// spin [`STALL`]. The background starts before and stops after the timed
/// part.
fn spawn_many_remote_busy1(pair: &Pair, opts: &Opts) -> (f64, f64) {
    let busy = 2 * pair.tasklane.handle().worker_count();
    harness::compare_timed(
        opts,
        || {
            let flag = Arc::new(AtomicBool::new(true));
            let background: Vec<Task<()>> = (0..busy)
                .map(|_| {
                    let flag = flag.clone();
                    pair.tasklane.handle().run_async(async move {
                        while flag.load(Relaxed) {
                            tasklane::yield_now().await;
                            stall();
                        }
                    })
                })
                .collect();
            let start = Instant::now();
            tasklane_spawn_remote(pair, NUM_SPAWN);
            let took = start.elapsed();
            flag.store(false, Relaxed);
            for t in background {
                t.wait().unwrap();
            }
            took
        },
        || {
            let flag = Arc::new(AtomicBool::new(true));
            let background: Vec<_> = (0..busy)
                .map(|_| {
                    let flag = flag.clone();
                    pair.tokio.spawn(async move {
                        while flag.load(Relaxed) {
                            tokio::task::yield_now().await;
                            stall();
                        }
                    })
                })
                .collect();
            let start = Instant::now();
            tokio_spawn_remote(pair, NUM_SPAWN);
            let took = start.elapsed();
            flag.store(false, Relaxed);
            pair.tokio.block_on(async {
                for t in background {
                    t.await.unwrap();
                }
            });
            took
        },
    )
}

/// Background chains that stop when `flag` clears; `alive` counts the
/// chains still running, `links` the links run so far.
struct Chains {
    flag: Arc<AtomicBool>,
    alive: Arc<AtomicUsize>,
    links: Arc<AtomicUsize>,
}

impl Chains {
    fn new() -> Chains {
        Chains {
            flag: Arc::new(AtomicBool::new(true)),
            alive: Arc::new(AtomicUsize::new(BUSY2_CHAINS)),
            links: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn handles(&self) -> (Arc<AtomicBool>, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        (self.flag.clone(), self.alive.clone(), self.links.clone())
    }

    /// Waits until the chains are running (every chain made a few links on
    /// average), so the timed part always runs against the same load.
    fn wait_running(&self) {
        while self.links.load(Relaxed) < 4 * BUSY2_CHAINS {
            std::thread::yield_now();
        }
    }

    /// Clears the flag and waits for every chain to end.
    fn stop(self) {
        self.flag.store(false, Relaxed);
        while self.alive.load(Relaxed) != 0 {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
}

type Link = (Arc<AtomicBool>, Arc<AtomicUsize>, Arc<AtomicUsize>);

fn tasklane_link((flag, alive, links): Link) {
    drop(Task::run_async(async move {
        if flag.load(Relaxed) {
            links.fetch_add(1, Relaxed);
            stall();
            tasklane_link((flag, alive, links));
        } else {
            alive.fetch_sub(1, Relaxed);
        }
    }));
}

fn tokio_link((flag, alive, links): Link) {
    drop(tokio::spawn(async move {
        if flag.load(Relaxed) {
            links.fetch_add(1, Relaxed);
            stall();
            tokio_link((flag, alive, links));
        } else {
            alive.fetch_sub(1, Relaxed);
        }
    }));
}

/// Times 1,000 remote spawns while [`BUSY2_CHAINS`] chains run, each link
/// spinning [`STALL`] and then spawning its successor.
fn spawn_many_remote_busy2(pair: &Pair, opts: &Opts) -> (f64, f64) {
    harness::compare_timed(
        opts,
        || {
            let chains = Chains::new();
            for _ in 0..BUSY2_CHAINS {
                let link = chains.handles();
                drop(pair.tasklane.run_async(async move { tasklane_link(link) }));
            }
            chains.wait_running();
            let start = Instant::now();
            tasklane_spawn_remote(pair, BUSY2_SPAWN);
            let took = start.elapsed();
            chains.stop();
            took
        },
        || {
            let chains = Chains::new();
            for _ in 0..BUSY2_CHAINS {
                let link = chains.handles();
                drop(pair.tokio.spawn(async move { tokio_link(link) }));
            }
            chains.wait_running();
            let start = Instant::now();
            tokio_spawn_remote(pair, BUSY2_SPAWN);
            let took = start.elapsed();
            chains.stop();
            took
        },
    )
}

/// 200 tasks, spawned from a plain thread, each yield 1,000 times and then
/// signal; the caller waits for all.
fn yield_many(pair: &Pair, opts: &Opts) -> (f64, f64) {
    harness::compare(
        opts,
        || {
            let (tx, rx) = mpsc::sync_channel(YIELD_TASKS);
            for _ in 0..YIELD_TASKS {
                let tx = tx.clone();
                drop(pair.tasklane.run_async(async move {
                    for _ in 0..NUM_YIELD {
                        tasklane::yield_now().await;
                    }
                    tx.send(()).unwrap();
                }));
            }
            for _ in 0..YIELD_TASKS {
                rx.recv().unwrap();
            }
        },
        || {
            let (tx, rx) = mpsc::sync_channel(YIELD_TASKS);
            for _ in 0..YIELD_TASKS {
                let tx = tx.clone();
                drop(pair.tokio.spawn(async move {
                    for _ in 0..NUM_YIELD {
                        tokio::task::yield_now().await;
                    }
                    tx.send(()).unwrap();
                }));
            }
            for _ in 0..YIELD_TASKS {
                rx.recv().unwrap();
            }
        },
    )
}

/// A root task spawns 1,000 pairs; in each, two tasks exchange two one-shot
/// messages (a `TaskCompletionSource` on tasklane's side, a tokio oneshot
/// on tokio's).
fn ping_pong(pair: &Pair, opts: &Opts) -> (f64, f64) {
    harness::compare(
        opts,
        || {
            let (done_tx, done_rx) = mpsc::sync_channel(1);
            let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
            pair.tasklane.block_on(async {
                drop(Task::run_async(async move {
                    for _ in 0..NUM_PINGS {
                        let rem = rem.clone();
                        let done_tx = done_tx.clone();
                        drop(Task::run_async(async move {
                            let ping = TaskCompletionSource::<()>::new();
                            let pong = TaskCompletionSource::<()>::new();
                            let ping_task = ping.task();
                            let pong_task = pong.task();
                            drop(Task::run_async(async move {
                                ping_task.await.unwrap();
                                pong.set_result(()).unwrap();
                            }));
                            ping.set_result(()).unwrap();
                            pong_task.await.unwrap();
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                done_tx.send(()).unwrap();
                            }
                        }));
                    }
                }));
                done_rx.recv().unwrap();
            });
        },
        || {
            let (done_tx, done_rx) = mpsc::sync_channel(1);
            let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
            pair.tokio.block_on(async {
                drop(tokio::spawn(async move {
                    for _ in 0..NUM_PINGS {
                        let rem = rem.clone();
                        let done_tx = done_tx.clone();
                        drop(tokio::spawn(async move {
                            let (ping, ping_rx) = tokio::sync::oneshot::channel::<()>();
                            let (pong, pong_rx) = tokio::sync::oneshot::channel::<()>();
                            drop(tokio::spawn(async move {
                                ping_rx.await.unwrap();
                                pong.send(()).unwrap();
                            }));
                            ping.send(()).unwrap();
                            pong_rx.await.unwrap();
                            if rem.fetch_sub(1, Relaxed) == 1 {
                                done_tx.send(()).unwrap();
                            }
                        }));
                    }
                }));
                done_rx.recv().unwrap();
            });
        },
    )
}

fn tasklane_chain(done: mpsc::SyncSender<()>, n: usize) {
    if n == 0 {
        done.send(()).unwrap();
    } else {
        drop(Task::run_async(async move { tasklane_chain(done, n - 1) }));
    }
}

fn tokio_chain(done: mpsc::SyncSender<()>, n: usize) {
    if n == 0 {
        done.send(()).unwrap();
    } else {
        drop(tokio::spawn(async move { tokio_chain(done, n - 1) }));
    }
}

/// A chain of 1,000 tasks, each spawning the next; the last signals.
fn chained_spawn(pair: &Pair, opts: &Opts) -> (f64, f64) {
    harness::compare(
        opts,
        || {
            let (tx, rx) = mpsc::sync_channel(1);
            pair.tasklane.block_on(async {
                drop(Task::run_async(async move { tasklane_chain(tx, CHAIN) }));
                rx.recv().unwrap();
            });
        },
        || {
            let (tx, rx) = mpsc::sync_channel(1);
            pair.tokio.block_on(async {
                drop(tokio::spawn(async move { tokio_chain(tx, CHAIN) }));
                rx.recv().unwrap();
            });
        },
    )
}

// ---------------------------------------------------------------------------
// The limit: the same work through a bare queue on one thread.

/// A boxed job of the floor queues: a closure that may queue more jobs.
struct Job(Box<JobFn>);

type JobFn = dyn FnOnce(&mut VecDeque<Job>);

impl Job {
    fn new(f: impl FnOnce(&mut VecDeque<Job>) + 'static) -> Job {
        Job(Box::new(f))
    }
}

/// Runs jobs from `queue` until it is empty, on this thread.
fn drain(mut queue: VecDeque<Job>) {
    while let Some(job) = queue.pop_front() {
        (job.0)(&mut queue);
    }
}

/// spawn_many's floor: 10,000 boxed closures (each cloning the channel and
/// the counter, as the spawned tasks do) pushed, then popped and run.
fn floor_spawn_many() {
    let (tx, rx) = mpsc::sync_channel(1);
    let rem = Arc::new(AtomicUsize::new(NUM_SPAWN));
    let mut queue: VecDeque<Job> = VecDeque::new();
    for _ in 0..NUM_SPAWN {
        let tx = tx.clone();
        let rem = rem.clone();
        queue.push_back(Job::new(move |_| {
            if rem.fetch_sub(1, Relaxed) == 1 {
                tx.send(()).unwrap();
            }
        }));
    }
    drain(queue);
    rx.recv().unwrap();
}

/// chained_spawn's floor: each boxed closure pushes the next.
fn floor_chain() {
    fn link(done: mpsc::SyncSender<()>, n: usize) -> Job {
        Job::new(move |q| {
            if n == 0 {
                done.send(()).unwrap();
            } else {
                q.push_back(link(done, n - 1));
            }
        })
    }
    let (tx, rx) = mpsc::sync_channel(1);
    drain(VecDeque::from([link(tx, CHAIN)]));
    rx.recv().unwrap();
}

/// yield_many's floor: 200 boxed jobs, each re-queued 1,000 times.
fn floor_yield_many() {
    fn job(left: usize, done: Arc<AtomicUsize>) -> Job {
        Job::new(move |q| {
            if left == 0 {
                done.fetch_add(1, Relaxed);
            } else {
                q.push_back(job(left - 1, done));
            }
        })
    }
    let done = Arc::new(AtomicUsize::new(0));
    drain(
        (0..YIELD_TASKS)
            .map(|_| job(NUM_YIELD, done.clone()))
            .collect(),
    );
    assert_eq!(done.load(Relaxed), YIELD_TASKS);
}

/// A workload's name, its floor, and the workload on one runtime (true:
/// tasklane).
type Floor = (&'static str, fn(), fn(&Pair, bool));

/// How far each runtime is from the floor, at the first worker count.
fn limit_rows(opts: &Opts) -> Vec<Row> {
    let Some(&workers) = opts.workers.first() else {
        return Vec::new();
    };
    let pair = Pair::new(workers, opts);
    let mut rows = Vec::new();
    // What each floor is: see the floor functions' docs.
    let floors: [Floor; 3] = [
        ("spawn_many_local", floor_spawn_many, |p, tasklane| {
            if tasklane {
                tasklane_spawn_many_local(p)
            } else {
                tokio_spawn_many_local(p)
            }
        }),
        ("chained_spawn", floor_chain, |p, tasklane| {
            let (tx, rx) = mpsc::sync_channel(1);
            if tasklane {
                run_tasklane(p, async move { tasklane_chain(tx, CHAIN) });
            } else {
                drop(p.tokio.spawn(async move { tokio_chain(tx, CHAIN) }));
            }
            rx.recv().unwrap();
        }),
        ("yield_many", floor_yield_many, |p, tasklane| {
            let (tx, rx) = mpsc::sync_channel(YIELD_TASKS);
            for _ in 0..YIELD_TASKS {
                let tx = tx.clone();
                if tasklane {
                    run_tasklane(p, async move {
                        for _ in 0..NUM_YIELD {
                            tasklane::yield_now().await;
                        }
                        tx.send(()).unwrap();
                    });
                } else {
                    drop(p.tokio.spawn(async move {
                        for _ in 0..NUM_YIELD {
                            tokio::task::yield_now().await;
                        }
                        tx.send(()).unwrap();
                    }));
                }
            }
            for _ in 0..YIELD_TASKS {
                rx.recv().unwrap();
            }
        }),
    ];
    for (name, floor, workload) in floors {
        if !opts.wants(name) && !opts.wants("limit") {
            continue;
        }
        for (runtime, is_tasklane) in [("tasklane", true), ("tokio", false)] {
            let (cost, floor_cost) = harness::compare(opts, || workload(&pair, is_tasklane), floor);
            rows.push(Row {
                // The name says whose cost the first column is (see the
                // module docs).
                name: format!("limit: {name} ({workers}w) {runtime} vs floor"),
                tasklane: cost,
                peer: floor_cost,
                peer_name: "floor".to_owned(),
                unit: "µs",
            });
        }
    }
    rows
}

fn run_tasklane(pair: &Pair, f: impl Future<Output = ()> + Send + 'static) {
    drop(pair.tasklane.run_async(f));
}
