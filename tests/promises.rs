//! TaskCompletionSource, as .NET defines it: completing by hand, misuse errors,
//! asynchronous continuations, and broken promises.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::thread::ThreadId;
use std::time::Duration;
use tasklane::task::{BrokenPromiseError, InvalidOperationError};
use tasklane::{
    ContinuationOptions, Runtime, Task, TaskCompletionSource, TaskCreationOptions, TaskError,
    TaskStatus, block_on,
};

/// Generous: the machine is shared and noisy.
const LONG: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct E(&'static str);
impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl std::error::Error for E {}

#[test]
fn set_result_completes_once() {
    let tcs = TaskCompletionSource::new();
    let t = tcs.task();
    tcs.set_result(String::from("first")).unwrap();
    let back = tcs.set_result(String::from("second")).unwrap_err();
    assert_eq!(
        back.into_value(),
        "second",
        "the rejected value is handed back"
    );
    assert!(!tcs.try_set_result(String::from("third")));
    assert_eq!(
        tcs.set_error(E("late")),
        Err(InvalidOperationError::PromiseAlreadyCompleted)
    );
    assert_eq!(
        tcs.set_canceled(),
        Err(InvalidOperationError::PromiseAlreadyCompleted)
    );
    assert!(!tcs.try_set_error(E("late")));
    assert!(!tcs.try_set_canceled());
    assert_eq!(t.result().unwrap(), "first");
}

#[test]
fn set_error_and_several_errors() {
    let tcs = TaskCompletionSource::<u8>::new();
    tcs.set_error(E("one")).unwrap();
    let t = tcs.task();
    assert_eq!(t.status(), TaskStatus::Faulted);
    assert_eq!(t.wait().unwrap_err().first().to_string(), "one");

    let tcs = TaskCompletionSource::<u8>::new();
    assert_eq!(
        tcs.set_errors(vec![]),
        Err(InvalidOperationError::EmptyErrorList)
    );
    assert!(!tcs.is_completed(), "a rejected call changes nothing");
    assert!(tcs.try_set_errors(vec![TaskError::new(E("a")), TaskError::new(E("b"))]));
    let agg = tcs.task().wait().unwrap_err();
    let msgs: Vec<String> = agg.iter().map(|e| e.to_string()).collect();
    assert_eq!(msgs, ["a", "b"]);
}

#[test]
fn a_cancellation_given_to_set_error_faults() {
    // As SetException(new OperationCanceledException()) in .NET.
    let tcs = TaskCompletionSource::<u8>::new();
    tcs.set_error(TaskError::canceled()).unwrap();
    assert!(tcs.task().is_faulted());
}

#[test]
fn set_canceled() {
    let tcs = TaskCompletionSource::<u8>::new();
    tcs.set_canceled().unwrap();
    let t = tcs.task();
    assert!(t.is_canceled());
    assert!(block_on(t).unwrap_err().is_canceled());
}

#[test]
fn wraps_a_callback_api() {
    fn legacy_read(cb: impl FnOnce(Result<Vec<u8>, std::io::Error>) + Send + 'static) {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            cb(Ok(b"hello".to_vec()));
        });
    }
    fn read_async() -> Task<Vec<u8>> {
        let tcs = TaskCompletionSource::new();
        let task = tcs.task();
        legacy_read(move |r| match r {
            Ok(v) => {
                let _ = tcs.set_result(v);
            }
            Err(e) => {
                let _ = tcs.set_error(e);
            }
        });
        task
    }
    assert_eq!(block_on(read_async()).unwrap(), b"hello");
}

#[test]
fn continuations_run_on_the_completing_thread_by_default() {
    let tcs = TaskCompletionSource::<u8>::new();
    let cont = tcs.task().continue_with(
        |_| std::thread::current().id(),
        ContinuationOptions::EXECUTE_SYNCHRONOUSLY,
    );
    let completer = std::thread::spawn(move || {
        tcs.set_result(1).unwrap();
        std::thread::current().id()
    })
    .join()
    .unwrap();
    assert_eq!(cont.result().unwrap(), completer);
}

#[test]
fn run_continuations_asynchronously_never_on_the_completing_thread() {
    // A private pool of two: the completer holds one worker, the other is
    // free for whatever was queued where any worker can take it.
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let _enter = rt.handle().enter();
    for _ in 0..10 {
        let tcs = TaskCompletionSource::<u8>::with_options(
            TaskCreationOptions::RUN_CONTINUATIONS_ASYNCHRONOUSLY,
        );
        let (ran_tx, ran_rx) = mpsc::channel::<(&'static str, ThreadId)>();
        let sync_cont = {
            let ran_tx = ran_tx.clone();
            tcs.task().continue_with(
                move |_| {
                    let here = std::thread::current().id();
                    ran_tx.send(("the synchronous continuation", here)).unwrap();
                },
                ContinuationOptions::EXECUTE_SYNCHRONOUSLY,
            )
        };
        let (registered_tx, registered_rx) = mpsc::channel::<()>();
        let awaiter = {
            // The synchronous continuation holds the task too: await a
            // clone of the output (`&task`), not a move.
            let t = tcs.task();
            let ran_tx = ran_tx.clone();
            let mut registered = Some(registered_tx);
            rt.run_async(async move {
                let mut t = std::future::IntoFuture::into_future(&t);
                // Says when the await is registered, so the completion below
                // finds a waiter to wake (not a completed task to read).
                std::future::poll_fn(|cx| {
                    let poll = Pin::new(&mut t).poll(cx);
                    if poll.is_pending() {
                        if let Some(tx) = registered.take() {
                            tx.send(()).unwrap();
                        }
                    }
                    poll
                })
                .await
                .unwrap();
                ran_tx
                    .send(("the awaiter", std::thread::current().id()))
                    .unwrap();
            })
        };
        drop(ran_tx);
        registered_rx.recv_timeout(LONG).unwrap();
        // Complete from a pool worker, and keep it busy until both
        // continuations ran. One run inline would run here, inside
        // `set_result`; one queued to this worker's own queues (where a wake
        // from a worker goes) could run only after this work item, so the
        // wait would time out.
        let completer = rt.run(move || {
            let here = std::thread::current().id();
            tcs.set_result(1).unwrap();
            for _ in 0..2 {
                let (what, ran_on) = ran_rx
                    .recv_timeout(LONG)
                    .expect("a continuation was left to the completing worker");
                assert_ne!(ran_on, here, "{what} ran on the completing thread");
            }
        });
        completer.wait().unwrap();
        sync_cont.wait().unwrap();
        awaiter.wait().unwrap();
    }
}

#[test]
fn dropped_source_breaks_the_promise() {
    let tcs = TaskCompletionSource::<u8>::new();
    let created_line = line!() - 1;
    let t = tcs.task();
    let clone = tcs.clone();
    drop(tcs);
    assert!(!t.is_completed(), "one source is still alive");
    drop(clone);
    let err = block_on(t).unwrap_err();
    let broken = err
        .downcast_ref::<BrokenPromiseError>()
        .expect("a broken promise");
    assert_eq!(broken.created_at().line(), created_line);
    assert!(err.is_broken_promise());
    assert!(err.to_string().contains("promises.rs"), "{err}");
}

#[test]
fn completed_source_dropping_is_not_broken() {
    let tcs = TaskCompletionSource::<u8>::new();
    let t = tcs.task();
    tcs.set_result(4).unwrap();
    drop(tcs);
    assert_eq!(t.result().unwrap(), 4);
}

#[test]
fn completion_from_many_threads_exactly_one_wins() {
    for _ in 0..50 {
        let tcs = TaskCompletionSource::<usize>::new();
        let winners: Vec<bool> = (0..4)
            .map(|i| {
                let tcs = tcs.clone();
                std::thread::spawn(move || tcs.try_set_result(i))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert_eq!(winners.iter().filter(|w| **w).count(), 1);
        let v = tcs.task().result().unwrap();
        assert!(winners[v]);
    }
}
