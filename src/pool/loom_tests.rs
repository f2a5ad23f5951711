//! Loom models of the pool's protocols: the local ring (push, pop and
//! overflow racing a steal, wrap-around at the tiny loom capacity), the
//! global queue (concurrent producers and consumers, spill, close racing a
//! push) and parking (no lost wake-up between a notifier and a parking
//! worker).
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --lib
//! --release pool::loom_tests` (about a minute; the two-worker parking model
//! also passes with 3 preemptions, in about 8 minutes).

use super::inject::Inject;
use super::queue::{self, CAPACITY, Overflow};
use super::{PoolSettings, Shared};
use crate::context::ExecutionContext;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use crate::task::TaskCreationOptions;
use crate::task::cell::{Cell, NeverPolled, Stage};
use crate::task::header::{Header, TaskKind};
use crate::task::raw::{Notified, RawTask};
use crate::task::state::State;
use loom::thread;
use std::panic::Location;

/// A task that is never polled, holding one ref: the `Notified` returned.
/// Dropping it frees the cell; dropping it twice trips the ref count's
/// debug assertion, and loom reports the cell leaked if it is never dropped.
pub(super) fn task() -> Notified {
    let header = Header::new(
        State::new(1, false, false),
        Cell::<NeverPolled<()>, ()>::vtable(),
        TaskKind::Promise,
        TaskCreationOptions::NONE,
        Location::caller(),
        None,
        ExecutionContext::default(),
        None,
    );
    Notified(Cell::<NeverPolled<()>, ()>::allocate(
        header,
        Stage::Consumed,
    ))
}

/// Drops every task of `inject`, counting them.
fn drain(inject: &Inject) -> usize {
    let mut n = 0;
    while let Some(t) = inject.pop() {
        drop(t);
        n += 1;
    }
    n
}

/// Pops every task of a local ring, counting them.
fn drain_local(local: &mut queue::Local) -> usize {
    let mut n = 0;
    while let Some(t) = local.pop() {
        drop(t);
        n += 1;
    }
    n
}

/// A thief steals once into a ring of its own and counts what it got.
fn thief(steal: queue::Steal) -> thread::JoinHandle<usize> {
    thread::spawn(move || {
        let (_, mut mine) = queue::local();
        match steal.steal_into(&mut mine) {
            Some(t) => {
                drop(t);
                1 + drain_local(&mut mine)
            }
            None => 0,
        }
    })
}

#[test]
fn local_push_pop_racing_a_steal() {
    loom::model(|| {
        let inject = Inject::new(4);
        let (steal, mut local) = queue::local();
        let th = thief(steal);
        local.push_back(task(), &inject);
        local.push_back(task(), &inject);
        let mut n = usize::from(local.pop().is_some());
        local.push_back(task(), &inject);
        n += drain_local(&mut local);
        n += th.join().unwrap();
        n += drain(&inject);
        assert_eq!(n, 3);
    });
}

#[test]
fn local_wraps_around_while_stolen_from() {
    loom::model(|| {
        let inject = Inject::new(4);
        let (steal, mut local) = queue::local();
        // Move the ring's indices near the end of the buffer first.
        for _ in 0..CAPACITY - 1 {
            local.push_back(task(), &inject);
            drop(local.pop().unwrap());
        }
        let th = thief(steal);
        // These pushes wrap around the buffer's end.
        for _ in 0..3 {
            local.push_back(task(), &inject);
        }
        let mut n = drain_local(&mut local);
        n += th.join().unwrap();
        n += drain(&inject);
        assert_eq!(n, 3);
    });
}

#[test]
fn local_overflows_to_the_global_queue_while_stolen_from() {
    loom::model(|| {
        let inject = Inject::new(8);
        let (steal, mut local) = queue::local();
        let th = thief(steal);
        // One more than fits: the owner moves half the ring (or, with a
        // thief in flight, just this task) to the global queue.
        for _ in 0..CAPACITY + 1 {
            local.push_back(task(), &inject);
        }
        let mut n = drain_local(&mut local);
        n += th.join().unwrap();
        n += drain(&inject);
        assert_eq!(n, CAPACITY + 1);
    });
}

/// The order a producer's tasks come out in must be the order it pushed
/// them, through the ring and its spill alike.
#[test]
fn global_queue_keeps_each_producers_order() {
    loom::model(|| {
        // A ring of 2: of the three pushes, at least one spills.
        let inject = Arc::new(Inject::new(2));
        let (a, b) = (task(), task());
        let (first, second) = (a.raw(), b.raw());
        let producer = {
            let inject = inject.clone();
            thread::spawn(move || {
                inject.push(a);
                inject.push(b);
            })
        };
        let consumer = {
            let inject = inject.clone();
            thread::spawn(move || inject.pop().map(Notified::into_raw))
        };
        inject.push(task());
        producer.join().unwrap();
        let mut order: Vec<RawTask> = consumer.join().unwrap().into_iter().collect();
        while let Some(t) = inject.pop() {
            order.push(t.into_raw());
        }
        assert_eq!(order.len(), 3);
        let pos = |r: RawTask| order.iter().position(|&o| o == r);
        assert!(
            pos(first) < pos(second),
            "a producer's tasks were reordered"
        );
        order.into_iter().for_each(|raw| drop(Notified(raw)));
    });
}

#[test]
fn global_queue_batches_race_pushes() {
    loom::model(|| {
        let inject = Arc::new(Inject::new(4));
        let producer = {
            let inject = inject.clone();
            thread::spawn(move || {
                inject.push_batch(&mut (0..3).map(|_| task()));
            })
        };
        let mut got = 0;
        if let Some(t) = inject.pop_batch(3, |t| {
            drop(t);
            got += 1;
        }) {
            drop(t);
            got += 1;
        }
        producer.join().unwrap();
        got += drain(&inject);
        assert_eq!(got, 3);
    });
}

#[test]
fn global_queue_batch_spilling_racing_pops_keeps_order() {
    loom::model(|| {
        // A ring of 2 and a batch of 3: the third task spills.
        let inject = Arc::new(Inject::new(2));
        let batch = [task(), task(), task()];
        let raws: Vec<RawTask> = batch.iter().map(Notified::raw).collect();
        let consumer = {
            let inject = inject.clone();
            thread::spawn(move || inject.pop().map(Notified::into_raw))
        };
        inject.push_batch(&mut batch.into_iter());
        let mut order: Vec<RawTask> = consumer.join().unwrap().into_iter().collect();
        while let Some(t) = inject.pop() {
            order.push(t.into_raw());
        }
        assert_eq!(order, raws, "a batch came out reordered");
        order.into_iter().for_each(|raw| drop(Notified(raw)));
    });
}

#[test]
fn global_queue_close_racing_a_push_leaves_nothing_behind() {
    loom::model(|| {
        let inject = Arc::new(Inject::new(2));
        let producer = {
            let inject = inject.clone();
            thread::spawn(move || inject.push(task()))
        };
        inject.close();
        producer.join().unwrap();
        // Whatever the order, the task was dropped: by `close`, or by the
        // push that found the queue closed.
        assert!(inject.is_empty());
        assert!(inject.pop().is_none());
    });
}

#[test]
fn parker_unpark_before_or_during_park_wakes() {
    loom::model(|| {
        let parker = Arc::new(super::park::Parker::new());
        let woken = Arc::new(AtomicBool::new(false));
        let th = {
            let (parker, woken) = (parker.clone(), woken.clone());
            thread::spawn(move || {
                parker.park_timeout(None);
                woken.store(true, Release);
            })
        };
        parker.unpark();
        th.join().unwrap();
        assert!(woken.load(Acquire));
    });
}

/// One worker's loop, as `worker.rs` runs it, reduced to the global queue
/// (the model's only queue): take work, else search, else park. The worker
/// that runs the last of `tasks` shuts the pool down, which unparks the
/// others; a lost wake-up leaves a task queued with every worker asleep,
/// which loom reports as a deadlock.
pub(super) fn model_worker(shared: &Shared, index: usize, ran: &AtomicUsize, tasks: usize) {
    let mut searching = false;
    while !shared.is_shutdown() {
        let mut task = shared.inject.pop();
        if task.is_none() && !searching {
            searching = shared.idle.transition_worker_to_searching();
        }
        if task.is_none() && searching {
            task = shared.inject.pop();
        }
        match task {
            Some(t) => {
                if std::mem::take(&mut searching) && shared.idle.transition_worker_from_searching()
                {
                    shared.notify_parked();
                }
                drop(t);
                if ran.fetch_add(1, AcqRel) + 1 == tasks {
                    assert!(shared.shutdown(std::time::Instant::now()));
                }
            }
            None => {
                searching = shared.park_worker(index, searching, || false) == super::Woken::Notified
            }
        }
    }
}

/// Runs `workers` model workers and `tasks` pushes from outside the pool;
/// every task must run.
fn no_lost_wakeup(workers: usize, tasks: usize) {
    loom::model(move || {
        let settings = PoolSettings {
            workers,
            global_queue_capacity: 2,
            ..PoolSettings::default()
        };
        let (shared, _cores) = Shared::new(settings);
        let ran = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..workers)
            .map(|i| {
                let (shared, ran) = (shared.clone(), ran.clone());
                thread::spawn(move || model_worker(&shared, i, &ran, tasks))
            })
            .collect();
        for _ in 0..tasks {
            shared.push_global(task());
        }
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(ran.load(Acquire), tasks);
    });
}

#[test]
fn parking_one_worker_loses_no_wakeup() {
    no_lost_wakeup(1, 2);
}

#[test]
fn parking_two_workers_loses_no_wakeup() {
    no_lost_wakeup(2, 1);
}
