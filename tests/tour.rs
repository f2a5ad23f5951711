//! Every section of the tour compiles and runs to the end (the tour itself
//! is `cargo run --release --example tour`).

#[path = "../examples/tour/contexts.rs"]
mod contexts;
#[path = "../examples/tour/io.rs"]
mod io;
#[path = "../examples/tour/scheduler.rs"]
mod scheduler;
#[path = "../examples/tour/task_core.rs"]
mod task_core;

#[test]
fn task_core_sections_run() {
    task_core::statuses();
    task_core::threads();
    task_core::sync_vs_suspend();
    task_core::errors();
    task_core::completion_source();
    task_core::continuations();
    task_core::broken_promise();
    task_core::unobserved();
}

#[test]
fn contexts_section_runs() {
    contexts::run();
}

#[path = "../examples/tour/cancellation.rs"]
mod cancellation;

#[test]
fn cancellation_section_runs() {
    cancellation::run();
}

#[test]
fn io_section_runs() {
    io::run();
}

#[test]
fn scheduler_section_runs() {
    scheduler::run();
}

#[path = "../examples/tour/starvation.rs"]
mod starvation;

#[test]
fn starvation_section_runs() {
    starvation::run();
}
