//! The worker loop: find work (LIFO slot, local ring, global queue, steal),
//! run it, park when there is none.

use super::Shared;
use super::queue::Local;
use crate::task::raw::Notified;
use crate::task::schedule::Hint;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

/// What only the worker thread touches.
pub(crate) struct Core {
    index: usize,
    local: Local,
    /// The task to run next: the last one woken by the running task.
    lifo: Option<Notified>,
    tick: u32,
    is_searching: bool,
    rng: FastRand,
}

impl Core {
    pub(crate) fn new(index: usize, local: Local) -> Core {
        Core {
            index,
            local,
            lifo: None,
            tick: 0,
            is_searching: false,
            rng: FastRand::new(index as u64 + 1),
        }
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }
}

/// The worker's thread-local context: the pool, and its core while the
/// worker owns it.
struct WorkerContext {
    shared: Arc<Shared>,
    index: usize,
    core: RefCell<Option<Core>>,
}

thread_local! {
    static WORKER: Cell<*const WorkerContext> = const { Cell::new(std::ptr::null()) };
}

fn with_worker<R>(f: impl FnOnce(Option<&WorkerContext>) -> R) -> R {
    WORKER.with(|w| {
        let p = w.get();
        // SAFETY: the pointer is set by `run` to a context on its stack for
        // the length of the worker loop, and cleared before it returns.
        f(if p.is_null() {
            None
        } else {
            Some(unsafe { &*p })
        })
    })
}

/// True if the calling thread is a worker of `shared`.
pub(crate) fn is_worker_of(shared: &Shared) -> bool {
    with_worker(|w| w.is_some_and(|w| std::ptr::eq(Arc::as_ptr(&w.shared), shared)))
}

/// The index of the calling worker, if it is one.
pub(crate) fn current_worker_index() -> Option<usize> {
    with_worker(|w| w.map(|w| w.index))
}

/// Queues `task` on the calling worker if it belongs to the pool at
/// `pool_addr`; gives the task back otherwise.
pub(crate) fn schedule_on_current_worker(
    pool_addr: *const (),
    task: Notified,
    hint: Hint,
) -> Result<(), Notified> {
    with_worker(|w| {
        let Some(w) = w else { return Err(task) };
        if Arc::as_ptr(&w.shared) as *const () != pool_addr {
            return Err(task);
        }
        crate::diag::counters::scheduled();
        let shared = &w.shared;
        if matches!(hint, Hint::Yield | Hint::Remote) {
            shared.inject.push(task);
            shared.notify_parked();
            return Ok(());
        }
        // The core may be borrowed if this runs from inside the worker's own
        // queue code (a task dropped there waking another); go global then.
        let Ok(mut core) = w.core.try_borrow_mut() else {
            shared.inject.push(task);
            shared.notify_parked();
            return Ok(());
        };
        let Some(core) = core.as_mut() else {
            shared.inject.push(task);
            shared.notify_parked();
            return Ok(());
        };
        if hint == Hint::Normal && shared.settings.lifo_slot {
            match core.lifo.replace(task) {
                None => return Ok(()),
                Some(prev) => core.local.push_back(prev, &shared.inject),
            }
        } else {
            core.local.push_back(task, &shared.inject);
        }
        shared.notify_parked();
        Ok(())
    })
}

/// The worker thread's body.
pub(crate) fn run(shared: Arc<Shared>, core: Core) {
    let ctx = WorkerContext {
        shared: shared.clone(),
        index: core.index,
        core: RefCell::new(Some(core)),
    };
    WORKER.with(|w| w.set(&ctx));
    let _enter = crate::runtime::Handle::from_shared(shared.clone()).enter();
    worker_loop(&ctx);
    WORKER.with(|w| w.set(std::ptr::null()));
    // Tasks left in the local queue were canceled through the registry;
    // dropping the core drops their refs.
    let core = ctx.core.borrow_mut().take();
    drop(core);
    shared.worker_exited();
}

fn worker_loop(ctx: &WorkerContext) {
    let shared = &ctx.shared;
    let mut ran = 0u32;
    while !shared.is_shutdown() {
        if let Some(task) = next_task(ctx).or_else(|| steal_work(ctx)) {
            run_task(ctx, task);
            // A busy worker still looks at I/O now and then (driver.rs, 3).
            ran = ran.wrapping_add(1);
            if ran % shared.settings.event_interval == 0 {
                if let Some(d) = shared.driver() {
                    d.try_poll();
                }
            }
            continue;
        }
        park(ctx);
    }
}

fn core_mut<R>(ctx: &WorkerContext, f: impl FnOnce(&mut Core) -> R) -> R {
    let mut core = ctx.core.borrow_mut();
    f(core.as_mut().expect("the worker owns its core"))
}

/// Local work first; the global queue every `global_queue_interval` ticks,
/// and when the local queue is empty.
fn next_task(ctx: &WorkerContext) -> Option<Notified> {
    let shared = &ctx.shared;
    core_mut(ctx, |core| {
        core.tick = core.tick.wrapping_add(1);
        if core.tick % shared.settings.global_queue_interval == 0 {
            if let Some(t) = shared.inject.pop() {
                return Some(t);
            }
        }
        if let Some(t) = core.lifo.take() {
            return Some(t);
        }
        if let Some(t) = core.local.pop() {
            return Some(t);
        }
        take_from_global(shared, core)
    })
}

/// Takes a fair share of the global queue into the local ring.
fn take_from_global(shared: &Shared, core: &mut Core) -> Option<Notified> {
    if shared.inject.is_empty() {
        return None;
    }
    let n = (shared.inject.len() / shared.num_workers() + 1).min(super::queue::CAPACITY / 2);
    let local = &mut core.local;
    shared
        .inject
        .pop_batch(n, |t| local.push_back(t, &shared.inject))
}

/// Steals from a random victim (half its queue), then the global queue.
fn steal_work(ctx: &WorkerContext) -> Option<Notified> {
    let shared = &ctx.shared;
    let found = core_mut(ctx, |core| {
        if !core.is_searching {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            core.is_searching = true;
        }
        let n = shared.remotes.len();
        let start = core.rng.next_below(n);
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == core.index {
                continue;
            }
            if let Some(t) = shared.remotes[victim].steal.steal_into(&mut core.local) {
                return Some(t);
            }
        }
        take_from_global(shared, core)
    });
    if found.is_some() {
        // Stolen work may leave more behind: make sure someone looks.
        ended_search(ctx);
    }
    found
}

/// A searching worker found work: if it was the last searcher, wake another.
fn ended_search(ctx: &WorkerContext) {
    let was_searching = core_mut(ctx, |core| std::mem::replace(&mut core.is_searching, false));
    if was_searching && ctx.shared.idle.transition_worker_from_searching() {
        ctx.shared.notify_parked();
    }
}

fn run_task(ctx: &WorkerContext, task: Notified) {
    ended_search(ctx);
    task.run();
    ctx.shared
        .completed_items
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Run what the task woke, back to back, up to the LIFO budget.
    for _ in 0..ctx.shared.settings.max_lifo_polls {
        let Some(next) = core_mut(ctx, |core| core.lifo.take()) else {
            return;
        };
        next.run();
        ctx.shared
            .completed_items
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    // Budget spent: the slot's task goes behind the queued work.
    let spilled = core_mut(ctx, |core| {
        let t = core.lifo.take();
        if let Some(t) = t {
            core.local.push_back(t, &ctx.shared.inject);
            true
        } else {
            false
        }
    });
    if spilled {
        ctx.shared.notify_parked();
    }
}

fn park(ctx: &WorkerContext) {
    let shared = &ctx.shared;
    let (index, was_searching) = core_mut(ctx, |core| {
        (core.index, std::mem::replace(&mut core.is_searching, false))
    });
    if shared
        .idle
        .transition_worker_to_parked(index, was_searching)
        && shared.has_queued_work()
    {
        // We were the last searcher and work arrived meanwhile: make sure a
        // worker (maybe this one) wakes for it.
        shared.notify_parked();
    }
    loop {
        if shared.is_shutdown() {
            shared.idle.remove_sleeper(index);
            return;
        }
        shared.remotes[index].parker.park();
        if shared.is_shutdown() {
            shared.idle.remove_sleeper(index);
            return;
        }
        if shared.idle.was_notified(index) {
            // A notifier counted us as searching.
            core_mut(ctx, |core| core.is_searching = true);
            return;
        }
        // Sleeping in the I/O driver may have queued woken tasks here.
        if core_mut(ctx, |core| core.lifo.is_some() || core.local.len() > 0) {
            let still_parked = shared.idle.remove_sleeper(index);
            // Not still parked: a notifier took us out and counted us as
            // searching meanwhile.
            core_mut(ctx, |core| core.is_searching = !still_parked);
            return;
        }
    }
}

/// xorshift64*: cheap randomness for picking steal victims.
struct FastRand(u64);

impl FastRand {
    fn new(seed: u64) -> FastRand {
        FastRand(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next_below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        ((x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize) % n.max(1)
    }
}
