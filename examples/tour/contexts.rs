//! Tour section: contexts — where the code after an `.await` runs, and what
//! flows with it.

use std::sync::{Arc, Barrier, LazyLock, mpsc};
use std::time::Duration;
use tasklane::context::{
    ConfigureAwaitExt, DeadlockError, Dispatcher, fire_and_forget, switch_to, switch_to_thread_pool,
};
use tasklane::diag::set_unhandled_error_handler;
use tasklane::{AsyncLocal, Task};

fn here() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed thread")
        .to_owned()
}

/// Pool work that takes a moment, so awaiting it really suspends.
fn slow_io() -> Task<u32> {
    Task::run(|| {
        std::thread::sleep(Duration::from_millis(20));
        42
    })
}

static REQUEST_ID: LazyLock<AsyncLocal<u32>> = LazyLock::new(AsyncLocal::new);

/// Runs the section.
pub fn run() {
    let ui = Dispatcher::start("ui").expect("start a dispatcher");

    println!(
        "A Dispatcher is a UI-like thread. A task homed on it resumes there after every await:"
    );
    let lines = ui
        .spawn(async {
            let before = here();
            slow_io().await.unwrap();
            format!("  before the await on '{before}', after it on '{}'", here())
        })
        .result()
        .unwrap();
    println!("{lines}");

    println!("configure_await(false) says: the rest of this task does not need the UI thread.");
    let lines = ui
        .spawn(async {
            slow_io().configure_await(false).await.unwrap();
            format!("  after configure_await(false): on '{}'", here())
        })
        .result()
        .unwrap();
    println!("{lines}");

    println!("Awaiting something already complete never hops, even with configure_await(false):");
    let lines = ui
        .spawn(async {
            Task::from_result(1).configure_await(false).await.unwrap();
            format!("  still on '{}'", here())
        })
        .result()
        .unwrap();
    println!("{lines}");

    println!("yield_now() on a dispatcher posts the rest behind the work already queued:");
    let (tx, rx) = mpsc::channel();
    let d = ui.clone();
    ui.spawn(async move {
        let tx2 = tx.clone();
        d.post(move || tx2.send("  the posted message ran first").unwrap())
            .unwrap();
        tasklane::yield_now().await;
        tx.send("  then the task, after its yield").unwrap();
    })
    .wait()
    .unwrap();
    for line in rx.try_iter() {
        println!("{line}");
    }

    println!("switch_to moves a task there and back explicitly:");
    let d = ui.clone();
    let lines = Task::run_async(async move {
        let start = here();
        switch_to(&d).await.unwrap();
        let middle = here();
        switch_to_thread_pool().await.unwrap();
        format!("  '{start}' -> '{middle}' -> '{}'", here())
    })
    .result()
    .unwrap();
    println!("{lines}");

    println!("The classic deadlock: .Result on the UI thread for a task that needs the UI thread.");
    let d = ui.clone();
    let got = ui
        .invoke(move || {
            d.spawn(async {
                slow_io().await.unwrap();
                "done"
            })
            .result()
        })
        .unwrap();
    println!(
        "  .NET hangs here; tasklane's wait ran the task's own continuation: {:?}",
        got.unwrap()
    );

    println!("Two UI threads blocked on each other cannot both make progress: that is reported.");
    let other = Dispatcher::start("ui-2").expect("start a second dispatcher");
    let both = Arc::new(Barrier::new(2));
    let one = ui.invoke_async({
        let (other, both) = (other.clone(), both.clone());
        move || {
            both.wait();
            other.invoke(|| ())
        }
    });
    let two = other.invoke_async({
        let (ui, both) = (ui.clone(), both.clone());
        move || {
            both.wait();
            ui.invoke(|| ())
        }
    });
    for r in [one.into_result().unwrap(), two.into_result().unwrap()] {
        match r {
            Ok(()) => println!("  one wait completed once the other gave up"),
            Err(e) => match e.downcast_ref::<DeadlockError>() {
                Some(d) => println!("  the other got a DeadlockError: {d}"),
                None => println!("  unexpected: {e}"),
            },
        }
    }
    other.shutdown();

    println!("fire_and_forget is async void made safe: a failure reaches a handler.");
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let previous = set_unhandled_error_handler(Some(Arc::new(move |e| {
        let _ = tx.lock().unwrap().send(format!("  handler: {e}"));
    })));
    fire_and_forget(async {
        slow_io().await.unwrap();
        Err::<(), _>(std::io::Error::other("the upload failed"))
    });
    if let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
        println!("{line}");
    }
    set_unhandled_error_handler(previous);

    println!("AsyncLocal values flow into work started later, and never back:");
    REQUEST_ID.set(Some(7));
    let child = Task::run_async(async {
        let seen = REQUEST_ID.get();
        REQUEST_ID.set(Some(99));
        seen
    })
    .result()
    .unwrap();
    println!(
        "  the child saw {child:?}, changed it to 99; the parent still has {:?}",
        REQUEST_ID.get()
    );
    REQUEST_ID.set(None);

    ui.shutdown();
}
