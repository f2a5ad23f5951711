//! BENCHMARKS.md §6 / issue 2: at most one heap allocation per spawned task
//! on the common path (spawn, run, await), counted by a global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tasklane::{Runtime, Task};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const N: usize = 10_000;

fn count<R>(f: impl FnOnce() -> R) -> (R, usize) {
    ALLOCS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let r = f();
    COUNTING.store(false, Ordering::SeqCst);
    (r, ALLOCS.load(Ordering::SeqCst))
}

#[test]
fn at_most_one_allocation_per_spawned_task() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let mut handles: Vec<Task<u64>> = Vec::with_capacity(N);
    // Warm up: queues and thread-locals reach their steady state.
    rt.block_on(async {
        for i in 0..N as u64 {
            handles.push(Task::run_async(async move { i }));
        }
        for h in handles.drain(..) {
            h.await.unwrap();
        }
    });

    // Spawned from inside the pool (local queues) and awaited.
    let (_, inside) = count(|| {
        rt.run_async(async move {
            let mut hs = Vec::with_capacity(N);
            for i in 0..N as u64 {
                hs.push(Task::run_async(async move { i }));
            }
            let mut sum = 0;
            for h in hs {
                sum += h.await.unwrap();
            }
            sum
        })
        .result()
        .unwrap()
    });
    // Spawned from outside (global queue) and awaited in order.
    let (_, outside) = count(|| {
        rt.block_on(async {
            for i in 0..N as u64 {
                handles.push(Task::run_async(async move { i }));
            }
            for h in handles.drain(..) {
                h.await.unwrap();
            }
        })
    });
    // The two `Vec`s and the driver task above are a handful of allocations;
    // everything else must be the tasks' own cells.
    let slack = 64;
    println!("allocations: inside {inside}, outside {outside} for {N} tasks each");
    assert!(
        inside <= N + slack,
        "{inside} allocations for {N} spawns from a worker"
    );
    assert!(
        outside <= N + slack,
        "{outside} allocations for {N} spawns from outside"
    );
}
