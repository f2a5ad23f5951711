//! The "ecosystem" suite (docs/BENCHMARKS.md, workload 5c): Tokio-based
//! crates on tasklane through its Tokio bridge (feature `tokio-compat`)
//! against the same code on Tokio, and against what users do without a
//! bridge: `async-compat`'s `Compat` wrapper on tasklane's runtime.
//!
//! | workload | what runs |
//! |---|---|
//! | reqwest | 64 tasks, each a loop of `GET /` with one shared keep-alive `reqwest::Client`, against a hyper server on Tokio in a child process of its own (`http-serve tokio 1`), for a fixed window |
//! | tokio-postgres | 64 tasks, each with its own connection (driven by `tokio::spawn`, as the crate's docs do), a loop of `SELECT 1`, against a throwaway PostgreSQL, for a fixed window |
//! | tokio sleep | 10,000 tasks, each `tokio::time::sleep(1 ms)`, all awaited |
//!
//! Each workload gives three kinds of rows, each a median over rounds that
//! alternate between the runtimes: the cost per operation (µs, wall time ÷
//! operations: 1 / throughput), the p99 latency of one operation, and the
//! CPU time per operation (the whole process's user + system time over the
//! window ÷ operations: a bridge that wins on wall time by burning a core
//! more shows here). The HTTP server runs in another process, so its CPU
//! is not counted; PostgreSQL's neither.

use crate::harness::{Opts, Row};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[path = "../../tests/common/postgres.rs"]
mod postgres;

/// One measure of a window, for the rows.
type Measure = fn(&Window) -> f64;

/// Concurrent clients (tasks) of the reqwest and PostgreSQL workloads.
const CLIENTS: usize = 64;
/// Sleeps of the sleep workload.
const SLEEPS: usize = 10_000;
/// Worker threads of every runtime.
const WORKERS: usize = 2;

/// What one window measured.
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    ops: u64,
    wall: Duration,
    cpu: Duration,
    p99: Duration,
}

impl Window {
    fn us_per_op(&self) -> f64 {
        self.wall.as_secs_f64() * 1e6 / self.ops.max(1) as f64
    }
    fn cpu_us_per_op(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.ops.max(1) as f64
    }
    fn p99_us(&self) -> f64 {
        self.p99.as_secs_f64() * 1e6
    }
}

/// The process's CPU time so far (user + system).
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes the struct we pass, nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn p99(mut v: Vec<Duration>) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

/// Where a workload runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Setup {
    /// tasklane tasks; Tokio-based code reaches Tokio through the bridge.
    Tasklane,
    /// The same tasks, each wrapped in `async_compat::Compat`.
    Compat,
    /// Tokio tasks on a Tokio multi-thread runtime.
    Tokio,
}

const SETUPS: [Setup; 3] = [Setup::Tasklane, Setup::Tokio, Setup::Compat];

/// The runtimes, built once.
struct Runtimes {
    tasklane: tasklane::Runtime,
    tokio: tokio::runtime::Runtime,
}

impl Runtimes {
    fn new() -> Runtimes {
        Runtimes {
            tasklane: tasklane::Runtime::builder()
                .worker_threads(WORKERS)
                .thread_name("eco-tasklane")
                .build()
                .expect("tasklane runtime"),
            tokio: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .thread_name("eco-tokio")
                .enable_all()
                .build()
                .expect("tokio runtime"),
        }
    }

    /// Runs `n` copies of the future `make(i)` makes, as tasks of `setup`,
    /// and waits for all of them.
    fn run_all<F, Fut>(&self, setup: Setup, n: usize, make: F) -> Vec<Fut::Output>
    where
        F: Fn(usize) -> Fut,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        match setup {
            Setup::Tasklane => {
                let tasks: Vec<_> = (0..n).map(|i| self.tasklane.run_async(make(i))).collect();
                tasks
                    .into_iter()
                    .map(|t| tasklane::block_on(t).expect("task"))
                    .collect()
            }
            Setup::Compat => {
                let tasks: Vec<_> = (0..n)
                    .map(|i| self.tasklane.run_async(async_compat::Compat::new(make(i))))
                    .collect();
                tasks
                    .into_iter()
                    .map(|t| tasklane::block_on(t).expect("task"))
                    .collect()
            }
            Setup::Tokio => {
                let tasks: Vec<_> = (0..n).map(|i| self.tokio.spawn(make(i))).collect();
                self.tokio.block_on(async {
                    let mut out = Vec::with_capacity(n);
                    for t in tasks {
                        out.push(t.await.expect("task"));
                    }
                    out
                })
            }
        }
    }
}

fn peer_name(setup: Setup) -> &'static str {
    match setup {
        Setup::Tokio => "tokio",
        Setup::Compat => "async-compat",
        Setup::Tasklane => "tasklane",
    }
}

/// Measures `window` for each setup, `rounds` times alternating, and turns
/// the medians into rows: tasklane against Tokio and against async-compat.
fn rows_for(
    opts: &Opts,
    name: &str,
    rounds: usize,
    mut window: impl FnMut(Setup) -> Window,
) -> Vec<Row> {
    let mut by_setup: Vec<Vec<Window>> = vec![Vec::new(); SETUPS.len()];
    for _ in 0..opts.warmup.min(1) {
        for s in SETUPS {
            window(s);
        }
    }
    for _ in 0..rounds {
        for (i, s) in SETUPS.iter().enumerate() {
            by_setup[i].push(window(*s));
        }
    }
    let median = |i: usize, f: Measure| {
        let mut v: Vec<f64> = by_setup[i].iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut rows = Vec::new();
    let measures: [(&str, Measure); 3] = [
        ("µs per op", Window::us_per_op),
        ("p99 µs", Window::p99_us),
        ("CPU µs per op", Window::cpu_us_per_op),
    ];
    for (what, f) in measures {
        for peer in [1usize, 2] {
            rows.push(Row {
                name: format!("{name}: {what}"),
                tasklane: median(0, f),
                peer: median(peer, f),
                peer_name: peer_name(SETUPS[peer]).to_owned(),
                unit: "µs",
            });
        }
    }
    rows
}

/// Runs every setup's tasks for `length`: each task loops `op` and records
/// each call's latency.
fn timed_loops<Op, Fut>(rt: &Runtimes, setup: Setup, length: Duration, op: Op) -> Window
where
    Op: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let op = Arc::new(op);
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let cpu = cpu_time();
    let stopper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(length);
            stop.store(true, Ordering::Relaxed);
        })
    };
    let latencies: Vec<Vec<Duration>> = rt.run_all(setup, CLIENTS, |i| {
        let (op, stop) = (op.clone(), stop.clone());
        async move {
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let s = Instant::now();
                op(i).await;
                lat.push(s.elapsed());
            }
            lat
        }
    });
    let wall = start.elapsed();
    let cpu = cpu_time() - cpu;
    stopper.join().expect("stopper");
    let all: Vec<Duration> = latencies.into_iter().flatten().collect();
    Window {
        ops: all.len() as u64,
        wall,
        cpu,
        p99: p99(all),
    }
}

/// A hyper server on Tokio in a child process (this program's
/// `http-serve`), killed on drop.
struct ServerProcess(std::process::Child, u16);

impl ServerProcess {
    fn start() -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(std::env::current_exe().expect("this program"))
            .args(["http-serve", "tokio", "1", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the HTTP server process");
        let until = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "the HTTP server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        ServerProcess(child, port)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn reqwest_rows(opts: &Opts, rt: &Runtimes, length: Duration, rounds: usize) -> Vec<Row> {
    let server = ServerProcess::start();
    let url = format!("http://127.0.0.1:{}/", server.1);
    let name = format!("reqwest GET, {CLIENTS} clients ({WORKERS} workers)");
    let rows = rows_for(opts, &name, rounds, |setup| {
        // A client per window: its pooled connections belong to the
        // runtime that made them.
        let client = reqwest::Client::new();
        let url = url.clone();
        timed_loops(rt, setup, length, move |_| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let r = client.get(&url).send().await.expect("GET");
                r.bytes().await.expect("body");
            }
        })
    });
    drop(server);
    rows
}

fn postgres_rows(opts: &Opts, rt: &Runtimes, length: Duration, rounds: usize) -> Vec<Row> {
    let pg = postgres::Postgres::start();
    let config = Arc::new(pg.config());
    let name = format!("tokio-postgres SELECT 1, {CLIENTS} tasks ({WORKERS} workers)");
    let rows = rows_for(opts, &name, rounds, |setup| {
        // Connections are made by the setup's own tasks (their I/O belongs
        // to the runtime that made them), before the window.
        let clients: Vec<Arc<tokio_postgres::Client>> = rt.run_all(setup, CLIENTS, |_| {
            let config = config.clone();
            async move {
                let (client, connection) = tokio_postgres::connect(&config, tokio_postgres::NoTls)
                    .await
                    .expect("connect");
                tokio::spawn(connection);
                Arc::new(client)
            }
        });
        let clients = Arc::new(clients);
        timed_loops(rt, setup, length, move |i| {
            let client = clients[i].clone();
            async move {
                client.query_one("SELECT 1", &[]).await.expect("query");
            }
        })
    });
    drop(pg);
    rows
}

fn sleep_rows(opts: &Opts, rt: &Runtimes, rounds: usize) -> Vec<Row> {
    let name = format!("tokio::time::sleep(1 ms) x {SLEEPS} ({WORKERS} workers)");
    rows_for(opts, &name, rounds, |setup| {
        let start = Instant::now();
        let cpu = cpu_time();
        let latencies = rt.run_all(setup, SLEEPS, |_| async {
            let s = Instant::now();
            tokio::time::sleep(Duration::from_millis(1)).await;
            s.elapsed()
        });
        Window {
            ops: SLEEPS as u64,
            wall: start.elapsed(),
            cpu: cpu_time() - cpu,
            p99: p99(latencies),
        }
    })
}

/// Runs the suite. `--iters` sets the rounds (at most 5), each window lasts
/// 2 s.
pub fn run(opts: &Opts) -> Vec<Row> {
    let rt = Runtimes::new();
    let rounds = opts.iters.clamp(1, 5);
    let length = Duration::from_secs(2);
    let mut rows = Vec::new();
    if opts.wants("reqwest") {
        rows.extend(reqwest_rows(opts, &rt, length, rounds));
    }
    if opts.wants("postgres") {
        rows.extend(postgres_rows(opts, &rt, length, rounds));
    }
    if opts.wants("sleep") {
        rows.extend(sleep_rows(opts, &rt, rounds));
    }
    rows
}
