//! `continue_with` and its options (tokens, lazy cancellation, fallible
//! bodies, options that exclude each other), `unwrap`, and attached
//! children, as .NET's `ContinueWith` behaves.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tasklane::task::{CancelReason, PanicError};
use tasklane::{
    ContinuationOptions as O, Task, TaskCompletionSource, TaskCreationOptions, TaskError,
    TaskStatus,
};

mod common;
use common::{reports, reports_for};

#[derive(Debug)]
struct E;
impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("E")
    }
}
impl std::error::Error for E {}

fn antecedents() -> [(TaskStatus, Task<u8>); 3] {
    [
        (TaskStatus::RanToCompletion, Task::from_result(1)),
        (TaskStatus::Faulted, Task::from_error(E)),
        (TaskStatus::Canceled, Task::from_canceled()),
    ]
}

#[test]
fn condition_options_run_or_cancel() {
    let table: [(O, [bool; 3]); 7] = [
        (O::NONE, [true, true, true]),
        (O::ONLY_ON_RAN_TO_COMPLETION, [true, false, false]),
        (O::ONLY_ON_FAULTED, [false, true, false]),
        (O::ONLY_ON_CANCELED, [false, false, true]),
        (O::NOT_ON_RAN_TO_COMPLETION, [false, true, true]),
        (O::NOT_ON_FAULTED, [true, false, true]),
        (O::NOT_ON_CANCELED, [true, true, false]),
    ];
    for (opts, runs) in table {
        for (i, (status, ante)) in antecedents().into_iter().enumerate() {
            let ran = Arc::new(AtomicUsize::new(0));
            let r = ran.clone();
            let c = ante.continue_with(
                move |a| {
                    r.fetch_add(1, Ordering::SeqCst);
                    a.status()
                },
                opts,
            );
            let out = c.wait();
            if runs[i] {
                assert_eq!(c.result().unwrap(), status, "{opts:?} on {status:?}");
                assert_eq!(ran.load(Ordering::SeqCst), 1);
            } else {
                let err = out.unwrap_err();
                assert!(c.is_canceled(), "{opts:?} on {status:?} must cancel");
                assert_eq!(
                    err.first().as_canceled().unwrap().reason(),
                    CancelReason::ContinuationConditionNotMet
                );
                assert_eq!(ran.load(Ordering::SeqCst), 0, "the callback never ran");
            }
        }
    }
}

#[test]
fn continuation_waits_for_its_antecedent() {
    let tcs = TaskCompletionSource::<u8>::new();
    let c = tcs
        .task()
        .continue_with(|t| t.result().unwrap() + 1, O::NONE);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(c.status(), TaskStatus::WaitingForActivation);
    tcs.set_result(1).unwrap();
    assert_eq!(c.result().unwrap(), 2);
}

#[test]
fn added_to_a_completed_task_still_runs() {
    let done = Task::from_result(5);
    let c = done.continue_with(|t| t.result().unwrap() * 2, O::NONE);
    assert_eq!(c.result().unwrap(), 10);
    // ExecuteSynchronously on a completed antecedent runs inline, now.
    let here = std::thread::current().id();
    let c = done.continue_with(|_| std::thread::current().id(), O::EXECUTE_SYNCHRONOUSLY);
    assert!(c.is_completed());
    assert_eq!(c.result().unwrap(), here);
}

#[test]
fn queued_continuations_run_on_the_pool() {
    let tcs = TaskCompletionSource::<u8>::new();
    let c = tcs.task().continue_with(
        |_| std::thread::current().name().map(str::to_owned),
        O::NONE,
    );
    tcs.set_result(0).unwrap();
    let name = c.result().unwrap().unwrap_or_default();
    assert!(name.starts_with("tasklane"), "ran on {name:?}");
}

#[test]
fn run_continuations_asynchronously_moves_the_continuations_own_continuations_off_its_thread() {
    // The continuation `c` runs inline on the thread completing the promise
    // and completes there; `next` (ExecuteSynchronously) would run inline
    // right after it unless `c` was made with RunContinuationsAsynchronously.
    // The completer is not a pool thread, so a continuation that was queued
    // instead can never run on it.
    for (options, next_runs_inline) in [
        (O::NONE, true),
        (O::RUN_CONTINUATIONS_ASYNCHRONOUSLY, false),
    ] {
        let tcs = TaskCompletionSource::<u8>::new();
        let c = tcs.task().continue_with(
            |_| std::thread::current().id(),
            O::EXECUTE_SYNCHRONOUSLY | options,
        );
        assert_eq!(
            c.creation_options()
                .contains(TaskCreationOptions::RUN_CONTINUATIONS_ASYNCHRONOUSLY),
            !next_runs_inline,
            "{options:?}: the continuation task carries the option"
        );
        let next = c.continue_with(|_| std::thread::current().id(), O::EXECUTE_SYNCHRONOUSLY);
        let completer = std::thread::spawn(move || {
            tcs.set_result(0).unwrap();
            std::thread::current().id()
        });
        let completing = completer.join().unwrap();
        assert_eq!(c.result().unwrap(), completing, "{options:?}: c ran inline");
        let next_ran_on = next.result().unwrap();
        assert_eq!(
            next_ran_on == completing,
            next_runs_inline,
            "{options:?}: where c's own continuation ran"
        );
    }
}

#[test]
fn continuations_run_in_registration_order() {
    let tcs = TaskCompletionSource::<u8>::new();
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let conts: Vec<Task<()>> = (0..5)
        .map(|i| {
            let order = order.clone();
            tcs.task().continue_with(
                move |_| order.lock().unwrap().push(i),
                O::EXECUTE_SYNCHRONOUSLY,
            )
        })
        .collect();
    tcs.set_result(0).unwrap();
    for c in &conts {
        c.wait().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn a_panicking_continuation_faults_and_the_rest_still_run() {
    let tcs = TaskCompletionSource::<u8>::new();
    let bad = tcs.task().continue_with(
        |_| -> u8 { panic!("in continuation") },
        O::EXECUTE_SYNCHRONOUSLY,
    );
    let good = tcs.task().continue_with(|_| 1u8, O::EXECUTE_SYNCHRONOUSLY);
    tcs.set_result(0).unwrap();
    assert!(
        bad.wait()
            .unwrap_err()
            .first()
            .downcast_ref::<PanicError>()
            .is_some()
    );
    assert_eq!(good.result().unwrap(), 1);
}

#[test]
fn chains_of_inline_continuations_do_not_overflow_the_stack() {
    let tcs = TaskCompletionSource::<u64>::new();
    let mut t = tcs.task();
    for _ in 0..10_000 {
        t = t.continue_with(|a| a.result().unwrap() + 1, O::EXECUTE_SYNCHRONOUSLY);
    }
    tcs.set_result(0).unwrap();
    assert_eq!(t.result().unwrap(), 10_000);
}

#[test]
fn unwrap_follows_the_inner_task() {
    let outer = Task::run(|| Task::run(|| 7));
    assert_eq!(outer.unwrap().result().unwrap(), 7);

    let outer = Task::run(|| Task::<u8>::from_canceled());
    let p = outer.unwrap();
    p.wait().unwrap_err();
    assert!(p.is_canceled());

    let tcs = TaskCompletionSource::<u8>::new();
    tcs.set_errors(vec![TaskError::new(E), TaskError::new(E)])
        .unwrap();
    let inner = tcs.task();
    let p = Task::from_result(inner).unwrap();
    assert_eq!(p.wait().unwrap_err().len(), 2, "all the inner errors");

    let outer: Task<Task<u8>> = Task::from_error(E);
    let p = outer.unwrap();
    p.wait().unwrap_err();
    assert!(
        p.is_faulted(),
        "the outer fault, when there is no inner task"
    );
}

#[test]
fn attached_child_faults_join_the_parent() {
    let parent = Task::start_new(
        || {
            // An attached child joins its parent: the parent observes it.
            let _attached = Task::start_new(
                || -> u8 { panic!("child failed") },
                TaskCreationOptions::ATTACHED_TO_PARENT,
            );
            "body done"
        },
        TaskCreationOptions::NONE,
    );
    let err = parent.wait().unwrap_err();
    assert!(parent.is_faulted());
    let inner = err.flatten();
    assert!(inner.find::<PanicError>().is_some(), "{err}");
}

#[test]
fn deny_child_attach_detaches_children() {
    let (tx, rx) = mpsc::channel::<()>();
    // Task::run implies DenyChildAttach, as in .NET.
    let parent = Task::run(move || {
        // An attached child joins its parent: the parent observes it.
        let _attached = Task::start_new(
            move || {
                rx.recv().unwrap();
            },
            TaskCreationOptions::ATTACHED_TO_PARENT,
        );
    });
    parent.wait().unwrap();
    assert_eq!(
        parent.status(),
        TaskStatus::RanToCompletion,
        "did not wait for the child"
    );
    tx.send(()).unwrap();
}

#[test]
fn async_parent_waits_for_children_attached_at_any_await() {
    let tcs = TaskCompletionSource::<u8>::new();
    let gate = tcs.task();
    let parent = Task::start_new_async(
        async move {
            tasklane::yield_now().await;
            // An attached child joins its parent: the parent observes it.
            let _attached = Task::start_new(
                move || {
                    gate.wait().unwrap();
                },
                TaskCreationOptions::ATTACHED_TO_PARENT,
            );
        },
        TaskCreationOptions::NONE,
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while parent.status() != TaskStatus::WaitingForChildrenToComplete {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            parent.status()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    tcs.set_result(1).unwrap();
    parent.wait().unwrap();
}

/// Waits until `t` completes without observing it (`is_completed` is not an
/// observation; `wait` would be).
fn until_completed<T>(t: &Task<T>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !t.is_completed() {
        assert!(Instant::now() < deadline, "{:?}", t.status());
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// When the attached child's only handle drops, relative to the child's
/// completion: the two paths that may report an unobserved fault.
#[derive(Copy, Clone, Debug)]
enum ChildHandleDrops {
    /// While the child runs: its completion finds no handle left.
    BeforeItFaults,
    /// After the child faulted: the last drop finds it complete.
    AfterItFaulted,
}

/// Starts a parent whose attached child faults ("child failed") while the
/// child's only handle is dropped as `when` says; returns the parent and
/// the child's id.
fn parent_of_a_faulting_child(when: ChildHandleDrops) -> (Task<&'static str>, u64) {
    let (id_tx, id_rx) = mpsc::channel();
    let parent = Task::start_new_async(
        async move {
            let (gate_tx, gate_rx) = mpsc::channel::<()>();
            let child = Task::start_new(
                move || -> u8 {
                    let _ = gate_rx.recv();
                    panic!("child failed")
                },
                TaskCreationOptions::ATTACHED_TO_PARENT,
            );
            id_tx.send(child.id()).unwrap();
            match when {
                ChildHandleDrops::BeforeItFaults => {
                    drop(child);
                    gate_tx.send(()).unwrap();
                }
                ChildHandleDrops::AfterItFaulted => {
                    gate_tx.send(()).unwrap();
                    // Yield, not block: the child may be queued behind us on
                    // this worker. Neither step observes the child.
                    while !child.is_completed() {
                        tasklane::yield_now().await;
                    }
                    assert!(child.is_faulted());
                    drop(child);
                }
            }
            "body done"
        },
        TaskCreationOptions::NONE,
    );
    let child_id = id_rx.recv_timeout(Duration::from_secs(20)).unwrap();
    (parent, child_id)
}

#[test]
fn a_fault_taken_by_an_attached_parent_is_not_reported_for_the_child() {
    let _ = reports();
    for when in [
        ChildHandleDrops::BeforeItFaults,
        ChildHandleDrops::AfterItFaulted,
    ] {
        let (parent, child_id) = parent_of_a_faulting_child(when);
        let parent_id = parent.id();
        // Observing the parent observes the child's fault it carries.
        let err = parent.wait().unwrap_err();
        assert!(err.flatten().find::<PanicError>().is_some(), "{err}");
        drop(parent);
        // Any report of the child came before the parent completed: the
        // child reports (or not) before it hands its fault to the parent.
        assert!(
            reports_for(child_id).is_empty(),
            "{when:?}: the parent carries the child's fault"
        );
        assert!(reports_for(parent_id).is_empty(), "{when:?}: observed");
    }
}

#[test]
fn an_unobserved_parent_is_reported_once_for_its_attached_childs_fault() {
    let _ = reports();
    for when in [
        ChildHandleDrops::BeforeItFaults,
        ChildHandleDrops::AfterItFaulted,
    ] {
        let (parent, child_id) = parent_of_a_faulting_child(when);
        let parent_id = parent.id();
        until_completed(&parent);
        assert!(parent.is_faulted());
        drop(parent);
        assert!(
            reports_for(child_id).is_empty(),
            "{when:?}: the parent carries the child's fault"
        );
        let r = reports_for(parent_id);
        assert_eq!(r.len(), 1, "{when:?}: the parent is reported once");
        let panic = r[0].errors.flatten();
        let panic = panic.find::<PanicError>().expect("the child's panic");
        assert!(panic.to_string().contains("child failed"), "{panic}");
    }
}

#[test]
fn a_token_cancels_the_continuation_at_once_unless_lazy() {
    use tasklane::CancellationTokenSource;
    let antecedent = TaskCompletionSource::<u8>::new();
    let cts = CancellationTokenSource::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let eager = antecedent.task().continue_with_token(
        move |_| r.fetch_add(1, Ordering::SeqCst),
        &cts.token(),
        O::NONE,
    );
    let r = ran.clone();
    let lazy = antecedent.task().continue_with_token(
        move |_| r.fetch_add(1, Ordering::SeqCst),
        &cts.token(),
        O::LAZY_CANCELLATION,
    );
    cts.cancel().unwrap();
    // Eager: Canceled at once, for that token, before its antecedent.
    assert!(eager.is_canceled());
    assert_eq!(
        eager
            .wait()
            .unwrap_err()
            .first()
            .as_canceled()
            .unwrap()
            .token(),
        Some(&cts.token())
    );
    // Lazy: waits for the antecedent, then ends Canceled unrun.
    assert!(!lazy.is_completed());
    antecedent.set_result(1).unwrap();
    assert!(lazy.wait().unwrap_err().is_canceled());
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    // An already-canceled token: Canceled at once; a live one lets it run.
    let done = Task::from_result(1u8);
    assert!(
        done.continue_with_token(|_| 2, &cts.token(), O::NONE)
            .is_canceled()
    );
    let live = CancellationTokenSource::new();
    assert_eq!(
        done.continue_with_token(|t| t.result().unwrap() + 1, &live.token(), O::NONE)
            .result()
            .unwrap(),
        2
    );
}

#[test]
fn fallible_continuations_and_start_new_fault_with_the_error_itself() {
    let c = Task::from_result(1u8).try_continue_with(|_| -> Result<u8, E> { Err(E) }, O::NONE);
    let err = c.wait().unwrap_err();
    assert!(err.first().downcast_ref::<E>().is_some(), "{err}");
    assert!(c.is_faulted());
    let ok =
        Task::from_result(1u8).try_continue_with(|t| Ok::<_, E>(t.result().unwrap() + 1), O::NONE);
    assert_eq!(ok.result().unwrap(), 2);
    let s = Task::<u8>::try_start_new(|| Err(E), TaskCreationOptions::NONE);
    assert!(s.wait().unwrap_err().first().downcast_ref::<E>().is_some());
    let a = Task::<u8>::try_start_new_async(async { Err(E) }, TaskCreationOptions::NONE);
    assert!(a.wait().unwrap_err().first().downcast_ref::<E>().is_some());
}

#[test]
fn invalid_arguments_are_typed_errors_at_the_call() {
    use tasklane::task::InvalidOperationError;
    let conflicting = |o: O| {
        let c = Task::from_result(1u8).continue_with(|_| 1u8, o);
        assert!(c.is_faulted(), "{o:?}");
        assert!(matches!(
            c.exception()
                .unwrap()
                .first()
                .downcast_ref::<InvalidOperationError>(),
            Some(InvalidOperationError::ConflictingOptions(_))
        ));
    };
    conflicting(O::ONLY_ON_RAN_TO_COMPLETION | O::ONLY_ON_FAULTED);
    conflicting(O::LONG_RUNNING | O::EXECUTE_SYNCHRONOUSLY);
    let cts = tasklane::CancellationTokenSource::new();
    assert_eq!(
        Task::<u8>::from_canceled_with(cts.token()).unwrap_err(),
        InvalidOperationError::TokenNotCanceled
    );
    let tcs = TaskCompletionSource::<u8>::new();
    assert_eq!(
        tcs.set_errors(Vec::new()).unwrap_err(),
        InvalidOperationError::EmptyErrorList
    );
    assert!(!tcs.is_completed(), "nothing changed");
    let any = Task::<u8>::when_any(Vec::new());
    assert!(any.is_faulted());
}
