//! Loom tests of the timer driver (`README.md`): a timer firing racing its
//! disarming, a `Delay`-style re-poll racing the fire, and a timer armed
//! while the timer thread plans its sleep.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --lib --release time::loom_tests`

use super::driver::{Action, Inserted, Plan, Timers};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Instant;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(f);
}

fn counting(n: &Arc<AtomicUsize>) -> Action {
    let n = n.clone();
    Action::Call(Box::new(move || {
        n.fetch_add(1, Ordering::SeqCst);
    }))
}

fn armed(i: Inserted) -> super::driver::WheelKey {
    match i {
        Inserted::Armed { key, .. } => key,
        Inserted::Due(_) => panic!("not due yet"),
    }
}

#[test]
fn a_timer_firing_racing_its_disarming_is_one_or_the_other() {
    model(|| {
        let timers = Arc::new(Timers::new(1, Instant::now()));
        let fired = Arc::new(AtomicUsize::new(0));
        let key = armed(timers.insert(0, 5, counting(&fired)));
        let timer_thread = {
            let timers = timers.clone();
            thread::spawn(move || {
                let _ = timers.turn(10, Action::fire);
            })
        };
        let disarmed = timers.remove(key).is_some();
        timer_thread.join().unwrap();
        assert_eq!(usize::from(disarmed) + fired.load(Ordering::SeqCst), 1);
        assert_eq!(timers.len(), 0);
    });
}

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_delay_polled_again_while_it_fires_sees_it_or_is_woken() {
    model(|| {
        let timers = Arc::new(Timers::new(1, Instant::now()));
        let first = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let second = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let key = armed(timers.insert(0, 5, Action::Wake(Waker::from(first.clone()))));
        let timer_thread = {
            let timers = timers.clone();
            thread::spawn(move || {
                let _ = timers.turn(10, Action::fire);
            })
        };
        let still_armed = timers.refresh_waker(key, &Waker::from(second.clone()));
        timer_thread.join().unwrap();
        let woken = first.0.load(Ordering::SeqCst) + second.0.load(Ordering::SeqCst);
        assert_eq!(woken, 1, "exactly one wake");
        if still_armed {
            // Refreshed before the fire: the new waker is the one woken.
            assert_eq!(second.0.load(Ordering::SeqCst), 1);
        }
    });
}

#[test]
fn a_timer_armed_while_the_thread_plans_is_never_slept_past() {
    model(|| {
        let timers = Arc::new(Timers::new(2, Instant::now()));
        let fired = Arc::new(AtomicUsize::new(0));
        // The thread planned to wake at tick 3 for a timer in shard 0.
        let _ = armed(timers.insert(0, 3, counting(&fired)));
        assert_eq!(timers.turn(0, Action::fire), Plan::SleepUntil(3));
        let timer_thread = {
            let timers = timers.clone();
            thread::spawn(move || timers.turn(3, Action::fire))
        };
        // Meanwhile another thread arms a timer for tick 5 in shard 1.
        let wake_timer = match timers.insert(1, 5, counting(&fired)) {
            Inserted::Armed { wake_timer, .. } => wake_timer,
            Inserted::Due(_) => panic!("not due yet"),
        };
        let plan = timer_thread.join().unwrap();
        let covered =
            wake_timer || plan == Plan::Again || matches!(plan, Plan::SleepUntil(t) if t <= 5);
        assert!(covered, "the thread would sleep past tick 5: {plan:?}");
        assert_eq!(fired.load(Ordering::SeqCst), 1);
    });
}
