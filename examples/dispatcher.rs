//! A small "UI" on a tasklane `Dispatcher`: .NET's UI threading model and
//! `async void`, running for real.
//!
//! - a click handler starts async work and updates the UI state only on the
//!   UI thread (the state is `Rc<RefCell<..>>`: the compiler keeps it there);
//! - library-style code uses `configure_await(false)`, so it never needs the
//!   UI thread;
//! - .NET's classic UI deadlock (`GetDataAsync().Result` on the UI thread)
//!   completes,
//!   because a blocking wait on the UI thread runs the awaited task's own
//!   continuations;
//! - a fire-and-forget failure reaches the UI's unhandled-error handler.
//!
//! Run: `cargo run --example dispatcher`. `tests/dispatcher.rs` runs it too
//! (its [`run`]) and checks what it reports.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tasklane::context::{ConfigureAwaitExt, Dispatcher, fire_and_forget};
use tasklane::{AggregateError, Task, TaskError};

/// Where the current line runs.
fn here() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed thread")
        .to_owned()
}

/// Library code: it does not care which thread it resumes on, so it says so.
mod library {
    use super::*;

    /// Slow I/O, on the pool.
    pub fn read_file(name: &'static str) -> Task<String> {
        Task::run(move || {
            std::thread::sleep(Duration::from_millis(40));
            format!("contents of {name}")
        })
    }

    pub async fn fetch_report() -> String {
        let raw = read_file("report.csv")
            .configure_await(false)
            .await
            .expect("read");
        // Parsing continues on a pool thread: the UI thread stays free.
        println!(
            "  [library] parsing on '{}' (configure_await(false))",
            here()
        );
        raw.to_uppercase()
    }

    pub async fn save(doc: &str) -> Result<(), std::io::Error> {
        read_file("settings.ini").configure_await(false).await.ok();
        Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("cannot save {doc}: the disk is read-only"),
        ))
    }
}

/// The window's state: UI objects that must stay on the UI thread.
struct Window {
    label: RefCell<String>,
}

impl Window {
    fn set_label(&self, text: &str) {
        *self.label.borrow_mut() = text.to_owned();
        println!("  [ui] label = {text:?} (on '{}')", here());
    }
}

/// A click handler: starts async work on the UI thread and updates the
/// window after every await, still on the UI thread. Its task ends with the
/// label it left.
fn on_click(ui: &Dispatcher, window: Rc<Window>) -> Task<String> {
    let ui2 = ui.clone();
    ui.spawn_local(async move {
        window.set_label("Loading…");
        // Calling an async method, C#-style: it starts here as a task of its
        // own, so its configure_await(false) moves *it* to the pool, not this
        // handler.
        let report = ui2.spawn(library::fetch_report()).await.expect("report");
        // Back on the UI thread: the handler's home is the dispatcher (and
        // its `Rc` state could not leave it anyway).
        window.set_label(&report);
        window.label.borrow().clone()
    })
    .expect("called on the UI thread")
}

/// The classic `GetDataAsync`: an async method started on the UI thread, so
/// its continuation needs the UI thread.
async fn get_data_async() -> String {
    library::read_file("data.json").await.expect("read");
    format!("data, resumed on '{}'", here())
}

/// The classic `GetData`: sync-over-async on the UI thread.
fn get_data(ui: &Dispatcher) -> Result<String, AggregateError> {
    ui.spawn(get_data_async()).result()
}

/// What the walk-through saw.
pub struct Report {
    /// The window's label after the click handler ran.
    pub label: String,
    /// What `GetData` returned on the UI thread.
    pub data: Result<String, AggregateError>,
    /// The failures the UI's unhandled-error handler heard, with the thread
    /// it heard each on.
    pub unhandled: Vec<(String, String)>,
    /// What `invoke` answered once the UI was shut down.
    pub late: TaskError,
}

// `tests/dispatcher.rs` includes this file and calls `run`, not `main`.
#[cfg_attr(test, allow(dead_code))]
fn main() {
    let report = run();
    println!(
        "Done: label {:?}; GetData {}; {} failure(s) reported to the UI; late invoke: {}.",
        report.label,
        if report.data.is_ok() {
            "completed"
        } else {
            "failed"
        },
        report.unhandled.len(),
        report.late
    );
}

/// Walks through the four scenes, printing as it goes.
pub fn run() -> Report {
    let ui = Dispatcher::start("ui").expect("start the UI thread");
    let unhandled = Arc::new(Mutex::new(Vec::new()));
    ui.set_unhandled_error_handler(Some(Arc::new({
        let unhandled = unhandled.clone();
        move |e| {
            println!("  [ui] unhandled error, reported on '{}': {}", here(), e);
            unhandled
                .lock()
                .unwrap()
                .push((e.error.to_string(), here()));
        }
    })));

    println!("1. A click starts async work; the UI state changes only on the UI thread.");
    let clicked = ui
        .invoke({
            let ui = ui.clone();
            move || {
                let window = Rc::new(Window {
                    label: RefCell::new(String::from("Ready")),
                });
                on_click(&ui, window)
            }
        })
        .expect("invoke");
    let label = clicked.result().expect("the click handler finished");

    println!(
        "2. .NET's classic UI deadlock: GetDataAsync().Result on the UI thread, for a task that needs it."
    );
    let started = Instant::now();
    let got = ui
        .invoke({
            let ui = ui.clone();
            move || get_data(&ui)
        })
        .expect("invoke");
    match &got {
        Ok(data) => println!(
            "  got {data:?} in {} ms: the blocked UI thread ran the task's own continuation",
            started.elapsed().as_millis()
        ),
        Err(e) => println!("  failed: {e}"),
    }

    println!("3. Fire-and-forget (async void) that fails: the UI's handler hears of it.");
    ui.invoke(|| {
        fire_and_forget(async {
            library::save("notes.txt").await?;
            Ok::<(), std::io::Error>(())
        })
    })
    .expect("invoke");
    // Let the failure arrive, then close the window.
    while ui.outstanding_operations() > 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    ui.invoke(|| ()).expect("the handler ran");

    println!("4. Work for a closed UI is cancelled, not lost.");
    ui.shutdown_timeout(Duration::from_secs(5));
    let late: Result<(), TaskError> = ui.invoke(|| ());
    let late = late.expect_err("a shut-down UI runs nothing");
    println!("  invoke after shutdown: {late}");
    let unhandled = std::mem::take(&mut *unhandled.lock().unwrap());
    Report {
        label,
        data: got,
        unhandled,
        late,
    }
}
