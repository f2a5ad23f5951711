//! Where a continuation runs, as in .NET: an `await` on a promise resumes
//! inside `set_result`, on the completing thread, when the awaiter's home is
//! the pool; `RUN_CONTINUATIONS_ASYNCHRONOUSLY` queues it instead; of several
//! awaiters only the first runs inline; queued `continue_with`
//! continuations are queued before the `EXECUTE_SYNCHRONOUSLY` ones run;
//! and a chain of inline resumptions does not overflow the stack.

mod common;

use common::{DEADLINE, with_deadline};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::ThreadId;
use tasklane::{
    ContinuationOptions, Runtime, Task, TaskCompletionSource, TaskCreationOptions, TaskStatus,
};

/// Starts a pool task that awaits `awaited` and records, right after its
/// await, the thread it resumed on. Returns once the await is registered.
fn awaiter(rt: &Runtime, awaited: Task<u32>, resumed: mpsc::Sender<ThreadId>) -> Task<u32> {
    let (registered_tx, registered_rx) = mpsc::channel::<()>();
    let t = rt.run_async(async move {
        // Several awaiters share the task: each awaits a clone (`&task`).
        let mut awaited = std::future::IntoFuture::into_future(&awaited);
        let mut registered = Some(registered_tx);
        let v = std::future::poll_fn(|cx| {
            let poll = Pin::new(&mut awaited).poll(cx);
            if poll.is_pending() {
                if let Some(tx) = registered.take() {
                    tx.send(()).unwrap();
                }
            }
            poll
        })
        .await
        .unwrap();
        resumed.send(std::thread::current().id()).unwrap();
        v
    });
    registered_rx
        .recv_timeout(DEADLINE)
        .expect("the awaiter registered");
    // Registered inside its poll: wait until that poll has returned, so a
    // completion finds it suspended (a task still in its poll cannot be
    // resumed inline; it is rescheduled once the poll ends).
    let deadline = std::time::Instant::now() + DEADLINE;
    while t.status() == TaskStatus::Running {
        assert!(
            std::time::Instant::now() < deadline,
            "the awaiter's poll never returned"
        );
        std::thread::yield_now();
    }
    t
}

#[test]
fn an_await_on_a_promise_resumes_inside_set_result_on_the_completing_thread() {
    with_deadline("inline await continuation", || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        let tcs = TaskCompletionSource::<u32>::new();
        let (tx, rx) = mpsc::channel();
        let task = awaiter(&rt, tcs.task(), tx);
        // Completed from a thread that is not the pool's.
        let (completer, resumed_before_return) = std::thread::spawn(move || {
            tcs.set_result(7).unwrap();
            // The awaiter's code after its await has already run.
            (std::thread::current().id(), rx.try_recv().ok())
        })
        .join()
        .unwrap();
        assert_eq!(resumed_before_return, Some(completer));
        assert_eq!(task.result().unwrap(), 7);
    });
}

#[test]
fn run_continuations_asynchronously_keeps_the_awaiter_off_the_completing_thread() {
    with_deadline("asynchronous await continuation", || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        let tcs = TaskCompletionSource::<u32>::with_options(
            TaskCreationOptions::RUN_CONTINUATIONS_ASYNCHRONOUSLY,
        );
        let (tx, rx) = mpsc::channel();
        let task = awaiter(&rt, tcs.task(), tx);
        let completer = std::thread::spawn(move || {
            tcs.set_result(7).unwrap();
            std::thread::current().id()
        })
        .join()
        .unwrap();
        let resumed = rx.recv_timeout(DEADLINE).unwrap();
        assert_ne!(resumed, completer);
        assert_eq!(task.result().unwrap(), 7);
    });
}

#[test]
fn of_several_awaiters_only_the_first_runs_inline() {
    with_deadline("several awaiters", || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        let tcs = TaskCompletionSource::<u32>::new();
        let (tx, rx) = mpsc::channel();
        let tasks: Vec<_> = (0..3)
            .map(|_| awaiter(&rt, tcs.task(), tx.clone()))
            .collect();
        let completer = std::thread::spawn(move || {
            tcs.set_result(1).unwrap();
            std::thread::current().id()
        })
        .join()
        .unwrap();
        for t in &tasks {
            t.wait().unwrap();
        }
        let resumed: Vec<ThreadId> = (0..3).map(|_| rx.recv().unwrap()).collect();
        let inline = resumed.iter().filter(|&&t| t == completer).count();
        assert_eq!(inline, 1, "resumed on {resumed:?}, completer {completer:?}");
    });
}

#[test]
fn queued_continue_with_continuations_are_queued_before_the_synchronous_ones_run() {
    with_deadline("continuation order", || {
        // One worker, held busy, so the queued continuations stay queued
        // (WaitingToRun) while the synchronous ones run.
        let rt = Runtime::builder()
            .worker_threads(1)
            .max_threads(1)
            .build()
            .unwrap();
        let _enter = rt.handle().enter();
        let hold = TaskCompletionSource::<()>::new();
        let held = hold.task();
        let busy = rt.run(move || held.wait().unwrap());
        let tcs = TaskCompletionSource::<u32>::new();
        let order = Arc::new(Mutex::new(Vec::new()));
        let queued: Arc<Mutex<Vec<Task<&'static str>>>> = Arc::default();
        let mut sync = Vec::new();
        for (i, options) in [
            ContinuationOptions::NONE,
            ContinuationOptions::EXECUTE_SYNCHRONOUSLY,
            ContinuationOptions::NONE,
            ContinuationOptions::EXECUTE_SYNCHRONOUSLY,
        ]
        .into_iter()
        .enumerate()
        {
            let (order, queued_seen) = (order.clone(), queued.clone());
            let synchronous = options.contains(ContinuationOptions::EXECUTE_SYNCHRONOUSLY);
            let c = tcs.task().continue_with(
                move |_| {
                    let statuses: Vec<TaskStatus> = queued_seen
                        .lock()
                        .unwrap()
                        .iter()
                        .map(Task::status)
                        .collect();
                    order.lock().unwrap().push((i, statuses));
                    if synchronous { "sync" } else { "queued" }
                },
                options,
            );
            if synchronous {
                sync.push(c);
            } else {
                queued.lock().unwrap().push(c);
            }
        }
        tcs.set_result(1).unwrap();
        // The synchronous ones ran inside set_result, in registration
        // order, each seeing both queued ones already queued.
        {
            let order = order.lock().unwrap();
            let ran: Vec<usize> = order.iter().map(|(i, _)| *i).collect();
            assert_eq!(ran, [1, 3]);
            for (_, statuses) in order.iter() {
                assert_eq!(statuses, &[TaskStatus::WaitingToRun; 2]);
            }
        }
        hold.set_result(()).unwrap();
        busy.wait().unwrap();
        let queued: Vec<Task<&'static str>> = queued.lock().unwrap().clone();
        for c in queued.iter().chain(&sync) {
            c.wait().unwrap();
        }
        let ran: Vec<usize> = order.lock().unwrap().iter().map(|(i, _)| *i).collect();
        assert_eq!(ran, [1, 3, 0, 2], "then the queued ones, in order");
    });
}

#[test]
fn a_long_chain_of_inline_resumptions_does_not_overflow_the_stack() {
    with_deadline("inline chain", || {
        const LINKS: usize = 20_000;
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        // Task i awaits promise i, then completes promise i + 1: completing
        // the first resumes every other one inline, nested, unless the depth
        // guard queues them.
        let promises: Vec<TaskCompletionSource<usize>> =
            (0..=LINKS).map(|_| TaskCompletionSource::new()).collect();
        let done = Arc::new(AtomicBool::new(false));
        let mut links = Vec::with_capacity(LINKS);
        for i in 0..LINKS {
            let (wait, next) = (promises[i].task(), promises[i + 1].clone());
            links.push(rt.run_async(async move {
                let v = wait.await.unwrap();
                next.set_result(v + 1).unwrap();
            }));
        }
        let last = promises[LINKS].task();
        let d = done.clone();
        let tail = rt.run_async(async move {
            let v = last.await.unwrap();
            d.store(true, Ordering::SeqCst);
            v
        });
        // Let every link register its await first.
        std::thread::sleep(std::time::Duration::from_millis(200));
        promises[0].set_result(0).unwrap();
        assert_eq!(tail.result().unwrap(), LINKS);
        assert!(done.load(Ordering::SeqCst));
        for l in links {
            l.wait().unwrap();
        }
    });
}
