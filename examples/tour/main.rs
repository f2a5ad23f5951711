//! A guided tour of tasklane: each section shows one idea of how .NET's
//! async runtime works, running for real, and prints what happened in plain
//! lines.
//!
//! Run: `cargo run --release --example tour`

mod cancellation;
mod contexts;
mod coordination;
mod diagnostics;
mod io;
mod scheduler;
mod starvation;
mod task_core;

fn section(title: &str) {
    println!();
    println!("== {title} ==");
}

fn main() {
    // Panics inside tasks are part of the tour (they fault their task); keep
    // the default hook from printing a backtrace banner for each one.
    std::panic::set_hook(Box::new(|_| {}));

    println!("tasklane tour: the .NET task runtime, rebuilt for Rust.");
    println!("A Task is a promise of a result, not a thread. Watch where work runs.");

    section("1. A task's life: statuses");
    task_core::statuses();
    section("2. Which thread runs what");
    task_core::threads();
    section("3. Synchronous completion versus a real suspension");
    task_core::sync_vs_suspend();
    section("4. Errors: await gives the first, wait gives them all");
    task_core::errors();
    section("5. TaskCompletionSource: a callback API becomes a Task");
    task_core::completion_source();
    section("6. Continuations and combinators");
    task_core::continuations();
    section("7. A broken promise is an error, not a hang");
    task_core::broken_promise();
    section("8. A fault nobody looked at is reported");
    task_core::unobserved();
    section("9. The scheduler: work stealing, fairness, ValueTask");
    scheduler::run();
    section("10. Cancellation and time");
    cancellation::run();
    section("11. Contexts: a UI thread, configure_await, and waits that cannot deadlock");
    contexts::run();
    section("12. Async I/O keeps no thread waiting");
    io::run();
    section("13. A pool that cannot be starved: blocking, the supervisor, shrinking back");
    starvation::run();
    section("14. Coordination: channels, SemaphoreSlim, Progress<T>");
    coordination::run();
    section("15. Seeing what your program does: the task dump and the counters");
    diagnostics::run();

    println!();
    println!("End of the tour.");
}
