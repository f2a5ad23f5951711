//! Loom models of the task layer's protocols written for the scheduler
//! issue: a `ManualResetValueTaskSource` completed while its `ValueTask` is
//! being awaited, and the last task handle dropped (one state transition
//! that also drops the handles' ref) while the task faults.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --lib --release
//! task::loom_value_task`.

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

/// Faults reported for the task of the model below (the handler is
/// process-wide, so it counts only faults created on `TARGET_LINE`).
static REPORTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static TARGET_LINE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

#[test]
fn the_last_handle_dropped_while_the_task_faults_reports_it_once() {
    use std::sync::atomic::Ordering::SeqCst;
    crate::diag::set_unobserved_fault_handler(Some(Arc::new(|f| {
        if f.location.line() == TARGET_LINE.load(SeqCst) && f.location.file() == file!() {
            REPORTED.fetch_add(1, SeqCst);
        }
    })));
    loom::model(|| {
        REPORTED.store(0, SeqCst);
        let source = super::TaskCompletionSource::<()>::new();
        TARGET_LINE.store(source.location().line(), SeqCst);
        let task = source.task();
        let dropper = thread::spawn(move || drop(task));
        source
            .set_error(std::io::Error::other("nobody looks"))
            .unwrap();
        drop(source);
        dropper.join().unwrap();
        // Whichever came first, completion or the last drop, reports once.
        assert_eq!(REPORTED.load(SeqCst), 1);
    });
    crate::diag::set_unobserved_fault_handler(None);
}
