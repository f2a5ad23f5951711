//! Loom models of the task layer's protocols written for the scheduler
//! issue: a `ManualResetValueTaskSource` completed while its `ValueTask` is
//! being awaited.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --lib --release
//! task::loom_tests`.

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
