//! A spawned task costs at most one heap allocation (its cell), whether it
//! is spawned from outside the pool or from a worker, counted across every
//! thread of the process while the tasks are spawned, run and completed.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, mpsc};
use tasklane::{Runtime, Task};

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{ALLOCATIONS, COUNTING};

const TASKS: usize = 1_000;

/// Spawns `TASKS` tasks (from this thread, or from a task on a worker) that
/// each count down; returns once the last one ran.
fn spawn_round(rt: &Runtime, from_worker: bool) {
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    let left = Arc::new(AtomicUsize::new(TASKS));
    let spawn_all = move || {
        for _ in 0..TASKS {
            let (done_tx, left) = (done_tx.clone(), left.clone());
            drop(Task::run(move || {
                if left.fetch_sub(1, SeqCst) == 1 {
                    done_tx.send(()).unwrap();
                }
            }));
        }
    };
    if from_worker {
        drop(rt.run(spawn_all));
    } else {
        let _enter = rt.handle().enter();
        spawn_all();
    }
    done_rx.recv().unwrap();
}

#[test]
fn a_spawned_task_costs_at_most_one_allocation() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    for from_worker in [false, true] {
        // Warm-up: thread-locals, queues and channels reach their size.
        for _ in 0..3 {
            spawn_round(&rt, from_worker);
        }
        ALLOCATIONS.store(0, SeqCst);
        COUNTING.store(true, SeqCst);
        spawn_round(&rt, from_worker);
        COUNTING.store(false, SeqCst);
        let allocations = ALLOCATIONS.load(SeqCst);
        // One cell per task; the round itself makes a channel, a counter
        // and (from a worker) the spawning task: a few more.
        assert!(
            allocations <= TASKS as u64 + 8,
            "{allocations} allocations for {TASKS} tasks (from a worker: {from_worker})"
        );
        assert!(
            allocations >= TASKS as u64,
            "the counter missed the task cells"
        );
    }
}
