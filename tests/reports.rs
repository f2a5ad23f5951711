//! The runtime's default reports, as a person running the program sees
//! them: with no handler and no `tracing` subscriber, every kind is one
//! stderr line; identical reports from one location are summed up instead
//! of printed thousands of times; a slow shutdown says what it waits for.
//!
//! Each case runs in a child process, to read its stderr.

mod common;

use common::child::{child_only, finish, spawn};
use std::time::Duration;
use tasklane::pool::PoolSettings;
use tasklane::{Runtime, Task};

const FAULTS: usize = 5_000;

fn lines_with<'a>(stderr: &'a str, needle: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.contains(needle)).collect()
}

/// "... and 4,999 more unobserved task faults from …" → 4999.
fn summary_count(line: &str) -> usize {
    let after = &line[line.find("... and ").expect("a summary") + 8..];
    after[..after.find(' ').unwrap()]
        .replace(',', "")
        .parse()
        .unwrap()
}

#[test]
fn thousands_of_identical_faults_print_one_line_and_a_count() {
    let (_, err) = finish(spawn("child_thousands_of_faults"), None);
    let full = lines_with(&err, "faulted and nobody observed it");
    let summaries = lines_with(&err, "more unobserved task faults from tests/reports.rs:");
    assert!(!full.is_empty(), "no report at all:\n{err}");
    assert!(
        full.iter().all(|l| l.starts_with("tasklane: task ")),
        "{full:?}"
    );
    // One full line per window, each window summed up: nothing lost,
    // nothing printed 5,000 times.
    let counted: usize = summaries.iter().map(|l| summary_count(l)).sum();
    assert_eq!(full.len() + counted, FAULTS, "{err}");
    assert!(full.len() <= summaries.len() + 1, "{err}");
    assert!(err.lines().count() < 50, "{err}");
}

#[test]
#[ignore = "run by its parent test, in a process of its own"]
fn child_thousands_of_faults() {
    child_only("child_thousands_of_faults");
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let tasks: Vec<Task<()>> = {
        let _on = rt.handle().enter();
        (0..FAULTS)
            .map(|_| Task::try_run(|| Err(std::io::Error::other("the disk is full"))))
            .collect()
    };
    while !tasks.iter().all(Task::is_completed) {
        std::thread::sleep(Duration::from_millis(1));
    }
    // The last handles go: each task is reported as unobserved.
    drop(tasks);
    // The shutdown sums up what is still counted.
    drop(rt);
}

#[test]
fn starvation_prints_one_line_by_default() {
    let (_, err) = finish(spawn("child_starvation"), None);
    let lines = lines_with(&err, "tasklane: thread pool starvation: pool #");
    assert!(!lines.is_empty(), "nothing on stderr:\n{err}");
    assert!(
        lines[0].contains("blocked in the kernel") && lines[0].contains("tests/reports.rs:"),
        "{}",
        lines[0]
    );
}

#[test]
#[ignore = "run by its parent test, in a process of its own"]
fn child_starvation() {
    child_only("child_starvation");
    let rt = Runtime::builder()
        .pool_settings(PoolSettings {
            workers: 1,
            ..PoolSettings::default()
        })
        .build()
        .unwrap();
    let sleeper = rt.run(|| std::thread::sleep(Duration::from_secs(2)));
    std::thread::sleep(Duration::from_millis(50));
    // Queued behind the unannounced sleep: the pool adds a thread for it.
    assert!(rt.run(|| 1).wait_timeout(common::DEADLINE));
    sleeper.wait().unwrap();
}

#[test]
fn a_slow_shutdown_names_the_task_it_waits_for() {
    let (_, err) = finish(spawn("child_slow_shutdown"), None);
    let lines = lines_with(&err, "has waited");
    assert_eq!(lines.len(), 1, "{err}");
    let line = lines[0];
    assert!(
        line.starts_with("tasklane: the shutdown of runtime #"),
        "{line}"
    );
    assert!(line.contains("still running: task "), "{line}");
    assert!(line.contains("spawned at tests/reports.rs:"), "{line}");
}

#[test]
#[ignore = "run by its parent test, in a process of its own"]
fn child_slow_shutdown() {
    child_only("child_slow_shutdown");
    let rt = Runtime::builder()
        .worker_threads(2)
        .shutdown_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let _stuck = rt.run(move || {
        tx.send(()).unwrap();
        // Blocks with no token to stop it: the shutdown waits for it.
        std::thread::sleep(Duration::from_millis(800));
    });
    rx.recv().unwrap();
    drop(rt);
}

#[test]
fn a_runtime_dropped_on_its_own_worker_does_not_wait_for_it() {
    common::with_deadline("drop on own worker", || {
        let rt = Runtime::builder()
            .worker_threads(2)
            .shutdown_timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        // The task gets its own runtime once it is spawned (it may start
        // before the runtime is handed over: it waits for it).
        let (give, take) = std::sync::mpsc::channel::<Runtime>();
        let t = rt.run(move || {
            let rt = take.recv().expect("the runtime");
            let start = std::time::Instant::now();
            drop(rt);
            start.elapsed()
        });
        give.send(rt).unwrap();
        let took = t.result().unwrap();
        // It did not wait out its 30 s shutdown timeout for its own thread.
        assert!(took < Duration::from_secs(20), "the drop took {took:?}");
    });
}
