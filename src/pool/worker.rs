//! The worker loop: find work (LIFO slot, local ring, global queue, steal),
//! run it, park when there is none.
//!
//! # Implementation
//!
//! [`Core`] is what only the worker thread touches: its end of the local
//! ring, the LIFO slot, the tick and the search flag. It lives in a
//! `RefCell` in the thread-local [`WorkerContext`] and is borrowed for each
//! step, never while a task runs, so a task scheduling work from its poll
//! reaches the core through [`schedule_on_current_worker`].
//!
//! A worker may also leave the loop early: a surplus worker (more run than
//! the goal) stands down at its fairness check, and a thread idle past
//! `thread_idle_timeout` above the minimum retires (`pool/README.md`,
//! "Elastic threads").

use super::queue::{Local, Overflow};
use super::{Shared, Woken};
use crate::diag::ErrorOrigin;
use crate::diag::guard::{self, Site};
use crate::task::raw::Notified;
use crate::task::schedule::Hint;
use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

/// What only the worker thread touches.
pub(crate) struct Core {
    index: usize,
    local: Local,
    /// The task to run next: the last one woken by the running task.
    lifo: Option<Notified>,
    /// Runs of `next_task` until the global queue is checked first.
    until_global: u32,
    /// The global-queue fairness window (see `global_check_done`).
    window: Window,
    is_searching: bool,
    rng: FastRand,
    /// Tasks that called `yield_now` here, deferred until the worker next
    /// looks at the global queue or runs out of local work, then appended to
    /// the local ring (see `flush_yields`). Capacity reserved up front.
    yielded: Vec<Notified>,
    /// How many yielded tasks are gathered before a flush.
    yield_batch: usize,
}

/// The current measuring window of the global queue interval: when it
/// started and how many ticks it has seen.
struct Window {
    start: Instant,
    ticks: u32,
    /// The interval (in ticks) chosen at the last check.
    interval: u32,
}

impl Core {
    /// A core for slot `index`; `searching` when the idle counts already
    /// count its thread as searching (a thread started for queued work).
    pub(crate) fn new(
        index: usize,
        local: Local,
        settings: &super::PoolSettings,
        searching: bool,
    ) -> Core {
        let interval = settings.global_queue_interval.max(1);
        let yield_batch = settings.yield_batch.max(1);
        Core {
            index,
            local,
            lifo: None,
            until_global: interval,
            window: Window {
                start: Instant::now(),
                ticks: 0,
                interval,
            },
            is_searching: searching,
            rng: FastRand::new(index as u64 + 1),
            yielded: Vec::with_capacity(yield_batch),
            yield_batch,
        }
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Makes the next `next_task` run the fairness check (and with it the
    /// surplus check) at once: after blocking ends.
    pub(super) fn check_surplus_next(&mut self) {
        self.until_global = 1;
    }

    /// The owner's end of the ring, for the slot's next thread (the core's
    /// queues are empty).
    pub(crate) fn into_local(self) -> Local {
        debug_assert!(self.lifo.is_none() && self.yielded.is_empty());
        self.local
    }

    /// Moves every task this worker holds (LIFO slot, yielded tasks, ring)
    /// to the global queue, where every running worker reaches it: before
    /// it blocks or stands down, so no work is trapped behind it.
    pub(super) fn flush_all(&mut self, shared: &Shared) {
        if let Some(t) = self.lifo.take() {
            self.local.push_back(t, &shared.inject);
        }
        if !self.yielded.is_empty() {
            shared.inject.push_batch(&mut self.yielded.drain(..));
        }
        if !self.local.is_empty() {
            let local = &mut self.local;
            shared
                .inject
                .push_batch(&mut std::iter::from_fn(|| local.pop()));
        }
    }
}

/// What [`next_task`] found.
pub(super) enum Next {
    /// A task to run.
    Task(Notified),
    /// Nothing local or global: steal, then park.
    Nothing,
    /// More workers run than the goal: this one should stand down.
    StandDown,
}

/// The worker's thread-local context: the pool, and its core while the
/// worker owns it.
pub(super) struct WorkerContext {
    pub(super) shared: Arc<Shared>,
    pub(super) index: usize,
    pub(super) core: RefCell<Option<Core>>,
    /// Nested blocking calls in progress on this worker (`blocking.rs`).
    pub(super) blocking_depth: Cell<u32>,
    /// Set while this worker handles I/O events (asleep in the driver, or
    /// polling it between tasks): the tasks the events wake are queued here
    /// without waking anyone, and [`notify_after_events`] decides once, when
    /// the turn is over, whether another worker is needed.
    pub(super) in_event_turn: Cell<bool>,
}

thread_local! {
    static WORKER: Cell<*const WorkerContext> = const { Cell::new(std::ptr::null()) };
}

pub(super) fn with_worker<R>(f: impl FnOnce(Option<&WorkerContext>) -> R) -> R {
    WORKER.with(|w| {
        let p = w.get();
        if p.is_null() {
            return f(None);
        }
        // SAFETY: the pointer is set by `run` to a context on its stack for
        // the length of the worker loop, and cleared before it returns.
        f(Some(unsafe { &*p }))
    })
}

/// The pool the calling thread is a worker of, if any.
pub(crate) fn current_pool() -> Option<Arc<Shared>> {
    with_worker(|w| w.map(|w| w.shared.clone()))
}

/// True on a worker thread of any pool.
#[cfg(feature = "tokio-compat")]
pub(crate) fn on_worker_thread() -> bool {
    with_worker(|w| w.is_some())
}

/// On a worker: runs `task` here if it is still queued and homed on this
/// worker's pool (.NET's `Task.Wait` trying `TryExecuteTaskInline` before
/// it blocks). True if it was polled here.
pub(crate) fn run_inline_if_queued(task: crate::task::raw::RawTask) -> bool {
    with_worker(|w| {
        let Some(w) = w else { return false };
        let pool = Arc::as_ptr(&w.shared) as *const ();
        task.try_run_inline(|home| Arc::as_ptr(&home.0) as *const () == pool)
    })
}

/// True if the calling thread is a worker of `shared`.
pub(crate) fn is_worker_of(shared: &Shared) -> bool {
    with_worker(|w| w.is_some_and(|w| std::ptr::eq(Arc::as_ptr(&w.shared), shared)))
}

/// The task layer's fast path (`task::schedule::LocalScheduler`): a task
/// of this worker's own pool, queued on this worker.
fn schedule_here(task: Notified, hint: Hint) -> Result<(), Notified> {
    with_worker(|w| match w {
        Some(w) => schedule_on(w, task, hint),
        None => Err(task),
    })
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
        schedule_on(w, task, hint)
    })
}

/// Queues `task` (of `w`'s pool) on the worker `w` (the calling thread's).
fn schedule_on(w: &WorkerContext, task: Notified, hint: Hint) -> Result<(), Notified> {
    crate::diag::counters::scheduled();
    let shared = &*w.shared;
    // A blocked worker takes no new work: it goes where others reach it.
    if hint == Hint::Remote || w.blocking_depth.get() > 0 {
        shared.push_global(task);
        return Ok(());
    }
    // The core is borrowed when this runs from the worker's own queue
    // code (a task dropped there waking another), and absent after the
    // loop ended: go global then.
    let Ok(mut core) = w.core.try_borrow_mut() else {
        shared.push_global(task);
        return Ok(());
    };
    let Some(core) = core.as_mut() else {
        shared.push_global(task);
        return Ok(());
    };
    if hint == Hint::Yield {
        core.yielded.push(task);
        if core.yielded.len() >= core.yield_batch {
            flush_yields(shared, core);
        }
        return Ok(());
    }
    if hint == Hint::Normal && shared.settings.lifo_slot {
        match core.lifo.replace(task) {
            // Only this worker runs the slot: nobody else to tell.
            None => return Ok(()),
            Some(prev) => core.local.push_back(prev, &shared.inject),
        }
    } else {
        core.local.push_back(task, &shared.inject);
    }
    // Work another worker could steal: wake one if nobody searches
    // (during an event turn, once at its end: `notify_after_events`).
    if !w.in_event_turn.get() {
        shared.notify_parked();
    }
    Ok(())
}

/// The worker thread's body.
pub(crate) fn run(shared: Arc<Shared>, core: Core) {
    let index = core.index;
    let remote = shared.slots.get(index);
    remote.set_tid(super::thread_state::current_tid());
    remote.set_parked(false);
    let ctx = WorkerContext {
        shared: shared.clone(),
        index,
        core: RefCell::new(Some(core)),
        blocking_depth: Cell::new(0),
        in_event_turn: Cell::new(false),
    };
    WORKER.with(|w| w.set(&ctx));
    crate::task::schedule::set_local_scheduler(Some(crate::task::schedule::LocalScheduler {
        home: Arc::as_ptr(&shared) as *const (),
        schedule: schedule_here,
    }));
    let enter = crate::runtime::Handle::from_shared(shared.clone()).enter();
    // Every call into user code is contained where it is made; a panic
    // that still reaches here is a defect of the loop itself. The thread
    // recovers and runs the loop again: the pool keeps its thread and its
    // counts stay true, instead of counting a thread that no longer runs.
    let retired = loop {
        match catch_unwind(AssertUnwindSafe(|| worker_loop(&ctx))) {
            Ok(retired) => break retired,
            Err(panic) => recover(&ctx, panic),
        }
    };
    drop(enter);
    let core = ctx.core.borrow_mut().take();
    crate::task::schedule::set_local_scheduler(None);
    WORKER.with(|w| w.set(std::ptr::null()));
    match core {
        // A retired thread's queues are empty (it parked with nothing
        // local): its slot's ring goes to the next thread.
        Some(core) if retired => shared.slots.release(index, core.into_local()),
        // Shutdown: tasks left in the local queue were canceled through the
        // registry; dropping the core drops their refs. Anything they wake
        // goes global.
        core => drop(core),
    }
    shared.worker_exited();
}

/// The worker loop panicked (a defect: user code is contained where it is
/// called): report it, and put the worker's flags back in line with the
/// pool's counts before the loop starts again.
#[cold]
fn recover(ctx: &WorkerContext, panic: Box<dyn std::any::Any + Send>) {
    let shared = &*ctx.shared;
    guard::report(
        Site::at(ErrorOrigin::Runtime, Location::caller()),
        crate::task::TaskError::from_panic_in(panic, ErrorOrigin::Runtime.what_panicked()),
    );
    ctx.in_event_turn.set(false);
    let remote = shared.slots.get(ctx.index);
    remote.polling(std::ptr::null_mut());
    if remote.is_parked() {
        // It panicked while parked: either still listed as a sleeper (leave
        // the list, counted unparked again), or a notifier already took it
        // out and counted it searching.
        let (was_parked, wake) = shared.idle.remove_sleeper(ctx.index);
        if wake {
            shared.supervisor.wake();
        }
        remote.set_parked(false);
        if let Ok(mut core) = ctx.core.try_borrow_mut() {
            if let Some(core) = core.as_mut() {
                core.is_searching = !was_parked;
            }
        }
    }
}

/// Runs until shutdown (false) or until this thread retires (true).
fn worker_loop(ctx: &WorkerContext) -> bool {
    let shared = &*ctx.shared;
    let mut ran = 0u32;
    while !shared.is_shutdown() {
        let task = match next_task(ctx) {
            Next::Task(t) => Some(t),
            Next::Nothing => steal_work(ctx),
            Next::StandDown => {
                if stand_down(ctx) == Woken::Retired {
                    return true;
                }
                continue;
            }
        };
        if let Some(task) = task {
            run_task(ctx, task);
            #[cfg(test)]
            shared.failpoints.worker_loop_panic();
            // A busy worker still looks at I/O now and then (driver.rs, 3).
            ran = ran.wrapping_add(1);
            if ran % shared.settings.event_interval == 0 {
                if let Some(d) = shared.driver() {
                    ctx.in_event_turn.set(true);
                    d.try_poll();
                    ctx.in_event_turn.set(false);
                    notify_after_events(ctx);
                }
            }
            continue;
        }
        if park(ctx) == Woken::Retired {
            return true;
        }
    }
    false
}

fn core_mut<R>(ctx: &WorkerContext, f: impl FnOnce(&mut Core) -> R) -> R {
    let mut core = ctx.core.borrow_mut();
    match core.as_mut() {
        Some(core) => f(core),
        None => unreachable!("the worker owns its core while its loop runs"),
    }
}

/// Local work first, the global queue when the local queue is empty, and
/// the global queue first once per fairness interval (so work queued from
/// outside waits at most about `global_queue_latency` behind busy local
/// work).
///
/// The fairness check is also where a running worker notices that more
/// workers run than the goal (blocked ones came back) and stands down.
pub(super) fn next_task(ctx: &WorkerContext) -> Next {
    let shared = &*ctx.shared;
    let found = core_mut(ctx, |core| {
        core.window.ticks += 1;
        core.until_global -= 1;
        if core.until_global == 0 {
            global_check_done(core, &shared.settings);
            if !core.is_searching && shared.idle.is_surplus() {
                return Err(());
            }
            // Global work first, then the tasks that yielded since the
            // last check: a yield goes behind what was already waiting.
            let from_global = take_from_global(shared, core);
            flush_yields(shared, core);
            if let Some(t) = from_global {
                return Ok(Some(t));
            }
        }
        if let Some(t) = core.lifo.take() {
            return Ok(Some(t));
        }
        if let Some(t) = core.local.pop() {
            return Ok(Some(t));
        }
        if let Some(t) = take_from_global(shared, core) {
            flush_yields(shared, core);
            return Ok(Some(t));
        }
        flush_yields(shared, core);
        Ok(core.local.pop())
    });
    match found {
        Ok(Some(t)) => Next::Task(t),
        Ok(None) => Next::Nothing,
        Err(()) => Next::StandDown,
    }
}

/// Moves the tasks that yielded on this worker to the back of its local
/// ring, and wakes a worker to steal if nobody searches.
///
/// A yielded task is deferred, as Tokio defers it: the worker gathers
/// yielded tasks and appends them to its local ring whenever it reads the
/// global queue (at the fairness check, after taking global work, so a
/// yield goes behind what was waiting there) or runs out of local work (so
/// always before it parks), or when `yield_batch` have gathered. Until then
/// the worker runs the rest of its queue: tasks that loop on `yield_now`
/// do not crowd out the work queued beside them. The price: a yielded task
/// is out of other workers' reach until then, at most one fairness
/// interval while its worker is busy. (.NET's `Task.Yield` queues to the
/// global queue; measured here, that made `yield_many` 1.07–1.17× Tokio's
/// time even in batches, and each yield moved the global queue's cache
/// lines between workers.)
pub(super) fn flush_yields(shared: &Shared, core: &mut Core) {
    if core.yielded.is_empty() {
        return;
    }
    if shared.settings.yield_to_global_queue {
        shared.inject.push_batch(&mut core.yielded.drain(..));
    } else {
        for t in core.yielded.drain(..) {
            core.local.push_back(t, &shared.inject);
        }
    }
    shared.notify_parked();
}

/// Picks the next fairness interval: as many ticks as fit in
/// `global_queue_latency` at the mean tick length of the window just ended,
/// between 2 and `global_queue_interval`. (Tokio tunes its interval the same
/// way from an average of poll times.)
fn global_check_done(core: &mut Core, settings: &super::PoolSettings) {
    let now = Instant::now();
    let elapsed = now.saturating_duration_since(core.window.start);
    let per_tick = elapsed / core.window.ticks.max(1);
    let max = u128::from(settings.global_queue_interval.max(1));
    let fit = settings
        .global_queue_latency
        .as_nanos()
        .checked_div(per_tick.as_nanos())
        .unwrap_or(max);
    core.window.interval = fit.clamp(2.min(max), max) as u32;
    core.window.start = now;
    core.window.ticks = 0;
    core.until_global = core.window.interval;
}

/// Takes a fair share of the global queue: one task to run now, the rest
/// to the back of the local ring (where thieves can reach them). The batch
/// fits in the ring's free slots, so it never overflows back, and is at
/// most half a ring, so one worker does not hoard it.
fn take_from_global(shared: &Shared, core: &mut Core) -> Option<Notified> {
    if shared.inject.is_empty() {
        return None;
    }
    let share = shared.inject.len() / shared.num_workers().max(1) + 1;
    let room = core.local.remaining_slots().min(super::queue::CAPACITY / 2);
    let n = share.min(room + 1);
    let local = &mut core.local;
    shared
        .inject
        .pop_batch(n, |t| local.push_back(t, &shared.inject))
}

/// Steals half the queue of a random victim, then tries the global queue.
pub(super) fn steal_work(ctx: &WorkerContext) -> Option<Notified> {
    let shared = &*ctx.shared;
    let found = core_mut(ctx, |core| {
        if !core.is_searching {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            core.is_searching = true;
        }
        let n = shared.slots.len();
        let start = core.rng.next_below(n);
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == core.index {
                continue;
            }
            let steal = &shared.slots.get(victim).steal;
            if let Some(t) = steal.steal_into(&mut core.local) {
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
    let remote = ctx.shared.slots.get(ctx.index);
    remote.polling(task.raw().header_ptr().as_ptr());
    task.run();
    remote.polled(1);
    // Run what the task woke, back to back, up to the LIFO budget.
    let budget = ctx.shared.settings.max_lifo_polls;
    for _ in 0..budget {
        let Some(next) = core_mut(ctx, |core| core.lifo.take()) else {
            return;
        };
        remote.polling(next.raw().header_ptr().as_ptr());
        next.run();
        remote.polled(1);
    }
    // Budget spent: the slot's task goes behind the queued work.
    let spilled = core_mut(ctx, |core| match core.lifo.take() {
        Some(t) => {
            core.local.push_back(t, &ctx.shared.inject);
            true
        }
        None => false,
    });
    if spilled {
        ctx.shared.notify_parked();
    }
}

fn park(ctx: &WorkerContext) -> Woken {
    let shared = &*ctx.shared;
    let was_searching = core_mut(ctx, |core| std::mem::replace(&mut core.is_searching, false));
    let remote = shared.slots.get(ctx.index);
    remote.set_parked(true);
    ctx.in_event_turn.set(true);
    let woken = shared.park_worker(ctx.index, was_searching, || has_local_work(ctx));
    ctx.in_event_turn.set(false);
    woke(ctx, woken)
}

/// After an event turn (a driver sleep or a poll between tasks): if the
/// events left this worker more tasks than the one it runs next, and it is
/// not searching (a searcher that finds work wakes the next one itself),
/// wake a worker to steal the rest (Tokio's `should_notify_others`). Once
/// per turn, and for a worker that slept, after it left the sleepers: a
/// notify per woken task cost a fence each, and one made while the worker
/// was still listed among the sleepers could pick the worker itself.
pub(super) fn notify_after_events(ctx: &WorkerContext) {
    let more = core_mut(ctx, |core| {
        !core.is_searching && usize::from(core.lifo.is_some()) + core.local.len() > 1
    });
    if more {
        ctx.shared.notify_parked();
    }
}

/// Sleeping in the I/O driver may queue woken tasks on this worker.
fn has_local_work(ctx: &WorkerContext) -> bool {
    core_mut(ctx, |core| core.lifo.is_some() || !core.local.is_empty())
}

/// After a park: back to work with a fresh fairness window (time asleep is
/// not work), searching if a notifier counted us so.
fn woke(ctx: &WorkerContext, woken: Woken) -> Woken {
    if matches!(woken, Woken::Shutdown | Woken::Retired) {
        return woken;
    }
    ctx.shared.slots.get(ctx.index).set_parked(false);
    core_mut(ctx, |core| {
        core.is_searching = woken == Woken::Notified;
        core.window.start = Instant::now();
        core.window.ticks = 0;
    });
    notify_after_events(ctx);
    woken
}

/// More workers run than the goal: hand every local task to the global
/// queue and park, unless another worker stood down first. Returns how the
/// park ended (`Notified` at once if this worker is still needed).
fn stand_down(ctx: &WorkerContext) -> Woken {
    let shared = &*ctx.shared;
    core_mut(ctx, |core| core.flush_all(shared));
    // The flushed work is global now; running workers read it at their
    // fairness checks, and a notifier may still want a worker for it.
    shared.notify_parked();
    let remote = shared.slots.get(ctx.index);
    remote.set_parked(true);
    if !shared.idle.try_stand_down(ctx.index) {
        remote.set_parked(false);
        return Woken::Notified;
    }
    ctx.in_event_turn.set(true);
    let woken = shared.sleep_parked(ctx.index, || has_local_work(ctx));
    ctx.in_event_turn.set(false);
    woke(ctx, woken)
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
