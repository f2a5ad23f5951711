//! Tour sections for the task core: statuses, threads, synchronous
//! completion, errors, promises, continuations, broken promises, unobserved
//! faults.

use std::sync::{Arc, mpsc};
use std::time::Duration;
use tasklane::diag::ThreadCounters;
use tasklane::{ContinuationOptions, Runtime, Task, TaskCompletionSource, TaskError, block_on};

fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned()
}

pub fn statuses() {
    let cold = Task::new(|| 40 + 2);
    println!(
        "Task::new(..) makes a cold task: status {:?}",
        cold.status()
    );
    cold.start().unwrap();
    println!(
        "after start(): it is queued to the pool and runs; result {}",
        cold.result().unwrap()
    );
    println!("now its status is {:?}", cold.status());
    match cold.start() {
        Err(e) => println!("starting it again is a typed error: \"{e}\""),
        Ok(()) => println!("unexpected: started twice"),
    }

    let (release, gate) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel::<()>();
    let rt = Runtime::builder()
        .worker_threads(1)
        .thread_name("tour-one")
        .build()
        .unwrap();
    let busy = rt.run(move || {
        started_tx.send(()).unwrap();
        gate.recv().unwrap();
    });
    started.recv().unwrap();
    let queued = rt.run(|| "ran");
    println!(
        "on a 1-worker pool: the first task is {:?}, the one queued behind it is {:?}",
        busy.status(),
        queued.status()
    );
    release.send(()).unwrap();
    queued.wait().unwrap();
    println!(
        "after releasing the worker: {:?} and {:?}",
        busy.status(),
        queued.status()
    );

    let tcs = TaskCompletionSource::<u8>::new();
    println!(
        "a promise (TaskCompletionSource) waits: {:?}",
        tcs.task().status()
    );
    tcs.set_result(1).unwrap();
    println!("set_result(1) completes it: {:?}", tcs.task().status());
}

pub fn threads() {
    println!("main runs on thread '{}'", thread_name());
    let t = Task::run(thread_name);
    println!(
        "Task::run(..) ran on pool thread '{}' (the default runtime has one worker per core, numbered from 0; a pool that compensates for blocking adds threads numbered after them)",
        t.result().unwrap()
    );
    let a = Task::run_async(async {
        let before = thread_name();
        // A real wait: the task suspends, the thread is free meanwhile, and
        // the rest of the method may resume on another pool thread.
        let inner = Task::run(|| std::thread::sleep(Duration::from_millis(20)));
        inner.await.unwrap();
        (before, thread_name())
    });
    let (before, after) = a.result().unwrap();
    println!("an async task started on '{before}' and resumed after its await on '{after}'");
    println!("(no thread waited for those 20 ms: the await registered a continuation)");
}

pub fn sync_vs_suspend() {
    let done = Task::from_result(7);
    let before = ThreadCounters::current();
    let v = block_on(async { (&done).await.unwrap() });
    let after = ThreadCounters::current();
    println!(
        "awaiting a finished task: got {v}, wakers registered {}, tasks scheduled {} — it just continued",
        after.waker_registrations - before.waker_registrations,
        after.schedules - before.schedules
    );
    let tcs = TaskCompletionSource::<u8>::new();
    let pending = tcs.task();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        tcs.set_result(8).unwrap();
    });
    let before = ThreadCounters::current();
    let v = block_on(async { pending.await.unwrap() });
    let after = ThreadCounters::current();
    println!(
        "awaiting an unfinished task: got {v}, wakers registered {} — it suspended and was woken",
        after.waker_registrations - before.waker_registrations
    );
}

#[derive(Debug)]
struct NotFound(&'static str);
impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} not found", self.0)
    }
}
impl std::error::Error for NotFound {}

pub fn errors() {
    let tcs = TaskCompletionSource::<u8>::new();
    tcs.set_errors(vec![
        TaskError::new(NotFound("user")),
        TaskError::new(NotFound("order")),
    ])
    .unwrap();
    let t = tcs.task();
    match block_on(t.clone()) {
        Err(e) => println!(
            "`.await` gives the first error, original type: {e} (is NotFound: {})",
            e.downcast_ref::<NotFound>().is_some()
        ),
        Ok(_) => unreachable!(),
    }
    match t.wait() {
        Err(agg) => println!(
            "`wait()` gives an AggregateError with all {} errors: {agg}",
            agg.len()
        ),
        Ok(()) => unreachable!(),
    }
    let p = Task::run(|| -> u8 { panic!("index out of range") });
    println!(
        "a panic faults its task (the worker survives): {}",
        p.wait().unwrap_err().first()
    );
    let c = Task::<u8>::from_canceled();
    println!(
        "a canceled task: status {:?}, exception() = {:?}, wait() = {}",
        c.status(),
        c.exception().map(|e| e.to_string()),
        c.wait().unwrap_err()
    );
}

pub fn completion_source() {
    // A callback-style API, as legacy code has.
    fn fetch_with_callback(key: u32, done: impl FnOnce(Result<String, NotFound>) + Send + 'static) {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            done(if key == 1 {
                Ok("one".into())
            } else {
                Err(NotFound("key"))
            });
        });
    }
    fn fetch(key: u32) -> Task<String> {
        let tcs = TaskCompletionSource::new();
        let task = tcs.task();
        fetch_with_callback(key, move |r| {
            let _ = match r {
                Ok(v) => tcs.set_result(v).map_err(|_| ()),
                Err(e) => tcs.set_error(e).map_err(|_| ()),
            };
        });
        task
    }
    println!("fetch(1) via a wrapped callback: {:?}", block_on(fetch(1)));
    println!(
        "fetch(2) via a wrapped callback: {}",
        block_on(fetch(2)).unwrap_err()
    );
}

pub fn continuations() {
    let t = Task::run(|| 20);
    let c = t.continue_with(|t| t.result().unwrap() + 1, ContinuationOptions::NONE);
    println!("continue_with: 20 then +1 = {}", c.result().unwrap());
    let only_faulted = t.continue_with(|_| "handled", ContinuationOptions::ONLY_ON_FAULTED);
    only_faulted.wait().ok();
    println!(
        "an OnlyOnFaulted continuation of a successful task ends {:?}",
        only_faulted.status()
    );
    let all = Task::when_all((1..=5).map(|i| Task::run(move || i * i)));
    println!("when_all keeps input order: {:?}", all.result().unwrap());
    let slow = TaskCompletionSource::<&str>::new();
    let first = Task::when_any(vec![slow.task(), Task::run(|| "fast")])
        .result()
        .unwrap();
    println!(
        "when_any gives the first finished task itself: {:?}",
        first.result().unwrap()
    );
    slow.set_result("slow").unwrap();
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c2 = counter.clone();
    let y = Task::run_async(async move {
        for _ in 0..3 {
            c2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tasklane::yield_now().await;
        }
    });
    y.wait().unwrap();
    println!(
        "yield_now() let other work run between {} steps",
        counter.load(std::sync::atomic::Ordering::SeqCst)
    );
}

pub fn broken_promise() {
    let task = {
        let tcs = TaskCompletionSource::<u32>::new();
        tcs.task()
        // the source is dropped here without being completed
    };
    println!(
        "in .NET this await would hang forever; here: {}",
        block_on(task).unwrap_err()
    );
}

pub fn unobserved() {
    let previous = tasklane::diag::set_unobserved_fault_handler(Some(Arc::new(|f| {
        println!(
            "unobserved-fault handler called: task {} from {}: {}",
            f.task_id,
            f.location,
            f.errors.first()
        );
    })));
    let t = Task::try_run(|| -> Result<u8, NotFound> { Err(NotFound("config")) });
    while !t.is_completed() {
        std::thread::yield_now();
    }
    println!("a task faulted; nobody awaited it. Dropping its last handle…");
    drop(t);
    let t = Task::try_run(|| -> Result<u8, NotFound> { Err(NotFound("cache")) });
    let _ = t.wait();
    drop(t);
    println!("…and a fault someone observed (with wait) is never reported.");
    tasklane::diag::set_unobserved_fault_handler(previous);
}
