//! Loom tests of the task state word and the continuation list: completion
//! racing the registration of a waker or a continuation, two threads
//! completing one promise, and handles dropping while the task faults
//! (the only handle of a spawned task included, so that its completion
//! finds no handle left).
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --lib --release task::loom_tests`

use super::continuation::Continuation;
use super::header::TaskKind;
use super::loom_home::TestHome;
use super::loom_reports::{UnobservedHandler, reports_of};
use super::raw::TaskRef;
use super::schedule::Home;
use super::spawn::{Spawn, Start};
use super::{AggregateError, Task, TaskCompletionSource, TaskCreationOptions, TaskError};
use crate::loom::sync::Mutex;
use loom::sync::atomic::{AtomicUsize, Ordering};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

#[track_caller]
fn spawn_on<F>(home: &Arc<TestHome>, start: Start, f: F) -> Task<u32>
where
    F: Future<Output = super::Outcome<u32>> + Send + 'static,
{
    Spawn {
        home: Home(home.clone()),
        options: TaskCreationOptions::NONE,
        location: Location::caller(),
        kind: TaskKind::Work,
        start,
        name: None,
    }
    .spawn(f)
}

#[test]
fn completion_races_waker_registration() {
    loom::model(|| {
        let tcs = TaskCompletionSource::<u32>::new();
        let task = tcs.task();
        let setter = loom::thread::spawn(move || {
            tcs.set_result(7).unwrap();
        });
        // A lost wake-up would leave block_on parked forever: loom reports it.
        let v = loom::future::block_on(task).unwrap();
        assert_eq!(v, 7);
        setter.join().unwrap();
    });
}

#[test]
fn completion_races_continuation_registration() {
    loom::model(|| {
        let tcs = TaskCompletionSource::<u32>::new();
        let antecedent = tcs.task();
        let ran = Arc::new(AtomicUsize::new(0));
        let home = TestHome::new(true);
        let setter = loom::thread::spawn(move || {
            tcs.set_result(1).unwrap();
        });
        // A continuation task waiting for the antecedent, registered as an
        // inline continuation (ExecuteSynchronously) while the setter races.
        let ran2 = ran.clone();
        let ante2 = antecedent.clone();
        let cont = spawn_on(&home, Start::Waiting, async move {
            assert!(ante2.is_completed(), "continuations run after completion");
            ran2.fetch_add(1, Ordering::SeqCst);
            Ok(2)
        });
        let entry = Continuation::Inline(TaskRef::new_ref(cont.raw()));
        match super::handle::register(antecedent.raw(), entry) {
            super::continuation::Registered::Stored(_) => {}
            super::continuation::Registered::MustDrain => {
                super::run_continuations::run_continuations(antecedent.raw())
            }
            super::continuation::Registered::Completed(c) => {
                super::run_continuations::run_continuation(antecedent.raw(), c, false)
            }
        }
        setter.join().unwrap();
        home.run_all();
        assert_eq!(
            ran.load(Ordering::SeqCst),
            1,
            "the continuation ran exactly once"
        );
        assert_eq!(cont.try_result().unwrap().unwrap(), 2);
    });
}

#[test]
fn two_threads_complete_one_promise() {
    loom::model(|| {
        let tcs = TaskCompletionSource::<u32>::new();
        let task = tcs.task();
        let tcs2 = tcs.clone();
        let other = loom::thread::spawn(move || tcs2.try_set_result(1));
        let mine = tcs.try_set_result(2);
        let theirs = other.join().unwrap();
        assert!(mine ^ theirs, "exactly one completion wins");
        let v = task.try_result().expect("complete").unwrap();
        assert_eq!(v, if mine { 2 } else { 1 });
        // The loser's value was not stored; the winner's stays.
        assert!(tcs.set_result(3).is_err());
    });
}

#[derive(Debug)]
struct Boom;
impl std::fmt::Display for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("boom")
    }
}
impl std::error::Error for Boom {}

/// An error that raises its flag when dropped: the fault's errors live in
/// the task's cell, so the flag says the cell was freed.
#[derive(Debug)]
struct FreedWithCell(Arc<std::sync::atomic::AtomicBool>);
impl std::fmt::Display for FreedWithCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("freed with the cell")
    }
}
impl std::error::Error for FreedWithCell {}
impl Drop for FreedWithCell {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn handle_drops_race_a_promise_faulting() {
    let _handler = UnobservedHandler::own();
    loom::model(|| {
        let tcs = TaskCompletionSource::<u32>::new();
        let task = tcs.task();
        let id = task.id();
        let completer = loom::thread::spawn(move || {
            tcs.set_error(Boom).unwrap();
            drop(tcs);
        });
        drop(task);
        completer.join().unwrap();
        // The source holds a handle until after it completes the promise, so
        // the last handle drops after the fault, on either thread: it
        // reports, exactly once.
        assert_eq!(reports_of(id), 1);
    });
}

#[test]
fn the_only_handle_drops_while_the_spawned_task_faults() {
    let _handler = UnobservedHandler::own();
    loom::model(|| {
        let freed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let home = TestHome::new(true);
        let error = FreedWithCell(freed.clone());
        let task = spawn_on(&home, Start::Hot, async move {
            Err(AggregateError::one(TaskError::new(error)))
        });
        let id = task.id();
        let runner = loom::thread::spawn(move || home.run_all());
        // Before the poll, during it, or after the completion: whichever of
        // the last drop and the completion comes second reports.
        drop(task);
        runner.join().unwrap();
        assert_eq!(reports_of(id), 1, "reported exactly once");
        assert!(
            freed.load(std::sync::atomic::Ordering::SeqCst),
            "the cell was freed"
        );
    });
}

#[test]
fn last_handle_drops_while_spawned_task_completes() {
    let _handler = UnobservedHandler::own();
    loom::model(|| {
        let home = TestHome::new(true);
        let task = spawn_on(&home, Start::Hot, async {
            Err(AggregateError::one(TaskError::new(Boom)))
        });
        let id = task.id();
        let observer = task.clone();
        let home2 = home.clone();
        let runner = loom::thread::spawn(move || home2.run_all());
        // One handle observes, the other drops: observed faults never report.
        let seen = loom::future::block_on(observer);
        assert!(seen.is_err());
        drop(task);
        runner.join().unwrap();
        assert_eq!(reports_of(id), 0);
    });
}

/// A future pending until its flag is set, waking whoever polled last.
struct Gate {
    open: Arc<loom::sync::atomic::AtomicBool>,
    waker: Arc<Mutex<Option<std::task::Waker>>>,
}

impl Future for Gate {
    type Output = super::Outcome<u32>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        *crate::loom::lock(&self.waker) = Some(cx.waker().clone());
        if self.open.load(Ordering::SeqCst) {
            Poll::Ready(Ok(5))
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn wake_races_poll_no_lost_wakeup() {
    loom::model(|| {
        let home = TestHome::new(true);
        let open = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let waker: Arc<Mutex<Option<std::task::Waker>>> = Arc::new(Mutex::new(None));
        let task = spawn_on(
            &home,
            Start::Hot,
            Gate {
                open: open.clone(),
                waker: waker.clone(),
            },
        );
        let opener = loom::thread::spawn(move || {
            open.store(true, Ordering::SeqCst);
            if let Some(w) = crate::loom::lock(&waker).take() {
                w.wake();
            }
        });
        home.run_all();
        opener.join().unwrap();
        // Whatever the interleaving, a wake that raced the poll rescheduled
        // the task (or the poll saw the flag).
        home.run_all();
        assert_eq!(task.try_result().expect("completed").unwrap(), 5);
    });
}

#[test]
fn token_cancel_races_the_first_poll() {
    loom::model(|| {
        let home = TestHome::new(true);
        let polled = Arc::new(AtomicUsize::new(0));
        let p = polled.clone();
        let task = spawn_on(&home, Start::Hot, async move {
            p.fetch_add(1, Ordering::SeqCst);
            Ok(1)
        });
        let raw = task.raw();
        let target = TaskRef::new_ref(raw);
        let canceller = loom::thread::spawn(move || {
            target
                .raw()
                .cancel_if_unstarted(super::CanceledError::new())
        });
        home.run_all();
        let canceled = canceller.join().unwrap();
        // Exactly one side wins: either the body ran and the task completed,
        // or it was canceled and the body never ran.
        let ran = polled.load(Ordering::SeqCst);
        if canceled {
            assert_eq!(ran, 0);
            assert!(task.is_canceled());
        } else {
            assert_eq!(ran, 1);
            assert_eq!(task.try_result().expect("complete").unwrap(), 1);
        }
    });
}

/// A future that wakes itself during its first poll (so the task is
/// rescheduled while it runs) and is ready at its second.
struct WakesItselfOnce {
    polls: Arc<AtomicUsize>,
}

impl Future for WakesItselfOnce {
    type Output = super::Outcome<u32>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.polls.fetch_add(1, Ordering::SeqCst) == 0 {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(Ok(9))
        }
    }
}

/// A waiter runs a queued task inline while a worker pops its queue entry
/// (the entry goes stale): the future is polled exactly as often as it
/// asks, never twice at once, and every ref is accounted for.
#[test]
fn an_inline_claim_races_the_worker_popping_the_queued_task() {
    loom::model(|| {
        let home = TestHome::new(true);
        let polls = Arc::new(AtomicUsize::new(0));
        let task = spawn_on(
            &home,
            Start::Hot,
            WakesItselfOnce {
                polls: polls.clone(),
            },
        );
        let raw = task.raw();
        let worker_home = home.clone();
        let worker = loom::thread::spawn(move || worker_home.run_all());
        raw.try_run_inline(|_| true);
        worker.join().unwrap();
        home.run_all();
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        assert_eq!(task.try_result().expect("completed").unwrap(), 9);
    });
}

/// A waiter claims a queued task its home keeps for itself and gives it
/// back while a worker pops the old entry: the task is never lost.
#[test]
fn a_released_claim_is_rescheduled_whatever_the_old_entry_did() {
    loom::model(|| {
        let home = TestHome::new(true);
        let polls = Arc::new(AtomicUsize::new(0));
        let task = spawn_on(
            &home,
            Start::Hot,
            WakesItselfOnce {
                polls: polls.clone(),
            },
        );
        let raw = task.raw();
        let worker_home = home.clone();
        let worker = loom::thread::spawn(move || worker_home.run_all());
        assert!(!raw.try_run_inline(|_| false));
        worker.join().unwrap();
        home.run_all();
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        assert_eq!(task.try_result().expect("completed").unwrap(), 9);
    });
}

/// Two inputs of `when_all` completing on two threads: exactly one of them
/// finds the count at zero and completes the promise, with both values.
#[test]
fn when_all_inputs_completing_together_complete_it_once() {
    loom::model(|| {
        let (a, b) = (
            TaskCompletionSource::<u32>::new(),
            TaskCompletionSource::<u32>::new(),
        );
        let all = Task::when_all(vec![a.task(), b.task()]);
        let other = loom::thread::spawn(move || a.set_result(1).unwrap());
        b.set_result(2).unwrap();
        other.join().unwrap();
        assert_eq!(all.try_result().expect("complete").unwrap(), vec![1, 2]);
    });
}

/// Two inputs of `when_any` completing on two threads while the other is
/// still being registered: one winner, and the loser's action is removed
/// or ran, never left behind.
#[test]
fn when_any_inputs_completing_together_pick_one_winner() {
    loom::model(|| {
        let (a, b) = (
            TaskCompletionSource::<u32>::new(),
            TaskCompletionSource::<u32>::new(),
        );
        let (ta, tb) = (a.task(), b.task());
        let setter = loom::thread::spawn(move || a.set_result(1).unwrap());
        let any = Task::when_any(vec![ta.clone(), tb.clone()]);
        b.set_result(2).unwrap();
        setter.join().unwrap();
        let winner = any.try_result().expect("complete").unwrap();
        assert!(winner == ta || winner == tb);
    });
}

/// The only handle moves the output out while a promise's source makes a
/// new handle and reads it: the reader sees the value (the move found a
/// second handle and left it) or finds it taken, never a value being moved.
#[test]
fn an_output_move_races_a_new_handle_reading() {
    loom::model(|| {
        let tcs = TaskCompletionSource::<u32>::new();
        let only = tcs.task();
        tcs.set_result(5).unwrap();
        let reader = loom::thread::spawn(move || tcs.task().try_result().expect("complete"));
        let moved = only.into_result();
        let read = reader.join().unwrap();
        match moved {
            Ok(v) => {
                assert_eq!(v, 5);
                // The reader either finished (and let go of its handle)
                // before the move, or found the value gone: never a value
                // read from a moved-out stage.
                if let Err(err) = read {
                    assert_eq!(
                        err.first().downcast_ref::<super::InvalidOperationError>(),
                        Some(&super::InvalidOperationError::OutputTaken)
                    );
                }
            }
            Err(err) => {
                assert_eq!(
                    err.first().downcast_ref::<super::InvalidOperationError>(),
                    Some(&super::InvalidOperationError::OutputShared)
                );
                assert_eq!(read.unwrap(), 5);
            }
        }
    });
}
