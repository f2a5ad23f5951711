//! Loom models of the elastic pool's counts (README, "Blocking and
//! elastic threads"): the blocked count when a worker and the supervisor
//! race over one slot, compensation of a blocking worker by a parked one
//! (no lost wake-up), concurrent stand-downs against the goal, and the
//! supervisor's sleep against the first unpark.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --lib
//! --release pool::loom_blocking`.

use super::idle::{Idle, NotifyAction, block_state};
use super::loom_tests::{model_worker, task};
use super::{PoolSettings, Shared};
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicU8, AtomicUsize, Ordering::*};
use loom::thread;

/// The worker enters and leaves a cooperative block while the supervisor
/// presumes the same slot blocked and then sees it progress: whoever wins
/// each transition moves the count, which never underflows (a debug
/// assertion in `unblock`) and ends at zero.
#[test]
fn blocked_count_settles_when_worker_and_supervisor_race() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2, 8, 4));
        let slot = Arc::new(AtomicU8::new(block_state::NOT_BLOCKED));
        let worker = {
            let (idle, slot) = (idle.clone(), slot.clone());
            thread::spawn(move || {
                idle.enter_blocking(&slot);
                assert!(idle.counts().blocked >= 1);
                idle.leave_blocking(&slot);
            })
        };
        idle.presume_blocked(&slot, block_state::NOT_BLOCKED);
        idle.presumed_unblocked(&slot);
        worker.join().unwrap();
        assert_eq!(idle.counts().blocked, 0);
        assert_eq!(slot.load(Acquire), block_state::NOT_BLOCKED);
    });
}

/// As above, for one of the runtime's own (announced, uncounted) blocking
/// sections that the supervisor promotes.
#[test]
fn announced_section_promoted_by_the_supervisor_settles() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(2, 8, 4));
        let slot = Arc::new(AtomicU8::new(block_state::NOT_BLOCKED));
        let worker = {
            let (idle, slot) = (idle.clone(), slot.clone());
            thread::spawn(move || {
                idle.announce_blocking(&slot);
                idle.leave_blocking(&slot);
            })
        };
        if slot.load(Acquire) == block_state::ANNOUNCED {
            idle.presume_blocked(&slot, block_state::ANNOUNCED);
        }
        idle.presumed_unblocked(&slot);
        worker.join().unwrap();
        assert_eq!(idle.counts().blocked, 0);
        assert_eq!(slot.load(Acquire), block_state::NOT_BLOCKED);
    });
}

/// A pool with a goal of one running worker and a spare thread: worker 0
/// runs, worker 1 (surplus) goes to park. Worker 0 blocks (counted out of
/// the running ones, then the re-check) while a task is queued from
/// outside, whose notifier may see worker 0 still running and wake nobody:
/// worker 1 must still run the task. A lost wake-up leaves it parked,
/// worker 0 waiting for the task and the main thread joining it: loom
/// reports the deadlock (it does if the re-check is removed).
#[test]
fn a_blocking_worker_is_compensated_by_a_parked_one() {
    loom::model(|| {
        let settings = PoolSettings {
            workers: 2,
            max_threads: 2,
            global_queue_capacity: 2,
            ..PoolSettings::default()
        };
        let (shared, _cores) = Shared::new(settings);
        shared.idle.set_limits(1, 2);
        shared.idle.set_goal(1);
        let ran = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(loom::sync::Notify::new());
        let parked_worker = {
            let (shared, ran) = (shared.clone(), ran.clone());
            thread::spawn(move || model_worker(&shared, 1, &ran, 1))
        };
        let blocker = {
            let (shared, done, ran) = (shared.clone(), done.clone(), ran.clone());
            thread::spawn(move || {
                let slot = &shared.slots.get(0).block_state;
                if shared.idle.enter_blocking(slot) && shared.has_queued_work() {
                    shared.notify_parked();
                }
                // Blocked until the queued task ran elsewhere (loom's
                // `Notify` may wake spuriously).
                while ran.load(Acquire) == 0 {
                    done.wait();
                }
                shared.idle.leave_blocking(slot);
            })
        };
        shared.push_global(task());
        parked_worker.join().unwrap();
        assert_eq!(ran.load(Acquire), 1);
        done.notify();
        blocker.join().unwrap();
        assert_eq!(shared.idle.counts().blocked, 0);
    });
}

/// Three running workers above a goal of one stand down at once: exactly
/// two do, so the running count lands on the goal, not below.
#[test]
fn concurrent_stand_downs_stop_at_the_goal() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(3, 8, 4));
        idle.set_limits(1, 8);
        idle.set_goal(1);
        let stood = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let (idle, stood) = (idle.clone(), stood.clone());
                thread::spawn(move || {
                    if idle.try_stand_down(i) {
                        stood.fetch_add(1, AcqRel);
                    }
                })
            })
            .collect();
        if idle.try_stand_down(2) {
            stood.fetch_add(1, AcqRel);
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(stood.load(Acquire), 2);
        assert_eq!(idle.counts().unparked, 1);
    });
}

/// The supervisor goes to sleep when no worker is unparked; a notifier
/// that wakes a parked worker right then must see the asleep bit and wake
/// it. A missed bit leaves the supervisor asleep forever: deadlock.
#[test]
fn the_supervisor_never_sleeps_through_an_unpark() {
    loom::model(|| {
        let idle = Arc::new(Idle::new(1, 4, 4));
        assert!(!idle.transition_worker_to_parked(0, false));
        let sup = Arc::new(loom::sync::Notify::new());
        let supervisor = {
            let (idle, sup) = (idle.clone(), sup.clone());
            thread::spawn(move || {
                if idle.supervisor_try_sleep() {
                    // As the supervisor does: sleep while the bit is set
                    // (loom's `Notify` may wake spuriously).
                    while idle.supervisor_asleep() {
                        sup.wait();
                    }
                }
            })
        };
        let n = idle.worker_to_notify();
        assert_eq!(n.action, NotifyAction::Wake(0));
        if n.wake_supervisor {
            sup.notify();
        }
        supervisor.join().unwrap();
        assert!(!idle.supervisor_asleep());
    });
}
