//! The measurement harness every suite shares: warm-up, timed iterations,
//! medians, and the table / TSV output.

use std::time::{Duration, Instant};

/// Command-line options every suite sees.
#[derive(Clone, Debug)]
pub struct Opts {
    /// Print `name<TAB>cost<TAB>peer cost<TAB>ratio` lines instead of a
    /// table (see [`Row`] for whose cost the first one is).
    pub tsv: bool,
    /// Worker counts to run the multi-threaded workloads at.
    pub workers: Vec<usize>,
    /// Timed iterations per workload (after warm-up).
    pub iters: usize,
    /// Warm-up iterations per workload.
    pub warmup: usize,
    /// Only workloads whose name contains this.
    pub filter: Option<String>,
    /// Overrides tasklane's hill-climbing default in the scheduler suite
    /// (`--hill-climbing on|off`), to measure what it costs.
    pub hill_climbing: Option<bool>,
}

impl Opts {
    /// True if the workload `name` passes the filter.
    pub fn wants(&self, name: &str) -> bool {
        self.filter.as_deref().is_none_or(|f| name.contains(f))
    }
}

/// One result row: the cost of tasklane and of the peer (lower is better)
/// for one workload, in `unit`.
#[derive(Clone, Debug)]
pub struct Row {
    /// Workload name (with the worker count where it applies).
    pub name: String,
    /// tasklane's cost, on every row but the scheduler suite's limit rows
    /// for tokio (`limit: … tokio vs floor`), where it is tokio's: those
    /// rows measure a runtime against a bare queue, and the name says which.
    pub tasklane: f64,
    /// The peer's cost.
    pub peer: f64,
    /// What the peer is ("tokio", "rayon", "bare queue", …).
    pub peer_name: String,
    /// Unit of both costs ("µs", "bytes", "allocs", …).
    pub unit: &'static str,
}

impl Row {
    /// tasklane cost ÷ peer cost: below 1.0 means tasklane is ahead.
    pub fn ratio(&self) -> f64 {
        if self.peer == 0.0 {
            if self.tasklane == 0.0 {
                1.0
            } else {
                f64::INFINITY
            }
        } else {
            self.tasklane / self.peer
        }
    }
}

/// Both runtimes at one worker count, built alike (every Tokio driver
/// enabled), for the suites that compare a workload on each.
pub struct Pair {
    pub tasklane: tasklane::Runtime,
    pub tokio: tokio::runtime::Runtime,
}

impl Pair {
    pub fn new(workers: usize) -> Pair {
        Pair {
            tasklane: tasklane::Runtime::builder()
                .worker_threads(workers)
                .thread_name("bench-tasklane")
                .build()
                .expect("tasklane runtime"),
            tokio: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("bench-tokio")
                .enable_all()
                .build()
                .expect("tokio runtime"),
        }
    }
}

/// Measures two implementations of one workload, interleaving their
/// iterations so machine noise hits both alike; returns (tasklane, peer)
/// medians in microseconds.
pub fn compare(opts: &Opts, mut tasklane: impl FnMut(), mut peer: impl FnMut()) -> (f64, f64) {
    compare_timed(
        opts,
        || {
            let s = Instant::now();
            tasklane();
            s.elapsed()
        },
        || {
            let s = Instant::now();
            peer();
            s.elapsed()
        },
    )
}

/// As [`compare`], for workloads with untimed set-up and tear-down in each
/// iteration: each closure measures its own timed part and returns it.
pub fn compare_timed(
    opts: &Opts,
    mut tasklane: impl FnMut() -> Duration,
    mut peer: impl FnMut() -> Duration,
) -> (f64, f64) {
    for _ in 0..opts.warmup {
        tasklane();
        peer();
    }
    let mut a = Vec::with_capacity(opts.iters);
    let mut b = Vec::with_capacity(opts.iters);
    for _ in 0..opts.iters.max(1) {
        a.push(tasklane());
        b.push(peer());
    }
    (median_us(&mut a), median_us(&mut b))
}

fn median_us(v: &mut [Duration]) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e6
}

/// Prints rows as a table or TSV.
pub fn print(rows: &[Row], tsv: bool) {
    if tsv {
        for r in rows {
            println!(
                "{}\t{:.3}\t{:.3}\t{:.3}",
                r.name,
                r.tasklane,
                r.peer,
                r.ratio()
            );
        }
        return;
    }
    // "cost", not "tasklane": a limit row's cost is the runtime its name
    // ends with (see `Row::tasklane`).
    println!(
        "{:<40} {:>14} {:>14} {:>12} {:>8}",
        "workload", "cost", "peer cost", "peer is", "ratio"
    );
    for r in rows {
        println!(
            "{:<40} {:>11.1} {:<2} {:>11.1} {:<2} {:>12} {:>8.3}",
            r.name,
            r.tasklane,
            r.unit,
            r.peer,
            r.unit,
            r.peer_name,
            r.ratio()
        );
    }
}
