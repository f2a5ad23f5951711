//! The diagnostics suite: a task dump of 100,000 parked tasks, against
//! its budgets (no peer: Tokio's task dump needs `--cfg tokio_unstable`
//! and stops the runtime while it is taken).
//!
//! - `dump 100k parked tasks`: wall time of `Runtime::dump()`, budget 100 ms.
//! - `dump 100k: median/longest shard-lock hold`: how long a worker
//!   spawning or completing a task could wait for the dump, budget 10 µs
//!   (the longest includes the dumping thread preempted while it holds a
//!   lock, which no budget can rule out on a loaded machine).

use crate::harness::{Opts, Row};
use std::sync::Arc;
use std::time::Duration;
use tasklane::sync::AsyncManualResetEvent;

const TASKS: usize = 100_000;

pub fn run(opts: &Opts) -> Vec<Row> {
    let mut rows = Vec::new();
    if !opts.wants("dump") {
        return rows;
    }
    for &workers in &opts.workers {
        let rt = tasklane::Runtime::builder()
            .worker_threads(workers)
            .build()
            .expect("runtime");
        let gate = Arc::new(AsyncManualResetEvent::new(false));
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                let g = gate.clone();
                rt.run_async(async move { g.wait_async().await })
            })
            .collect();
        while rt.handle().counters().live_task_count < TASKS
            || tasks
                .iter()
                .any(|t| tasklane::diag::waiting_on(t).is_none())
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut took = Vec::new();
        let mut hold = Vec::new();
        let mut typical = Vec::new();
        for _ in 0..opts.warmup {
            let _ = rt.dump();
        }
        for _ in 0..opts.iters {
            let d = rt.dump();
            assert_eq!(d.tasks.len(), TASKS, "every parked task in the dump");
            took.push(d.took.as_secs_f64() * 1e3);
            hold.push(d.longest_lock_hold.as_secs_f64() * 1e6);
            typical.push(d.median_lock_hold.as_secs_f64() * 1e6);
        }
        gate.set();
        for t in tasks {
            t.wait().expect("released");
        }
        let budget = |what: &str, unit: &'static str, cost: f64, budget: f64| Row {
            name: format!("{what} ({workers}w)"),
            tasklane: cost,
            peer: budget,
            peer_name: "budget".into(),
            unit,
        };
        rows.push(budget(
            "dump 100k parked tasks",
            "ms",
            median(&mut took),
            100.0,
        ));
        rows.push(budget(
            "dump 100k: median shard-lock hold",
            "µs",
            median(&mut typical),
            10.0,
        ));
        rows.push(budget(
            "dump 100k: longest shard-lock hold",
            "µs",
            median(&mut hold),
            10.0,
        ));
    }
    rows
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
