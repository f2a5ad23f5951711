//! Loom models of the task layer's protocols written for the scheduler
//! issue: a `ManualResetValueTaskSource` completed while its `ValueTask` is
//! being awaited, and a task handle dropped on another thread (one state
//! transition that also drops the handles' ref when it is the last) while
//! the task's source faults it.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --lib --release
//! task::loom_value_task`.

use super::loom_reports::{UnobservedHandler, reports_of};
use super::{InvalidOperationError, ManualResetValueTaskSource};
use loom::future::block_on;
use loom::thread;
use std::sync::Arc;

#[test]
fn source_completion_racing_an_await_is_never_lost() {
    loom::model(|| {
        let source = Arc::new(ManualResetValueTaskSource::<u32>::new());
        let vt = source.value_task();
        let awaiter = thread::spawn(move || block_on(vt));
        source.set_result(7).unwrap();
        assert_eq!(awaiter.join().unwrap().unwrap(), 7);
    });
}

#[test]
fn a_reset_racing_an_await_gives_the_value_or_the_stale_error() {
    loom::model(|| {
        let source = Arc::new(ManualResetValueTaskSource::<u32>::new());
        let vt = source.value_task();
        let awaiter = thread::spawn(move || block_on(vt));
        let setter = {
            let source = source.clone();
            thread::spawn(move || {
                let _ = source.set_result(1);
            })
        };
        source.reset();
        setter.join().unwrap();
        match awaiter.join().unwrap() {
            Ok(v) => assert_eq!(v, 1),
            Err(e) => assert!(matches!(
                e.downcast_ref::<InvalidOperationError>(),
                Some(InvalidOperationError::StaleValueTask {
                    awaited: 0,
                    current: 1
                })
            )),
        }
    });
}

#[test]
fn a_handle_dropped_while_the_source_faults_the_task_reports_it_once() {
    let _handler = UnobservedHandler::own();
    loom::model(|| {
        let source = super::TaskCompletionSource::<()>::new();
        let task = source.task();
        let id = task.id();
        let dropper = thread::spawn(move || drop(task));
        source
            .set_error(std::io::Error::other("nobody looks"))
            .unwrap();
        drop(source);
        dropper.join().unwrap();
        // The source holds a handle of its own until after the fault, so the
        // last handle to drop (the task's on the other thread, or the
        // source's here) finds the task complete and reports it, once.
        assert_eq!(reports_of(id), 1);
    });
}
