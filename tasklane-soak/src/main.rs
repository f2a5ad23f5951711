//! The soak: `--tasks N` (default 1,000,000) mixed tasks through one
//! runtime, in batches, beside `--idle I` (default 20,000) idle tasks that
//! stay pending on a promise for the whole run, as a server's idle
//! connections do. It checks that every task reached a final state exactly
//! once (its body ran as often as its kind says), every continuation ran
//! exactly once, the runtime's counters come back to zero after each batch
//! (but for the idle tasks), and memory stays flat from the second batch to
//! the last: resident memory and live heap bytes each grow by under 10 %.
//! Exit status 0 only if all of that held.
//!
//! Run: `cargo ci soak --tasks 1000000` (release build), or
//! `cargo run --release -p tasklane-soak -- --tasks N [--batch B] [--idle I] [--verbose]`.
//!
//! The last line reads `soak: N tasks, lost L, duplicated D, rss growth X %`.

mod heap;
mod kinds;
mod ledger;
mod sockets;

use kinds::{KINDS, Kind, SoakError, World};
use ledger::{Ledger, Tally};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tasklane::{Dispatcher, Runtime, TaskStatus};

#[global_allocator]
static ALLOC: heap::Counting = heap::Counting;

/// The most a batch may take to settle before its missing tasks count as
/// lost.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);
/// The most the runtime's counters may take to come back to zero.
const QUIET_LIMIT: Duration = Duration::from_secs(30);
/// The allowed growth of memory (resident, and live heap) from the second
/// batch to the last, in percent.
const GROWTH_LIMIT: f64 = 10.0;

/// Growth from `from` to `to`, in percent.
fn percent(from: Option<u64>, to: f64) -> f64 {
    from.map_or(0.0, |f| (to - f as f64) / f as f64 * 100.0)
}

struct Args {
    tasks: usize,
    batch: usize,
    /// Idle tasks alive through the whole run.
    idle: usize,
    /// Print every batch's figures.
    verbose: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        tasks: 1_000_000,
        batch: 10_000,
        idle: 20_000,
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let value = |it: &mut dyn Iterator<Item = String>| -> Result<usize, String> {
            let v = it.next().ok_or(format!("{a} needs a number"))?;
            v.replace('_', "")
                .parse()
                .map_err(|e| format!("{a} {v}: {e}"))
        };
        match a.as_str() {
            "--tasks" => args.tasks = value(&mut it)?,
            "--batch" => args.batch = value(&mut it)?.max(1),
            "--idle" => args.idle = value(&mut it)?,
            "--verbose" => args.verbose = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; use --tasks N [--batch B] [--idle I] [--verbose]"
                ));
            }
        }
    }
    Ok(args)
}

/// Resident memory of this process, in bytes, after the allocator gave back
/// what it holds free (so the figure follows live memory more than the
/// allocator's caches, which rise and fall with how many tasks happened to
/// overlap).
fn rss() -> u64 {
    // SAFETY: malloc_trim only releases free memory of glibc's heap.
    unsafe { libc::malloc_trim(0) };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// The idle tasks: pending on one promise from the start of the run to its
/// end, then released, each recording its end in a ledger of its own.
struct Idle {
    gate: tasklane::TaskCompletionSource<()>,
    ledger: Arc<Ledger>,
}

impl Idle {
    fn start(n: usize) -> Idle {
        let gate = tasklane::TaskCompletionSource::<()>::new();
        let ledger = Arc::new(Ledger::new(n));
        for i in 0..n {
            ledger.expect_body(i, 1);
            let (open, l) = (gate.task(), ledger.clone());
            let t = tasklane::Task::run_async(async move {
                (&open).await.expect("the gate opens");
                l.body(i);
            });
            kinds::track(&ledger, i, &t, TaskStatus::RanToCompletion);
        }
        Idle { gate, ledger }
    }

    /// Opens the gate and waits for every idle task.
    fn release(self) -> Tally {
        self.gate.set_result(()).expect("the gate opens once");
        self.ledger.settle(SETTLE_LIMIT)
    }
}

/// The batch in progress, for the unhandled-error handler (fire-and-forget
/// failures are how those tasks report their end).
static CURRENT: Mutex<Option<Arc<Ledger>>> = Mutex::new(None);
/// Faults nobody observed (the soak observes every one it makes).
static UNOBSERVED: AtomicUsize = AtomicUsize::new(0);
/// Unhandled errors that were not a soak task's own failure.
static STRAY_ERRORS: AtomicUsize = AtomicUsize::new(0);

fn install_handlers() {
    tasklane::diag::set_unhandled_error_handler(Some(Arc::new(|e| {
        match e.error.downcast_ref::<SoakError>() {
            Some(SoakError(i)) => {
                if let Some(l) = CURRENT.lock().unwrap().as_ref() {
                    l.ended(*i, TaskStatus::Faulted, TaskStatus::Faulted);
                }
            }
            None => {
                STRAY_ERRORS.fetch_add(1, Ordering::Relaxed);
                eprintln!("soak: unexpected unhandled error: {e}");
            }
        }
    })));
    tasklane::diag::set_starvation_handler(Some(Arc::new(|e| {
        eprintln!("soak: starvation: {e}");
    })));
    tasklane::diag::set_unobserved_fault_handler(Some(Arc::new(|f| {
        UNOBSERVED.fetch_add(1, Ordering::Relaxed);
        eprintln!("soak: unexpected unobserved fault: {f}");
    })));
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::from(2);
        }
    };
    install_handlers();
    let rt = Runtime::new().expect("runtime");
    let _enter = rt.handle().enter();
    let ui = Dispatcher::start("soak-ui").expect("dispatcher");
    let echo = Arc::new(sockets::Echo::start().expect("echo server"));
    let world = World {
        ui: ui.clone(),
        echo: echo.clone(),
    };
    let idle = Idle::start(args.idle);
    let started = Instant::now();
    let mut total = Tally::default();
    let mut rss_second = None;
    let mut rss_last = 0;
    let mut heap_second = None;
    let mut heap_last = 0;
    let mut peak = 0;
    let mut problems = Vec::new();
    let mut done = 0;
    let mut batch = 0;
    while done < args.tasks {
        let n = args.batch.min(args.tasks - done);
        let ledger = Arc::new(Ledger::new(n));
        *CURRENT.lock().unwrap() = Some(ledger.clone());
        for i in 0..n {
            let kind: Kind = KINDS[(done + i) % KINDS.len()];
            kinds::spawn(&world, &ledger, i, kind);
        }
        let tally = ledger.settle(SETTLE_LIMIT);
        *CURRENT.lock().unwrap() = None;
        echo.settled();
        total.lost += tally.lost;
        total.duplicated += tally.duplicated;
        total.wrong += tally.wrong;
        // The idle tasks (and the continuations that track them), the echo
        // server's accept loop and its connection tasks stay live.
        let server_tasks = 2 * args.idle + 1 + echo.connections();
        drop(ledger);
        if let Err(e) = quiet(&rt, &ui, server_tasks) {
            problems.push(format!("batch {batch}: {e}"));
        }
        let now = rss();
        let heap_now = heap::live();
        peak = peak.max(now);
        if batch == 1 {
            rss_second = Some(now);
            heap_second = Some(heap_now);
        }
        rss_last = now;
        heap_last = heap_now;
        if args.verbose {
            eprintln!(
                "soak: batch {batch}: rss {:.2} MiB, heap {} B, threads {} (pool {}), live {} pending {} timers {} connections {}",
                now as f64 / (1024.0 * 1024.0),
                heap::live(),
                std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count()),
                rt.handle().worker_count(),
                rt.handle().live_task_count(),
                rt.handle().pending_work_item_count(),
                tasklane::time::active_count(),
                echo.connections()
            );
        }
        done += n;
        batch += 1;
    }
    let idle_tally = idle.release();
    total.lost += idle_tally.lost;
    total.duplicated += idle_tally.duplicated;
    total.wrong += idle_tally.wrong;
    echo.stop();
    if let Err(e) = quiet(&rt, &ui, 0) {
        problems.push(format!("at the end: {e}"));
    }
    let growth = percent(rss_second, rss_last as f64);
    let heap_growth = percent(heap_second.map(|h| h as u64), heap_last as f64);
    let elapsed = started.elapsed();
    if !ui.shutdown_timeout(QUIET_LIMIT) {
        problems.push("the dispatcher did not stop".to_owned());
    }
    if !rt.shutdown_timeout(QUIET_LIMIT) {
        problems.push("the runtime's threads did not stop".to_owned());
    }
    if total.wrong > 0 {
        problems.push(format!("{} tasks ended in the wrong state", total.wrong));
    }
    let unobserved = UNOBSERVED.load(Ordering::Relaxed);
    if unobserved > 0 {
        problems.push(format!("{unobserved} unobserved faults"));
    }
    let stray = STRAY_ERRORS.load(Ordering::Relaxed);
    if stray > 0 {
        problems.push(format!("{stray} unexpected unhandled errors"));
    }
    if growth >= GROWTH_LIMIT {
        problems.push(format!("rss grew {growth:.1} % (limit {GROWTH_LIMIT} %)"));
    }
    if heap_growth >= GROWTH_LIMIT {
        problems.push(format!(
            "live heap grew {heap_growth:.1} % (limit {GROWTH_LIMIT} %)"
        ));
    }
    eprintln!(
        "soak: {batch} batches in {:.1} s ({:.0} tasks/s) beside {} idle tasks, rss {:.1} MiB at most, live heap growth {heap_growth:.1} %",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64(),
        args.idle,
        peak as f64 / (1024.0 * 1024.0)
    );
    for p in &problems {
        eprintln!("soak: FAILED: {p}");
    }
    println!(
        "soak: {done} tasks, lost {}, duplicated {}, rss growth {growth:.1} %",
        total.lost, total.duplicated
    );
    if problems.is_empty() && total.lost == 0 && total.duplicated == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Waits until the runtime (but for `tasks` of its tasks), the dispatcher
/// and the timers hold nothing.
fn quiet(rt: &Runtime, ui: &Dispatcher, tasks: usize) -> Result<(), String> {
    let h = rt.handle();
    let deadline = Instant::now() + QUIET_LIMIT;
    loop {
        let live = h.live_task_count();
        let pending = h.pending_work_item_count();
        let timers = tasklane::time::active_count();
        let on_ui = ui.live_tasks();
        if live <= tasks && pending == 0 && timers == 0 && on_ui == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "counters did not return to zero: {live} live tasks (allowed: {tasks}, the idle ones and the echo server's), {pending} pending items, {timers} timers, {on_ui} dispatcher tasks"
            ));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
