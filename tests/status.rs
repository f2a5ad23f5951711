//! Task status, as .NET defines it: every `TaskStatus` a task can report, in
//! .NET's priority order, and the lifecycle misuse errors.

use std::sync::mpsc;
use std::time::{Duration, Instant};
use tasklane::{
    InvalidOperationError, Runtime, Task, TaskCompletionSource, TaskCreationOptions, TaskStatus,
};

const LONG: Duration = Duration::from_secs(20);

fn wait_for_status<T>(t: &Task<T>, want: TaskStatus) {
    let deadline = Instant::now() + LONG;
    while t.status() != want {
        assert!(
            Instant::now() < deadline,
            "status stuck at {:?}, wanted {want:?}",
            t.status()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn cold_task_is_created_until_started() {
    let t = Task::new(|| 5);
    assert_eq!(t.status(), TaskStatus::Created);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        t.status(),
        TaskStatus::Created,
        "a cold task never starts by itself"
    );
    t.start().unwrap();
    assert_eq!(t.result().unwrap(), 5);
    assert_eq!(t.status(), TaskStatus::RanToCompletion);
}

#[test]
fn starting_twice_is_a_typed_error() {
    let t = Task::new(|| ());
    t.start().unwrap();
    assert_eq!(t.start(), Err(InvalidOperationError::TaskAlreadyStarted));
    t.wait().unwrap();
    assert_eq!(t.start(), Err(InvalidOperationError::TaskAlreadyStarted));
}

#[test]
fn hot_and_promise_tasks_cannot_be_started() {
    let hot = Task::run(|| 1);
    assert_eq!(hot.start(), Err(InvalidOperationError::TaskAlreadyStarted));
    let tcs = TaskCompletionSource::<u8>::new();
    assert_eq!(
        tcs.task().start(),
        Err(InvalidOperationError::TaskAlreadyStarted)
    );
    assert_eq!(
        Task::from_result(3).start(),
        Err(InvalidOperationError::TaskAlreadyStarted)
    );
}

#[test]
fn run_synchronously_runs_on_the_calling_thread() {
    let t = Task::new(|| std::thread::current().id());
    t.run_synchronously().unwrap();
    assert_eq!(t.result().unwrap(), std::thread::current().id());
    assert_eq!(
        t.run_synchronously(),
        Err(InvalidOperationError::TaskAlreadyStarted)
    );
}

#[test]
fn promise_waits_for_activation() {
    let tcs = TaskCompletionSource::<u8>::new();
    let t = tcs.task();
    assert_eq!(t.status(), TaskStatus::WaitingForActivation);
    tcs.set_result(1).unwrap();
    assert_eq!(t.status(), TaskStatus::RanToCompletion);
}

#[test]
fn waiting_to_run_then_running() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let (hold_tx, hold_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    // Occupy the only worker.
    let blocker = rt.run(move || {
        started_tx.send(()).unwrap();
        hold_rx.recv().unwrap();
    });
    started_rx.recv_timeout(LONG).unwrap();
    assert_eq!(blocker.status(), TaskStatus::Running);
    let queued = rt.run(|| 2);
    assert_eq!(queued.status(), TaskStatus::WaitingToRun);
    hold_tx.send(()).unwrap();
    assert_eq!(queued.result().unwrap(), 2);
    assert_eq!(blocker.status(), TaskStatus::RanToCompletion);
}

#[test]
fn suspended_async_work_waits_for_activation() {
    let tcs = TaskCompletionSource::<u8>::new();
    let inner = tcs.task();
    let t = Task::run_async(async move { inner.await.unwrap() + 1 });
    wait_for_status(&t, TaskStatus::WaitingForActivation);
    tcs.set_result(1).unwrap();
    assert_eq!(t.result().unwrap(), 2);
}

#[test]
fn parent_waits_for_attached_children() {
    let (tx, rx) = mpsc::channel::<()>();
    let (child_tx, child_rx) = mpsc::channel::<Task<()>>();
    let parent = Task::start_new(
        move || {
            let child = Task::start_new(
                move || {
                    rx.recv().unwrap();
                },
                TaskCreationOptions::ATTACHED_TO_PARENT,
            );
            child_tx.send(child).unwrap();
        },
        TaskCreationOptions::NONE,
    );
    let child = child_rx.recv_timeout(LONG).unwrap();
    wait_for_status(&parent, TaskStatus::WaitingForChildrenToComplete);
    assert!(!parent.is_completed());
    tx.send(()).unwrap();
    parent.wait().unwrap();
    assert_eq!(parent.status(), TaskStatus::RanToCompletion);
    assert!(child.is_completed(), "the parent ends only after its child");
}

#[test]
fn final_states_and_predicates() {
    let ok = Task::from_result(1);
    assert_eq!(ok.status(), TaskStatus::RanToCompletion);
    assert!(ok.is_completed() && ok.is_completed_successfully());
    assert!(!ok.is_faulted() && !ok.is_canceled());

    let faulted = Task::<u8>::from_error(std::io::Error::other("x"));
    assert_eq!(faulted.status(), TaskStatus::Faulted);
    assert!(faulted.is_completed() && faulted.is_faulted() && !faulted.is_completed_successfully());
    faulted.exception().unwrap();

    let canceled = Task::<u8>::from_canceled();
    assert_eq!(canceled.status(), TaskStatus::Canceled);
    assert!(canceled.is_completed() && canceled.is_canceled() && !canceled.is_faulted());
    assert!(TaskStatus::Canceled.is_final() && !TaskStatus::Running.is_final());
}

#[test]
fn ids_are_unique_and_locations_name_the_caller() {
    let a = Task::run(|| ());
    let b = a.clone();
    let c = Task::run(|| ());
    assert_eq!(a.id(), b.id(), "clones are the same task");
    assert_ne!(a.id(), c.id());
    assert_eq!(a, b);
    assert!(
        a.location().file().ends_with("status.rs"),
        "{}",
        a.location()
    );
    let tcs = TaskCompletionSource::<u8>::new();
    assert_eq!(tcs.location().line(), line!() - 1);
    tcs.set_result(0).unwrap();
    a.wait().unwrap();
    c.wait().unwrap();
}

#[test]
fn current_id_inside_a_task() {
    assert_eq!(tasklane::task::current_id(), None);
    let t = Task::run(tasklane::task::current_id);
    assert_eq!(t.result().unwrap(), Some(t.id()));
}
