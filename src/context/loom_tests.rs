//! Loom models of moving a task to another home (`configure_await(false)`,
//! `switch_to`) while another thread wakes it, or while the new home shuts
//! down. Header rule 2 says only the runner writes `home`; these models check
//! that a wake arriving at any point schedules the task exactly once, on
//! its new home, and that the registry ref moves with it.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --lib --release context::loom_tests`

use super::home::{Rehome, rehome_current};
use crate::loom::sync::Arc as LoomArc;
use crate::loom::sync::atomic::{AtomicU8, Ordering};
use crate::task::header::TaskKind;
use crate::task::loom_home::TestHome;
use crate::task::schedule::Home;
use crate::task::spawn::{Spawn, Start};
use crate::task::{AggregateError, CancelReason, Task, TaskCreationOptions};
use loom::thread;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

const NOT_YET: u8 = 0;
const MOVED: u8 = 1;
const STAYED: u8 = 2;

/// First poll: moves itself to `target` and suspends. Second: completes.
struct Moving {
    target: Option<Home>,
    moved: LoomArc<AtomicU8>,
}

impl Future for Moving {
    type Output = Result<(), AggregateError>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        match self.target.take() {
            Some(target) => {
                let outcome = match rehome_current(target) {
                    Rehome::Moved => MOVED,
                    Rehome::ShutDown => STAYED,
                    other => panic!("unexpected {other:?}"),
                };
                self.moved.store(outcome, Ordering::Release);
                Poll::Pending
            }
            None => Poll::Ready(Ok(())),
        }
    }
}

fn spawn_moving(from: &Arc<TestHome>, to: &Arc<TestHome>) -> (Task<()>, LoomArc<AtomicU8>) {
    let moved = LoomArc::new(AtomicU8::new(NOT_YET));
    let spawn = Spawn {
        home: Home(from.clone()),
        options: TaskCreationOptions::NONE,
        location: Location::caller(),
        kind: TaskKind::Work,
        start: Start::Hot,
        name: None,
    };
    let task = spawn.spawn(Moving {
        target: Some(Home(to.clone())),
        moved: moved.clone(),
    });
    (task, moved)
}

/// The runner moves the task while another thread wakes it (by value or by
/// reference), the wake landing during the poll or after it.
fn moved_while_woken(by_ref: bool) {
    loom::model(move || {
        let (old, new) = (TestHome::new(false), TestHome::new(false));
        let (task, moved) = spawn_moving(&old, &new);
        let waker = crate::task::raw::waker(task.raw());
        let first = old.pop().expect("spawned onto its first home");
        let waking = {
            let moved = moved.clone();
            thread::spawn(move || {
                // Wake once the runner has moved the task (during its poll
                // or after it).
                while moved.load(Ordering::Acquire) == NOT_YET {
                    thread::yield_now();
                }
                if by_ref {
                    waker.wake_by_ref();
                } else {
                    waker.wake();
                }
            })
        };
        first.run();
        waking.join().unwrap();
        assert_eq!(moved.load(Ordering::Acquire), MOVED);
        assert!(old.pop().is_none(), "never scheduled on the old home");
        let again = new.pop().expect("the wake scheduled it on the new home");
        assert!(new.pop().is_none(), "scheduled exactly once");
        assert_eq!(old.registry.len(), 0, "the registry ref moved");
        assert_eq!(new.registry.len(), 1);
        again.run();
        assert!(task.is_completed_successfully());
        assert_eq!(new.registry.len(), 0, "released by its new home");
    });
}

#[test]
fn moving_home_while_woken_by_value() {
    moved_while_woken(false);
}

#[test]
fn moving_home_while_woken_by_ref() {
    moved_while_woken(true);
}

#[test]
fn moving_to_a_home_that_shuts_down_meanwhile() {
    loom::model(|| {
        let (old, new) = (TestHome::new(false), TestHome::new(false));
        let (task, moved) = spawn_moving(&old, &new);
        let first = old.pop().expect("spawned onto its first home");
        let closing = {
            let new = new.clone();
            thread::spawn(move || {
                new.registry
                    .close_and_drain(|t| t.raw().shutdown(CancelReason::ContextShutdown));
            })
        };
        first.run();
        closing.join().unwrap();
        match moved.load(Ordering::Acquire) {
            // Moved, then cancelled by the drain (during or after the poll).
            MOVED => {
                assert!(task.is_canceled(), "a drained home cancels its tasks");
                assert_eq!(old.registry.len(), 0);
            }
            // Closed first: the task stayed home, still pending, listed
            // there; it can still run to completion.
            STAYED => {
                assert!(!task.is_completed());
                assert_eq!(old.registry.len(), 1);
                crate::task::raw::waker(task.raw()).wake();
                old.pop().expect("woken on its old home").run();
                assert!(task.is_completed_successfully());
                assert_eq!(old.registry.len(), 0);
            }
            other => panic!("the poll did not run: {other}"),
        }
        assert!(old.pop().is_none() && new.pop().is_none());
    });
}
