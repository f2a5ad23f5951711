//! Tour: coordination between tasks — a channel feeding workers, a
//! semaphore limiting them, progress reported to a UI thread, and a parked
//! task that says what it waits on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tasklane::Task;
use tasklane::context::Dispatcher;
use tasklane::sync::{BoundedChannelOptions, Channel, IProgress, Progress, SemaphoreSlim};

pub fn run() {
    // A bounded channel: the producer waits while 4 items are unread, as a
    // worker service fed by a queue does.
    let Channel { writer, reader } =
        Channel::<u32>::bounded(BoundedChannelOptions::new(4)).expect("capacity above zero");
    // At most 2 of the 3 consumers process an item at once.
    let gate = Arc::new(SemaphoreSlim::new(2, 2).expect("valid counts"));
    let busy = Arc::new(AtomicUsize::new(0));
    let most_busy = Arc::new(AtomicUsize::new(0));
    let consumers: Vec<Task<u32>> = (0..3)
        .map(|_| {
            let (reader, gate) = (reader.clone(), gate.clone());
            let (busy, most_busy) = (busy.clone(), most_busy.clone());
            Task::run_async(async move {
                let mut handled = 0;
                while let Ok(item) = reader.read_async().await {
                    let _permit = gate.acquire_async().await;
                    let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
                    most_busy.fetch_max(now, Ordering::SeqCst);
                    tasklane::time::delay(std::time::Duration::from_millis(1)).await;
                    busy.fetch_sub(1, Ordering::SeqCst);
                    handled += item;
                }
                handled
            })
        })
        .collect();
    let completion = reader.completion();
    drop(reader);
    let producer = Task::run_async(async move {
        for i in 1..=20 {
            writer.write_async(i).await.expect("the consumers read");
        }
        // Dropping the last writer completes the channel.
    });
    producer.wait().expect("the producer ran");
    let total: u32 = consumers
        .into_iter()
        .map(|c| c.result().expect("a consumer"))
        .sum();
    completion.wait().expect("completed and drained");
    println!(
        "Channel: 20 items through a bounded channel to 3 consumers; sum {total} (1+..+20 = 210), nothing lost."
    );
    println!(
        "SemaphoreSlim(2): at most {} consumers were busy at once.",
        most_busy.load(Ordering::SeqCst)
    );

    // Progress<T> captures the UI thread's context when created there:
    // reports from pool work run on the UI thread, in order.
    let ui = Dispatcher::start("tour-ui").expect("dispatcher");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let progress = ui
        .invoke(move || {
            Progress::new(move |percent: u32| {
                let thread = std::thread::current().name().unwrap_or("?").to_owned();
                sink.lock().unwrap().push(format!("{percent}% on {thread}"));
            })
        })
        .expect("the UI thread runs");
    Task::run(move || {
        for p in [25, 50, 75, 100] {
            progress.report(p);
        }
    })
    .wait()
    .expect("the work ran");
    ui.invoke(|| ()).expect("reports before this ran before it");
    println!(
        "Progress<T> from pool work: {}.",
        seen.lock().unwrap().join(", ")
    );
    ui.shutdown();

    // A task parked on a primitive says what it waits on.
    let empty = Arc::new(SemaphoreSlim::new(0, 1).expect("valid counts"));
    let e = empty.clone();
    let parked = Task::run_async(async move { e.wait_async().await });
    while tasklane::diag::waiting_on(&parked).is_none() {
        std::thread::yield_now();
    }
    println!(
        "A parked task is waiting on {}.",
        tasklane::diag::waiting_on(&parked).expect("parked")
    );
    empty.release().expect("below the maximum");
    parked.wait().expect("released");
}
