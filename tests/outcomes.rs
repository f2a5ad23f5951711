//! Outcomes and errors, as .NET defines them: how errors surface through await
//! versus wait, panics, fallible bodies, synchronous completion, outputs that
//! are not Clone, and unobserved faults.

use std::io;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tasklane::diag::ThreadCounters;
use tasklane::task::{InvalidOperationError, PanicError};
use tasklane::{Runtime, Task, TaskCompletionSource, TaskError, TaskStatus, block_on};

mod common;
use common::{reports, reports_for};

/// Generous: the machine is shared and noisy.
const LONG: Duration = Duration::from_secs(20);

#[derive(Debug, PartialEq)]
struct MyError(u32);
impl std::fmt::Display for MyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "my error {}", self.0)
    }
}
impl std::error::Error for MyError {}

#[test]
fn await_gives_the_first_error_wait_gives_all() {
    let tcs = TaskCompletionSource::<u8>::new();
    tcs.set_errors(vec![TaskError::new(MyError(1)), TaskError::new(MyError(2))])
        .unwrap();
    let t = tcs.task();
    let first = block_on(t.clone()).unwrap_err();
    assert_eq!(first.downcast_ref::<MyError>(), Some(&MyError(1)));
    let all = t.wait().unwrap_err();
    assert_eq!(all.len(), 2);
    assert_eq!(all.errors()[1].downcast_ref::<MyError>(), Some(&MyError(2)));
    let all2 = t.result().unwrap_err();
    assert_eq!(all2.len(), 2);
    assert_eq!(t.exception().unwrap().len(), 2);
}

#[test]
fn canceled_task_waits_with_one_canceled_error() {
    let t = Task::<u8>::from_canceled();
    let agg = t.wait().unwrap_err();
    assert_eq!(agg.len(), 1);
    assert!(agg.first().is_canceled());
    assert!(agg.is_canceled());
    assert!(block_on(t.clone()).unwrap_err().is_canceled());
    assert!(
        t.exception().is_none(),
        "exception() is only for faulted tasks"
    );
}

#[test]
fn panic_faults_the_task_and_the_worker_survives() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let worker = rt.run(|| std::thread::current().id()).result().unwrap();
    let t = rt.run(|| -> u8 { panic!("kaboom") });
    let err = t.wait().unwrap_err();
    let p = err
        .first()
        .downcast_ref::<PanicError>()
        .expect("a panic error");
    assert_eq!(p.message(), "kaboom");
    assert!(err.first().is_panic());
    // The single worker is still alive, and it is the same thread.
    assert_eq!(
        rt.run(|| std::thread::current().id()).result().unwrap(),
        worker
    );
}

#[test]
fn fallible_bodies_fault_with_the_original_error() {
    let t = Task::try_run(|| -> Result<u8, MyError> { Err(MyError(7)) });
    let e = block_on(t).unwrap_err();
    assert!(e.is_faulted());
    assert_eq!(e.downcast_ref::<MyError>(), Some(&MyError(7)));

    let t = Task::try_run_async(async {
        Err::<u8, _>(io::Error::new(io::ErrorKind::NotFound, "gone"))
    });
    let agg = t.wait().unwrap_err();
    assert_eq!(
        agg.first().downcast_ref::<io::Error>().unwrap().kind(),
        io::ErrorKind::NotFound
    );

    let ok = Task::try_run(|| -> Result<u8, MyError> { Ok(3) });
    assert_eq!(ok.result().unwrap(), 3);
}

#[test]
fn cancellation_from_bodies_follows_dotnet() {
    // Work (`Task.Run(() => throw new OperationCanceledException())`): faults,
    // since the cancellation is not for the task's own token.
    let work = Task::try_run(|| -> Result<u8, TaskError> { Err(TaskError::canceled()) });
    work.wait().unwrap_err();
    assert!(work.is_faulted());
    // An async body (a C# async method): any cancellation cancels it.
    let asynchronous = Task::try_run_async(async { Err::<u8, _>(TaskError::canceled()) });
    asynchronous.wait().unwrap_err();
    assert!(asynchronous.is_canceled());
}

#[test]
fn awaiting_a_completed_task_registers_and_schedules_nothing() {
    let t = Task::from_result(41);
    let done = Task::run(|| 1);
    done.wait().unwrap();
    let thread = std::thread::current().id();
    let before = ThreadCounters::current();
    let (v, same_thread) = block_on(async {
        let a = (&t).await.unwrap();
        let b = (&done).await.unwrap();
        (a + b, std::thread::current().id() == thread)
    });
    let after = ThreadCounters::current();
    assert_eq!(v, 42);
    assert!(same_thread);
    assert_eq!(
        after.waker_registrations, before.waker_registrations,
        "no waker registered"
    );
    assert_eq!(after.schedules, before.schedules, "nothing scheduled");
    assert_eq!(after.polls, before.polls, "no task polled");
}

#[test]
fn the_completed_task_has_ran_to_completion() {
    let line = line!() + 1;
    let t = Task::completed();
    assert_eq!(t.status(), TaskStatus::RanToCompletion);
    assert!(t.is_completed() && t.is_completed_successfully());
    assert!(!t.is_faulted() && !t.is_canceled());
    assert!(t.exception().is_none());
    assert_eq!(t.location().line(), line, "names its caller");
    t.wait().unwrap();
    t.result().unwrap();
    // Awaiting it continues synchronously: nothing registered or scheduled.
    let before = ThreadCounters::current();
    block_on(&t).unwrap();
    let after = ThreadCounters::current();
    assert_eq!(after.waker_registrations, before.waker_registrations);
    assert_eq!(after.schedules, before.schedules);
    // An ExecuteSynchronously continuation runs at once, on this thread.
    let here = std::thread::current().id();
    let c = t.continue_with(
        |a| (a.status(), std::thread::current().id()),
        tasklane::ContinuationOptions::EXECUTE_SYNCHRONOUSLY,
    );
    assert!(c.is_completed());
    assert_eq!(c.result().unwrap(), (TaskStatus::RanToCompletion, here));
}

#[test]
fn awaiting_a_pending_task_registers_once() {
    let tcs = TaskCompletionSource::<u8>::new();
    let t = tcs.task();
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        tcs.set_result(9).unwrap();
    });
    let before = ThreadCounters::current();
    assert_eq!(block_on(t).unwrap(), 9);
    let after = ThreadCounters::current();
    assert_eq!(after.waker_registrations - before.waker_registrations, 1);
    setter.join().unwrap();
}

#[test]
fn one_task_awaited_waited_and_continued_from_many_places() {
    let tcs = TaskCompletionSource::<u32>::new();
    let t = tcs.task();
    let awaiters: Vec<Task<u32>> = (0..50)
        .map(|i| {
            let t = t.clone();
            // Many awaiters of one task: each awaits `&t` for a clone.
            Task::run_async(async move { (&t).await.unwrap() + i })
        })
        .collect();
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let t = t.clone();
            std::thread::spawn(move || t.result().unwrap())
        })
        .collect();
    let cont = t.continue_with(
        |t| t.result().unwrap() * 2,
        tasklane::ContinuationOptions::NONE,
    );
    std::thread::sleep(Duration::from_millis(20));
    tcs.set_result(100).unwrap();
    for (i, a) in awaiters.into_iter().enumerate() {
        assert_eq!(a.result().unwrap(), 100 + i as u32);
    }
    for w in waiters {
        assert_eq!(w.join().unwrap(), 100);
    }
    assert_eq!(cont.result().unwrap(), 200);
}

#[test]
fn outputs_that_are_not_clone() {
    struct Unique(Vec<u8>);
    let t = Task::run(|| Unique(vec![1, 2, 3]));
    // Moved out through the last handle, without cloning.
    let u = block_on(t.into_output()).unwrap();
    assert_eq!(u.0, vec![1, 2, 3]);

    let t = Task::run(|| Unique(vec![4]));
    assert_eq!(t.into_result().unwrap().0, vec![4]);

    // With another handle alive the output stays for it: a typed error.
    let t = Task::run(|| Unique(vec![5]));
    let other = t.clone();
    let e = block_on(t.into_output()).err().expect("shared");
    assert_eq!(
        e.downcast_ref::<InvalidOperationError>(),
        Some(&InvalidOperationError::OutputShared)
    );
    assert_eq!(other.into_result().unwrap().0, vec![5]);

    // Or share it behind an Arc.
    let t = Task::run(|| Arc::new(Unique(vec![6])));
    assert_eq!(t.result().unwrap().0, vec![6]);
}

#[test]
fn unobserved_fault_is_reported_once_when_the_last_handle_drops() {
    let _ = reports();
    let t = Task::run(|| -> u8 { panic!("nobody looks") });
    let clone = t.clone();
    // Complete without observing: `is_faulted` is not an observation.
    while !t.is_completed() {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(t.is_faulted());
    let id = t.id();
    let line = t.location().line();
    drop(t);
    assert!(reports_for(id).is_empty(), "a handle is still alive");
    drop(clone);
    let r = reports_for(id);
    assert_eq!(r.len(), 1, "reported exactly once");
    assert_eq!(r[0].location.line(), line);
    assert!(r[0].errors.first().is_panic());
}

#[test]
fn fault_of_a_promise_is_reported_when_its_source_drops() {
    let _ = reports();
    let tcs = TaskCompletionSource::<u8>::new();
    let t = tcs.task();
    let id = t.id();
    drop(t);
    assert!(reports_for(id).is_empty());
    tcs.set_error(MyError(3)).unwrap();
    // The source holds a handle of its own: its task can still be observed.
    assert!(reports_for(id).is_empty(), "the source is still alive");
    drop(tcs);
    assert_eq!(reports_for(id).len(), 1);
}

#[test]
fn fault_after_the_last_handle_dropped_is_reported_once_when_it_completes() {
    let _ = reports();
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    // std channels, not a TaskCompletionSource: a source would hold a
    // handle of the task it gates.
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let t = rt.run(move || -> u8 {
        started_tx.send(()).unwrap();
        gate_rx.recv().unwrap();
        panic!("faulted after its last handle dropped")
    });
    let id = t.id();
    let line = t.location().line();
    started_rx.recv_timeout(LONG).unwrap();
    assert!(!t.is_completed());
    drop(t); // The only handle, while the task runs.
    assert!(reports_for(id).is_empty(), "not faulted yet");
    gate_tx.send(()).unwrap();
    let deadline = Instant::now() + LONG;
    while reports_for(id).is_empty() {
        assert!(Instant::now() < deadline, "the fault was never reported");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Every worker stopped: whatever the completion still had to do is done.
    assert!(rt.shutdown_timeout(LONG), "the runtime's threads stopped");
    let r = reports_for(id);
    assert_eq!(r.len(), 1, "reported exactly once");
    assert_eq!(r[0].location.line(), line);
    assert!(r[0].errors.first().is_panic());
}

#[test]
fn observed_faults_are_never_reported() {
    let _ = reports();
    let mk = || Task::try_run(|| -> Result<u8, MyError> { Err(MyError(1)) });
    let awaited = mk();
    let id1 = awaited.id();
    let _ = block_on(awaited);
    let waited = mk();
    let id2 = waited.id();
    let _ = waited.wait();
    drop(waited);
    let resulted = mk();
    let id3 = resulted.id();
    let _ = resulted.result();
    drop(resulted);
    let inspected = mk();
    let id4 = inspected.id();
    inspected.wait_timeout(Duration::from_secs(20));
    assert!(inspected.exception().is_some());
    drop(inspected);
    let combined = mk();
    let id5 = combined.id();
    let all = Task::when_all(vec![combined]);
    let _ = all.wait();
    drop(all);
    for id in [id1, id2, id3, id4, id5] {
        assert!(reports_for(id).is_empty(), "task {id} was observed");
    }
}

#[test]
fn flatten_is_breadth_first_and_the_base_exception_is_the_innermost_single_error() {
    use tasklane::AggregateError;
    let e = |s: &str| TaskError::new(std::io::Error::other(s.to_owned()));
    let agg = |v: Vec<TaskError>| TaskError::new(AggregateError::from_errors(v).unwrap());
    // .NET's Flatten: this aggregate's own errors first, then the errors of
    // the aggregates it holds, in order, then theirs.
    let outer = AggregateError::from_errors(vec![
        agg(vec![e("b"), agg(vec![e("d")])]),
        e("a"),
        agg(vec![e("c")]),
    ])
    .unwrap();
    let order: Vec<String> = outer.flatten().iter().map(|e| e.to_string()).collect();
    assert_eq!(order, ["a", "b", "c", "d"]);
    // GetBaseException: into single-error aggregates, down to the error.
    let nested = AggregateError::one(agg(vec![agg(vec![e("root")])]));
    assert_eq!(nested.get_base_exception().to_string(), "root");
    // An aggregate of several is its own base.
    let several = AggregateError::from_errors(vec![e("x"), e("y")]).unwrap();
    assert!(std::ptr::addr_eq(
        several.get_base_exception() as *const _,
        &several as *const AggregateError
    ));
    let canceled = AggregateError::one(TaskError::canceled());
    assert!(canceled.get_base_exception().to_string().contains("cancel"));
}
