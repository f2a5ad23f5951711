//! The blocking run over time, for the plot in docs/: every 10 ms, the
//! runtime's thread count and the short tasks first polled in that 10 ms,
//! for tasklane (annotated and bare) and tokio (same code, spawn_blocking),
//! sampled on, after the run, long enough to see the threads go back.
//!
//! Written as CSV (`variant,t_ms,threads,short_tasks_polled`) to
//! `$TASKLANE_BLOCKING_CSV`, default `target/blocking_timeline.csv`;
//! `python3 docs/plot_blocking.py <csv> docs/blocking.png` draws it.

use super::{SPAN, Variant, run_once, spawner};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Sampling period.
const STEP: Duration = Duration::from_millis(10);
/// Sampling continues this long after the spawning ends (tasklane's idle
/// timeout is 2 s).
const TAIL: Duration = Duration::from_millis(3500);

/// Runs each variant once while sampling, and writes the CSV.
pub(crate) fn write(workers: usize) {
    let path = std::env::var("TASKLANE_BLOCKING_CSV")
        .unwrap_or_else(|_| "target/blocking_timeline.csv".to_owned());
    let mut csv = String::from("variant,t_ms,threads,short_tasks_polled\n");
    for v in [
        Variant::Annotated,
        Variant::Unannotated,
        Variant::TokioSameCode,
        Variant::TokioSpawnBlocking,
    ] {
        let s = spawner(v, workers);
        let stop = AtomicBool::new(false);
        let start = Instant::now();
        let (samples, run) = std::thread::scope(|scope| {
            let sampler = scope.spawn(|| {
                let mut samples = Vec::new();
                let mut next = start;
                while !stop.load(Relaxed) {
                    samples.push((next.duration_since(start), s.threads()));
                    next += STEP;
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                }
                samples
            });
            let run = run_once(&*s);
            let end = start + SPAN + TAIL;
            std::thread::sleep(end.saturating_duration_since(Instant::now()));
            stop.store(true, Relaxed);
            (sampler.join().expect("sampler"), run)
        });
        drop(s);
        let mut back_at = None;
        let peak = samples.iter().map(|&(_, n)| n).max().unwrap_or(0);
        for &(t, threads) in &samples {
            let lo = t.as_secs_f64() * 1e6;
            let hi = lo + STEP.as_secs_f64() * 1e6;
            let polled = run
                .polled_at_us
                .iter()
                .filter(|&&p| p >= lo && p < hi)
                .count();
            let _ = writeln!(
                csv,
                "{},{:.0},{threads},{polled}",
                v.name(),
                t.as_secs_f64() * 1e3
            );
            if back_at.is_none() && t > SPAN && threads <= workers {
                back_at = Some(t);
            }
        }
        eprintln!(
            "timeline: {}: peak {peak} threads; back to {workers} at {}",
            v.name(),
            back_at.map_or("never (within the sampling)".to_owned(), |t| format!(
                "{:.2} s",
                t.as_secs_f64()
            ))
        );
    }
    match std::fs::write(&path, csv) {
        Ok(()) => eprintln!("timeline: wrote {path}"),
        Err(e) => eprintln!("timeline: could not write {path}: {e}"),
    }
}
