//! A spawned task costs at most one heap allocation (its cell), whether it
//! is spawned from outside the pool or from a worker, counted across every
//! thread of the process while the tasks are spawned, run and completed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, mpsc};
use tasklane::{Runtime, Task};

/// Counts allocations in every thread while `COUNTING` is set. This file
/// holds one test, so no other test allocates meanwhile.
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator; the
// counters are static atomics, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

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
