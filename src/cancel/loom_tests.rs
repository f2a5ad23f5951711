//! Loom tests of the registration protocol (`README.md`): cancel racing a
//! registration, a registration's drop (waiting, and from inside its own
//! callback), an awaiter's drop, and a second cancel.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --lib --release cancel::loom_tests`

use super::{CancellationTokenRegistration, CancellationTokenSource};
use crate::loom::sync::Mutex;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(f);
}

#[test]
fn cancel_racing_register_runs_the_callback_exactly_once() {
    model(|| {
        let cts = Arc::new(CancellationTokenSource::new());
        let token = cts.token();
        let runs = Arc::new(AtomicUsize::new(0));
        let canceller = {
            let cts = cts.clone();
            thread::spawn(move || cts.cancel().unwrap())
        };
        let r = runs.clone();
        let registration = token.register(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        canceller.join().unwrap();
        // Whether it ran inline or from cancel(), it ran once and only once.
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        drop(registration);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn registration_drop_waits_for_a_running_callback_or_prevents_it() {
    model(|| {
        let cts = Arc::new(CancellationTokenSource::new());
        let started = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let registration = {
            let (s, f) = (started.clone(), finished.clone());
            cts.token().register(move || {
                s.store(true, Ordering::SeqCst);
                f.store(true, Ordering::SeqCst);
            })
        };
        let canceller = {
            let cts = cts.clone();
            thread::spawn(move || cts.cancel().unwrap())
        };
        drop(registration);
        // Once the drop returned, the callback either finished or never starts.
        let started_at_drop = started.load(Ordering::SeqCst);
        assert!(!started_at_drop || finished.load(Ordering::SeqCst));
        canceller.join().unwrap();
        assert_eq!(started.load(Ordering::SeqCst), started_at_drop);
    });
}

#[test]
fn a_callback_dropping_its_own_registration_does_not_wait() {
    model(|| {
        let cts = Arc::new(CancellationTokenSource::new());
        let slot: Arc<Mutex<Option<CancellationTokenRegistration>>> = Arc::new(Mutex::new(None));
        let runs = Arc::new(AtomicUsize::new(0));
        let registration = {
            let (slot, runs) = (slot.clone(), runs.clone());
            cts.token().register(move || {
                runs.fetch_add(1, Ordering::SeqCst);
                let mine = crate::loom::lock(&slot).take();
                drop(mine);
            })
        };
        *crate::loom::lock(&slot) = Some(registration);
        let canceller = {
            let cts = cts.clone();
            thread::spawn(move || cts.cancel().unwrap())
        };
        // Another thread races to drop it too; whoever takes it drops it.
        let theirs = crate::loom::lock(&slot).take();
        drop(theirs);
        canceller.join().unwrap();
        assert!(runs.load(Ordering::SeqCst) <= 1);
    });
}

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn cancel_racing_an_awaiters_poll_and_drop() {
    model(|| {
        let cts = Arc::new(CancellationTokenSource::new());
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut cancelled = cts.token().cancelled();
        let first = Pin::new(&mut cancelled).poll(&mut cx);
        let canceller = {
            let cts = cts.clone();
            thread::spawn(move || cts.cancel().unwrap())
        };
        let second = Pin::new(&mut cancelled).poll(&mut cx);
        drop(cancelled);
        canceller.join().unwrap();
        assert!(first.is_pending());
        if second.is_pending() {
            // Still listed at the second poll: either cancel woke it, or
            // the drop removed it first. Never a lost wake with no cancel.
            assert!(cts.is_cancellation_requested());
        }
        assert!(counter.0.load(Ordering::SeqCst) <= 1);
    });
}

#[test]
fn concurrent_cancels_run_each_callback_once() {
    model(|| {
        let cts = Arc::new(CancellationTokenSource::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let registrations: Vec<_> = (0..2)
            .map(|_| {
                let r = runs.clone();
                cts.token().register(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        let other = {
            let cts = cts.clone();
            thread::spawn(move || cts.cancel().unwrap())
        };
        cts.cancel().unwrap();
        other.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        drop(registrations);
    });
}
