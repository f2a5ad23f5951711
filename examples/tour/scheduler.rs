//! Tour section: the scheduler and `ValueTask`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};
use tasklane::{ManualResetValueTaskSource, Runtime, Task, ThreadPool, ValueTask, block_on};

/// Prints what the scheduler does, in plain lines.
pub fn run() {
    // ValueTask: a result that may already be there.
    let ready = ValueTask::from_result(21);
    println!(
        "A ValueTask made from a value is complete at once ({}), and awaiting it allocates nothing.",
        ready.is_completed()
    );
    let doubled = block_on(async { ready.await.unwrap() * 2 });
    println!("Awaited: {doubled}.");

    // A reusable source: many operations, no allocation, versioned.
    let source = Arc::new(ManualResetValueTaskSource::<u32>::new());
    for op in 1..=3 {
        let version = source.reset();
        let pending = source.value_task();
        let s = source.clone();
        std::thread::spawn(move || s.set_result(op * 10).unwrap());
        println!(
            "Source operation {version} completed from another thread with {}.",
            block_on(pending).unwrap()
        );
    }
    let stale = source.value_task();
    source.reset();
    match block_on(stale) {
        Ok(v) => println!("Unexpected value {v} from a stale ValueTask."),
        Err(e) => println!("Awaiting a ValueTask of an earlier operation is an error: {e}"),
    }

    // Fairness: a task that wakes itself forever does not starve the rest.
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_name("tour-pool")
        .build()
        .expect("a runtime");
    let stop = Arc::new(AtomicBool::new(false));
    let spinner = {
        let stop = stop.clone();
        rt.run_async(std::future::poll_fn(move |cx| {
            if stop.load(SeqCst) {
                return std::task::Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }))
    };
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let jobs: Vec<Task<()>> = (0..100)
        .map(|_| {
            let done = done.clone();
            rt.run(move || {
                done.fetch_add(1, SeqCst);
            })
        })
        .collect();
    for job in &jobs {
        job.wait_timeout(Duration::from_secs(10));
    }
    println!(
        "With one worker busy re-waking a task forever, {} queued jobs still ran, in {:?}.",
        done.load(SeqCst),
        start.elapsed()
    );
    stop.store(true, SeqCst);
    spinner.wait().unwrap();

    let _enter = rt.handle().enter();
    println!(
        "That pool has {} worker thread(s) and has run {} work items.",
        ThreadPool::thread_count(),
        ThreadPool::completed_work_item_count()
    );
}
