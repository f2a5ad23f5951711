//! One borrowed closure run at once on the calling thread and on pool
//! workers, returning when every run that started has returned: the
//! primitive under `Parallel`. C#: `Parallel`'s self-replicating task
//! (`TaskReplicator`); rayon-core's broadcast.
//!
//! **Replicas.** The caller runs `work` itself. Once the work has run a
//! short while (a delay the caller gives: a loop that ends sooner is not
//! worth a replica), it queues one *replica* (a pool work item); every
//! replica that gets to run queues the
//! next one before running `work`, until `base` were queued (one per other
//! worker of the pool). So the loop spreads over the workers one at a time
//! and never floods the queue, and once every worker takes part nothing
//! stays queued (a queued replica that no worker is free to take would look
//! like starved work to the supervisor, which would add a thread: more
//! participants than cores). A participant that finds the body blocking
//! its thread ([`Offer::extra`]) queues one more, up to `max`: that queued
//! work is what lets the pool add a worker for the blocked one, and the new
//! worker takes part.
//!
//! **The run count.** `state` holds how many runs of `work` are under way
//! plus a `CLOSED` bit. A replica enters (count + 1) only while `CLOSED` is
//! clear, with one compare-and-swap. The caller, once its own run returned,
//! sets `CLOSED` and drops its count in one step; if runs remain, it waits
//! until the last one leaves (the one whose decrement leaves exactly
//! `CLOSED`), which wakes it. From then on a replica that starts late sees
//! `CLOSED` and returns without touching `work`: that is what lets `work`
//! borrow from the caller's stack.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Condvar, Mutex};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// Set once the caller's run returned: no run may start after it.
const CLOSED: usize = 1 << (usize::BITS - 1);

/// What the caller and the replicas share.
pub(crate) struct Replicas {
    state: AtomicUsize,
    /// Replicas queued so far.
    queued: AtomicUsize,
    /// Replicas queued and not yet started.
    pending: AtomicUsize,
    /// Replicas queued without being asked (one per other worker).
    base: usize,
    /// The pool whose free workers may take replicas (none: always free,
    /// for the model checks).
    pool: Option<std::sync::Arc<super::Shared>>,
    /// No replica is queued before the work has run this long: a loop that
    /// ends sooner (a short nested one) would pay more for a replica than
    /// it gains.
    not_before: std::time::Instant,
    /// Replicas queued at most, asked for or not.
    max: usize,
    /// `work` with its lifetime erased; see `run_replicated`.
    work: *const (dyn Fn(&Offer<'_>) + Sync + 'static),
    /// Set by the last run to leave after `CLOSED`.
    done: Mutex<bool>,
    wake: Condvar,
    /// The first panic of a run (the caller's, or a replica's).
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

// SAFETY: `work` points to a `Sync` closure, called only between a
// successful `enter` and the matching `leave`; `run_and_close` does not
// return (so the closure outlives every call) until every entered run has
// left and no run can enter any more. Everything else is atomics and locks.
unsafe impl Send for Replicas {}
// SAFETY: as above.
unsafe impl Sync for Replicas {}

impl Replicas {
    /// Runs `work` once more, if the caller's run has not closed the set.
    fn enter(&self) -> bool {
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s & CLOSED != 0 {
                return false;
            }
            match self
                .state
                .compare_exchange_weak(s, s + 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    /// A run returned; the last one after `CLOSED` wakes the caller.
    fn leave(&self) {
        if self.state.fetch_sub(1, Ordering::AcqRel) == CLOSED | 1 {
            *crate::loom::lock(&self.done) = true;
            self.wake.notify_all();
        }
    }

    /// Runs `work`, keeping its first panic.
    fn call(this: &Arc<Self>, queue: &(dyn Fn(Arc<Replicas>) + Sync)) {
        // SAFETY: called between `enter` (or the caller's own count) and
        // `leave`, while the closure lives (see `unsafe impl Send`).
        let work = unsafe { &*this.work };
        let offer = Offer {
            replicas: Some(this),
            queue,
        };
        let _inside = Inside::enter();
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| work(&offer))) {
            crate::loom::lock(&this.panic).get_or_insert(p);
        }
    }

    /// A replica's whole life: maybe queue the next one, then run.
    fn replica(this: &Arc<Self>, queue: &(dyn Fn(Arc<Replicas>) + Sync)) {
        this.pending.fetch_sub(1, Ordering::AcqRel);
        if !this.enter() {
            return;
        }
        Replicas::more(this, queue);
        Replicas::call(this, queue);
        this.leave();
    }

    /// Queues the next base replica if none is waiting and a worker is
    /// free to take it.
    fn more(this: &Arc<Self>, queue: &(dyn Fn(Arc<Replicas>) + Sync)) {
        if this.pending.load(Ordering::Acquire) == 0
            && this.queued.load(Ordering::Acquire) < this.base
            && std::time::Instant::now() >= this.not_before
            && this.pool.as_ref().is_none_or(|p| p.has_capacity())
        {
            Replicas::queue_if(this, queue, this.base);
        }
    }

    /// Queues one more replica if fewer than `limit` were queued.
    fn queue_if(this: &Arc<Self>, queue: &(dyn Fn(Arc<Replicas>) + Sync), limit: usize) {
        let allowed = this
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
                (q < limit).then_some(q + 1)
            })
            .is_ok();
        if allowed {
            this.pending.fetch_add(1, Ordering::AcqRel);
            queue(Arc::clone(this));
        }
    }

    /// The caller's side: after its own run, closes the set and waits
    /// (with `wait_blocking`) until every replica that entered has left.
    fn close_and_wait(&self, wait_blocking: impl FnOnce(&dyn Fn())) {
        let mut s = self.state.load(Ordering::Acquire);
        let left = loop {
            let next = (s - 1) | CLOSED;
            match self
                .state
                .compare_exchange_weak(s, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break next & !CLOSED,
                Err(now) => s = now,
            }
        };
        if left == 0 {
            return;
        }
        wait_blocking(&|| {
            let mut done = crate::loom::lock(&self.done);
            while !*done {
                done = self.wake.wait(done).unwrap_or_else(|p| p.into_inner());
            }
        });
    }
}

/// What a run of `work` may ask of its replicas (nothing, when it runs
/// alone: see [`run_alone`]).
pub(crate) struct Offer<'a> {
    replicas: Option<&'a Arc<Replicas>>,
    queue: &'a (dyn Fn(Arc<Replicas>) + Sync),
}

impl Offer<'_> {
    /// Between chunks: queue the next base replica if a worker is free to
    /// take it (so a loop on a busy pool, a nested one, queues nothing).
    pub(crate) fn more(&self) {
        if let Some(r) = self.replicas {
            Replicas::more(r, self.queue);
        }
    }

    /// Runs under way now plus replicas queued and not started: whom the
    /// work is shared among.
    pub(crate) fn participants(&self) -> usize {
        self.replicas.map_or(1, |r| {
            let running = r.state.load(Ordering::Relaxed) & !CLOSED;
            running.max(1) + r.pending.load(Ordering::Relaxed)
        })
    }

    /// The body blocks its thread: queue one more replica (if none is
    /// waiting already and the maximum allows), so the pool may add a
    /// worker for this one and the new worker takes part.
    pub(crate) fn extra(&self) {
        if let Some(r) = self.replicas
            && r.pending.load(Ordering::Acquire) == 0
        {
            Replicas::queue_if(r, self.queue, r.max);
        }
    }
}

thread_local! {
    /// How many runs of replicated work this thread is inside (a loop
    /// nested in a loop's body: 2).
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// True inside a run of replicated work on this thread (a nested loop).
pub(crate) fn nested() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Counts this thread inside a run while it lives.
struct Inside;

impl Inside {
    fn enter() -> Inside {
        DEPTH.with(|d| d.set(d.get() + 1));
        Inside
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Runs `work` on this thread only, with no replica: a nested loop on a
/// pool whose workers are all busy (the outer loop keeps them so), where
/// queuing replicas would only cost.
pub(crate) fn run_alone(work: &(dyn Fn(&Offer<'_>) + Sync)) {
    let _inside = Inside::enter();
    work(&Offer {
        replicas: None,
        queue: &|_| {},
    });
}

/// Runs `work` on this thread and on pool workers at once: `base` replicas
/// queued one after another, and more when a run asks ([`Offer::extra`]),
/// `max` in all (replicas are queued by `queue`, which must eventually run
/// each one or drop it); returns when every run has returned. A panic in
/// any run is raised here, once all have returned.
pub(crate) fn run_replicated(
    base: usize,
    max: usize,
    delay: std::time::Duration,
    pool: Option<std::sync::Arc<super::Shared>>,
    work: &(dyn Fn(&Offer<'_>) + Sync),
    queue: &(dyn Fn(Arc<Replicas>) + Sync),
    wait_blocking: impl FnOnce(&dyn Fn()),
) {
    // SAFETY: only the lifetime is erased; `Replicas` never calls `work`
    // after `close_and_wait` below returns (see its `unsafe impl Send`), and
    // this function does not return before that.
    let work: &(dyn Fn(&Offer<'_>) + Sync + 'static) = unsafe {
        std::mem::transmute::<&(dyn Fn(&Offer<'_>) + Sync), &(dyn Fn(&Offer<'_>) + Sync + 'static)>(
            work,
        )
    };
    let replicas = Arc::new(Replicas {
        state: AtomicUsize::new(1), // the caller's run
        queued: AtomicUsize::new(0),
        pending: AtomicUsize::new(0),
        base: base.min(max),
        pool,
        not_before: std::time::Instant::now() + delay,
        max,
        work,
        done: Mutex::new(false),
        wake: Condvar::new(),
        panic: Mutex::new(None),
    });
    Replicas::more(&replicas, queue);
    Replicas::call(&replicas, queue);
    replicas.close_and_wait(wait_blocking);
    if let Some(p) = crate::loom::lock(&replicas.panic).take() {
        resume_unwind(p);
    }
}

/// A replica, as the pool runs it: `queue` queues the next one.
pub(crate) fn run_replica(replicas: Arc<Replicas>, queue: &(dyn Fn(Arc<Replicas>) + Sync)) {
    Replicas::replica(&replicas, queue);
}

/// Queues a replica on the current runtime's pool (the global queue, where
/// any idle worker finds it).
fn queue_on_pool(replicas: Arc<Replicas>) {
    let spawn = crate::task::spawn::Spawn::work(
        crate::task::TaskCreationOptions::PREFER_FAIRNESS
            | crate::task::TaskCreationOptions::DENY_CHILD_ATTACH,
        std::panic::Location::caller(),
    );
    drop(spawn.spawn(crate::task::ClosureBody::new(move || {
        run_replica(replicas, &queue_on_pool)
    })));
}

/// [`run_replicated`] on the pool `pool` (the current runtime's); the
/// caller's wait for the other runs counts as blocking (compensated if it
/// lasts).
pub(crate) fn replicate_on_pool(
    pool: std::sync::Arc<super::Shared>,
    base: usize,
    max: usize,
    delay: std::time::Duration,
    work: &(dyn Fn(&Offer<'_>) + Sync),
) {
    run_replicated(base, max, delay, Some(pool), work, &queue_on_pool, |wait| {
        super::blocking_section(wait)
    });
}

fn clock(id: libc::clockid_t) -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids passed are
    // constants Linux supports.
    let r = unsafe { libc::clock_gettime(id, &mut ts) };
    if r != 0 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time this thread has used: with wall time, it tells a body that
/// computes from one that blocks its thread.
pub(crate) fn thread_cpu_time() -> std::time::Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! The run count under loom: a late replica never calls `work` after
    //! the caller returned, and the caller never returns while a run is
    //! under way.

    use super::*;
    use loom::sync::atomic::AtomicBool;

    #[test]
    fn no_run_outlives_the_call_and_none_is_lost() {
        let mut b = loom::model::Builder::new();
        b.preemption_bound = Some(3);
        b.check(|| {
            let returned = Arc::new(AtomicBool::new(false));
            let runs = Arc::new(AtomicUsize::new(0));
            let queued: Arc<Mutex<Option<Arc<Replicas>>>> = Arc::new(Mutex::new(None));
            // The pool: one thread that runs the replica once it is queued.
            let helper = loom::thread::spawn({
                let queued = queued.clone();
                move || {
                    loop {
                        let r = crate::loom::lock(&queued).take();
                        if let Some(r) = r {
                            run_replica(r, &|_| {});
                            return;
                        }
                        loom::thread::yield_now();
                    }
                }
            });
            let late = Arc::new(AtomicBool::new(false));
            let (r, n, l) = (returned.clone(), runs.clone(), late.clone());
            let work = move |_: &Offer<'_>| {
                if r.load(Ordering::SeqCst) {
                    l.store(true, Ordering::SeqCst);
                }
                n.fetch_add(1, Ordering::SeqCst);
            };
            let queue = |r: Arc<Replicas>| *crate::loom::lock(&queued) = Some(r);
            run_replicated(
                1,
                1,
                std::time::Duration::ZERO,
                None,
                &work,
                &queue,
                |wait| wait(),
            );
            returned.store(true, Ordering::SeqCst);
            helper.join().unwrap();
            assert!(
                !late.load(Ordering::SeqCst),
                "a run after the call returned"
            );
            let n = runs.load(Ordering::SeqCst);
            assert!(
                (1..=2).contains(&n),
                "the caller's run, and the replica's if it entered"
            );
        });
    }
}
