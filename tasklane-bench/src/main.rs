//! Benchmarks tasklane against its peers in the same process run.
//!
//! `cargo run --release -p tasklane-bench -- <suite> [--tsv] [--workers 2,4]
//! [--iters N] [--warmup N] [--filter NAME]`; or `-- http-serve
//! <tasklane|tokio> <workers> <port>` for one HTTP bench server alone, to
//! profile under a load generator of one's own.
//!
//! Every row is a ratio against a peer measured in the same run: tasklane
//! cost ÷ peer cost, below 1.0 when tasklane is ahead. `--tsv` prints one
//! line per row: `name<TAB>cost<TAB>peer cost<TAB>ratio`. The scheduler
//! suite's "limit" rows (`limit: <workload> (<n>w) <runtime> vs floor`)
//! measure the runtime the name ends with against a bare queue: their
//! columns are that runtime's cost (tokio's, in a tokio row), the floor's
//! cost, and runtime ÷ floor.

mod blocking;
mod contexts;
mod diag;
mod ecosystem;
mod harness;
mod io;
mod memory;
mod parallel;
mod scheduler;
mod sync;
mod time;

use harness::{Opts, Row};

/// A suite: runs its workloads, returns one row each.
type Suite = fn(&Opts) -> Vec<Row>;

/// The suites, by name.
const SUITES: &[(&str, Suite)] = &[
    ("scheduler", scheduler::run),
    ("blocking", blocking::run),
    ("memory", memory::run),
    ("time", time::run),
    ("contexts", contexts::run),
    ("io", io::run),
    ("ecosystem", ecosystem::run),
    ("sync", sync::run),
    ("parallel", parallel::run),
    ("diag", diag::run),
];

/// Counts allocations in the memory suite's child processes (see
/// `memory.rs`); elsewhere it only forwards to the system allocator.
#[global_allocator]
static ALLOCATOR: memory::CountingAlloc = memory::CountingAlloc;

fn usage() -> ! {
    let names: Vec<&str> = SUITES.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "usage: tasklane-bench <suite|all> [--tsv] [--workers 2,4] [--iters N] [--warmup N] [--filter NAME] [--hill-climbing on|off]\nsuites: {}\nor: tasklane-bench http-serve <tasklane|tokio> <workers> <port> (one HTTP bench server alone, until killed)\n--tsv columns: name, cost, peer cost, ratio (cost ÷ peer cost). The cost is tasklane's, except in 'limit: <workload> (<n>w) <runtime> vs floor' rows: there it is that runtime's cost, and the peer is the floor.",
        names.join(", ")
    );
    std::process::exit(2);
}

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    if all.first().map(String::as_str) == Some(memory::CHILD_ARG) {
        memory::child_main(&all[1..]);
    }
    if all.first().map(String::as_str) == Some("http-serve")
        && let Err(e) = io::http_serve(&all[1..])
    {
        eprintln!("tasklane-bench http-serve: {e}");
        std::process::exit(2);
    }
    let mut args = all.into_iter();
    let Some(suite) = args.next() else { usage() };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut opts = Opts {
        tsv: false,
        workers: vec![cores, 4],
        iters: 15,
        warmup: 3,
        filter: None,
        hill_climbing: None,
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tsv" => opts.tsv = true,
            "--workers" => {
                let v = args.next().unwrap_or_else(|| usage());
                opts.workers = v.split(',').filter_map(|s| s.parse().ok()).collect();
                if opts.workers.is_empty() {
                    usage();
                }
            }
            "--iters" => {
                opts.iters = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--warmup" => {
                opts.warmup = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--filter" => opts.filter = Some(args.next().unwrap_or_else(|| usage())),
            "--hill-climbing" => {
                opts.hill_climbing = match args.next().as_deref() {
                    Some("on") => Some(true),
                    Some("off") => Some(false),
                    _ => usage(),
                }
            }
            _ => usage(),
        }
    }
    opts.workers.dedup();
    let mut rows = Vec::new();
    let mut found = false;
    for (name, run) in SUITES {
        if suite == "all" || suite == *name {
            found = true;
            rows.extend(run(&opts));
        }
    }
    if !found {
        usage();
    }
    harness::print(&rows, opts.tsv);
}
