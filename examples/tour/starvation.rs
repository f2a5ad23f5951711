//! Tour section: a pool that cannot be starved — blocking work makes the
//! pool grow, the supervisor names a task that blocks without saying so,
//! and the pool shrinks back when the blocking is over.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tasklane::diag::{StarvationEvent, StarvationKind, set_starvation_handler};
use tasklane::{Runtime, Task, TaskCompletionSource};

/// Prints what the pool does when work blocks, in plain lines.
pub fn run() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .thread_idle_timeout(Duration::from_millis(300))
        .thread_name("tour-blocking")
        .build()
        .expect("a runtime");
    let pool = rt.handle().clone();
    println!(
        "A pool with {} worker threads (one per core, as .NET starts).",
        pool.thread_count()
    );

    // 1. The classic deadlock: .Result on the pool, on work that needs it.
    println!("8 tasks each block in wait() on a task of their own, and those 8 inner tasks");
    println!("only finish once all of them run at the same time. On 2 threads that is the");
    println!("classic .NET starvation deadlock.");
    let all_in = Arc::new(TaskCompletionSource::<()>::new());
    let arrived = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let outers: Vec<Task<()>> = (0..8)
        .map(|_| {
            let (all_in, arrived, peak, pool) =
                (all_in.clone(), arrived.clone(), peak.clone(), pool.clone());
            rt.run(move || {
                let inner = Task::run(move || {
                    if arrived.fetch_add(1, SeqCst) + 1 == 8 {
                        all_in.set_result(()).unwrap();
                    }
                    all_in.task().wait().unwrap();
                    peak.fetch_max(pool.thread_count(), SeqCst);
                });
                inner.wait().unwrap();
            })
        })
        .collect();
    for t in &outers {
        t.wait().unwrap();
    }
    println!("All 8 finished: every wait() told the pool its thread was blocked, and the pool",);
    println!(
        "added a thread for each at once ({} threads at the peak).",
        peak.load(SeqCst)
    );
    shrink_back(&pool);

    // 2. Blocking nobody announced: a plain sleep inside a task.
    let events: Arc<Mutex<Vec<StarvationEvent>>> = Arc::default();
    let sink = events.clone();
    let id = pool.pool_id();
    let previous = set_starvation_handler(Some(Arc::new(move |e: &StarvationEvent| {
        if e.pool_id == id {
            sink.lock().unwrap().push(e.clone());
        }
    })));
    println!();
    println!("Now two tasks call std::thread::sleep(1 s) with no annotation at all,");
    println!("holding both workers, and a short task is queued behind them.");
    let sleepers: Vec<Task<()>> = (0..2)
        .map(|_| rt.run(|| std::thread::sleep(Duration::from_secs(1))))
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    let queued_at = Instant::now();
    let short = rt.run(|| "done");
    short.wait().unwrap();
    println!(
        "The short task ran after {} ms, long before the sleeps ended:",
        queued_at.elapsed().as_millis()
    );
    for e in events.lock().unwrap().iter() {
        if e.kind == StarvationKind::BlockedInPoll {
            let task = match (e.task_id, e.location) {
                (Some(id), Some(loc)) => format!("task {id}, spawned at {loc}"),
                _ => "a task that just finished".to_owned(),
            };
            // Slots are reused: a thread added during the first part may
            // hold a number above the pool's 2 workers.
            let which = if e.worker < 2 {
                format!("worker {}", e.worker)
            } else {
                format!(
                    "worker {} (a thread added while compensating earlier)",
                    e.worker
                )
            };
            println!(
                "  the supervisor saw {which} asleep in the kernel for {} ms running {task},",
                e.running_for.as_millis()
            );
        }
    }
    println!(
        "  and counted those workers as blocked, adding threads in their place ({} now).",
        pool.thread_count()
    );
    for s in &sleepers {
        s.wait().unwrap();
    }
    set_starvation_handler(previous);
    shrink_back(&pool);
}

/// Waits for the threads added for blocking to idle out, and says so.
fn shrink_back(pool: &tasklane::Handle) {
    if pool.thread_count() <= 2 {
        println!("The extra threads had already idled out meanwhile: back to 2 threads.");
        return;
    }
    let idle_since = Instant::now();
    while pool.thread_count() > 2 && idle_since.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "With the blocking over, the extra threads idled out: back to {} threads {} ms later",
        pool.thread_count(),
        idle_since.elapsed().as_millis()
    );
    println!("(thread_idle_timeout is 300 ms here, 2 s by default).");
}
