//! The supervisor (.NET's gate thread): one thread per runtime that watches
//! the workers while the pool is busy and sleeps while it is idle.
//!
//! Every tick (half the shorter of `stall_window` and `starvation_window`;
//! `supervisor_calm_interval` while, at the last tick, every unparked worker
//! had finished a poll since the tick before) it reads each worker's poll
//! counter, and, when work is queued:
//!
//! - **A stalled poll**: a worker in the same poll for `stall_window` whose
//!   thread sleeps in the kernel (`thread_state.rs`) blocks without having
//!   said so (`std::thread::sleep`, blocking I/O in a task). It is counted
//!   as blocked ([`Idle::presume_blocked`]) and compensated at once, as if
//!   it had called `blocking(..)`; once its poll ends it counts as running
//!   again. The task is reported ([`crate::diag::StarvationEvent`]).
//! - **Starvation** (.NET's rule, whatever the threads do): nothing dequeued
//!   anywhere for `starvation_window` → the goal rises by one.
//! - **Long blocking**: a worker in one of the runtime's own blocking
//!   sections (file syscalls, DNS; usually microseconds, so not counted at
//!   entry) for a `stall_window` is counted as blocked and compensated.
//! - **Delayed starts**: a thread wanted past the allowance for blocked
//!   threads starts once .NET's delay has passed since it became wanted
//!   (the notifier that wants it wakes the supervisor) and since the last
//!   delayed start; the supervisor sleeps until then if that is sooner
//!   than its next tick, so the delays hold whatever the windows.
//! - **Hill climbing**, when enabled: one sample per controller interval.
//!
//! The only cost on the workers' path is the relaxed store of the running
//! task per poll (`Remote::polling`) beside the poll counter they already
//! kept. When no worker is unparked the supervisor sets its asleep bit in
//! the idle counts and sleeps without a timeout; the first worker to
//! unpark clears the bit and wakes it.
//!
//! [`Idle::presume_blocked`]: super::idle::Idle::presume_blocked

use super::hill_climbing::{Decision, HillClimbing, Transition};
use super::idle::block_state;
use super::slots::Remote;
use super::{PoolSettings, Shared, thread_state};
use crate::diag::starvation::{StarvationEvent, StarvationKind};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The supervisor's shared part: its wake-up and the controller.
pub(crate) struct Supervisor {
    woken: Mutex<bool>,
    cvar: Condvar,
    /// The hill-climbing controller; its ring log also records the goal
    /// changes of starvation, idle timeouts and new limits.
    controller: Mutex<HillClimbing>,
}

impl Supervisor {
    pub(crate) fn new(settings: &PoolSettings, workers: usize) -> Supervisor {
        Supervisor {
            woken: Mutex::new(false),
            cvar: Condvar::new(),
            controller: Mutex::new(HillClimbing::new(
                settings.hill_climbing_settings.clone(),
                workers,
            )),
        }
    }

    /// Wakes the supervisor (or makes its next sleep return at once).
    pub(crate) fn wake(&self) {
        *self.woken.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cvar.notify_one();
    }

    /// Sleeps until woken or `timeout` passes.
    fn sleep(&self, timeout: Option<Duration>) {
        let mut woken = self.woken.lock().unwrap_or_else(|p| p.into_inner());
        if !*woken {
            woken = match timeout {
                None => self.cvar.wait(woken).unwrap_or_else(|p| p.into_inner()),
                Some(t) => {
                    self.cvar
                        .wait_timeout(woken, t)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
        *woken = false;
    }

    fn controller(&self) -> std::sync::MutexGuard<'_, HillClimbing> {
        self.controller.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a change of the goal made outside the controller.
    pub(crate) fn goal_changed(&self, from: usize, to: usize, why: Transition) {
        if from != to {
            self.controller().force_change(to, why);
        }
    }

    /// The ring log, oldest first.
    pub(crate) fn decisions(&self) -> Vec<Decision> {
        self.controller().log()
    }
}

/// Starts the supervisor thread of `shared`.
pub(crate) fn start(shared: &Arc<Shared>) -> std::io::Result<()> {
    let pool = shared.clone();
    let handle = std::thread::Builder::new()
        .name(format!("{}-supervisor", shared.settings.thread_name))
        .spawn(move || run(&pool))?;
    shared.threads.add(handle);
    Ok(())
}

fn run(shared: &Shared) {
    let s = &shared.settings;
    let tick = (s.stall_window.min(s.starvation_window) / 2).max(Duration::from_micros(100));
    let calm_tick = s
        .supervisor_calm_interval
        .min(s.starvation_window / 2)
        .max(tick);
    let mut watch = Watch::new(Instant::now());
    while !shared.is_shutdown() {
        if shared.idle.counts().unparked == 0 && shared.idle.supervisor_try_sleep() {
            // Idle: sleep until a worker unparks (it clears the bit, then
            // wakes us) or shutdown.
            while shared.idle.supervisor_asleep() && !shared.is_shutdown() {
                shared.supervisor.sleep(None);
            }
            // Time asleep is neither a stall nor a sample.
            watch.restart(shared, Instant::now());
            continue;
        }
        let now = Instant::now();
        let tick = if watch.calm { calm_tick } else { tick };
        let next = watch
            .delayed_due
            .map_or(tick, |due| due.saturating_duration_since(now).min(tick));
        shared.supervisor.sleep(Some(next));
        watch.tick(shared, Instant::now());
    }
}

/// What the supervisor remembers of one worker slot.
struct SlotWatch {
    /// The poll counter at the last change.
    polls: u64,
    /// When the counter last changed (or the worker was last parked).
    since: Instant,
    /// This stall was reported.
    reported: bool,
    /// This poll was reported as slow.
    slow_reported: bool,
    /// Since when the thread was seen asleep in the kernel, read after
    /// read, in this stall.
    asleep_since: Option<Instant>,
}

/// The supervisor thread's own state.
struct Watch {
    slots: Vec<SlotWatch>,
    /// Polls of the whole pool at the last progress, and when.
    total: u64,
    progress: Instant,
    /// When the wanted thread may start: set when the supervisor first
    /// sees a thread wanted, to the delay for the threads live then.
    delayed_due: Option<Instant>,
    /// The current controller sample: its start and the polls then.
    sample_start: Instant,
    sample_total: u64,
    /// At the last look, every unparked worker had made progress and no
    /// thread waited for a delayed start: the next look can wait
    /// `supervisor_calm_interval`.
    calm: bool,
}

impl Watch {
    fn new(now: Instant) -> Watch {
        Watch {
            slots: Vec::new(),
            total: 0,
            progress: now,
            delayed_due: None,
            sample_start: now,
            sample_total: 0,
            calm: false,
        }
    }

    /// After a sleep: every clock starts again.
    fn restart(&mut self, shared: &Shared, now: Instant) {
        for w in &mut self.slots {
            w.since = now;
            w.asleep_since = None;
        }
        self.progress = now;
        self.calm = false;
        self.sample_start = now;
        self.sample_total = shared.completed_items();
    }

    fn tick(&mut self, shared: &Shared, now: Instant) {
        let queued = shared.has_queued_work();
        let (total, all_progressed) = self.watch_workers(shared, now, queued);
        self.starvation(shared, now, queued, total);
        self.delayed_start(shared, now);
        self.calm = all_progressed && self.delayed_due.is_none();
        if shared.settings.hill_climbing {
            self.hill_climbing(shared, now, total);
        }
    }

    /// Per worker: progress clears a presumed block; a poll asleep in the
    /// kernel for `stall_window` with work queued becomes one. Returns the
    /// pool's total polls, and whether every unparked worker made progress.
    fn watch_workers(&mut self, shared: &Shared, now: Instant, queued: bool) -> (u64, bool) {
        let window = shared.settings.stall_window;
        let n = shared.slots.len();
        while self.slots.len() < n {
            let polls = shared.slots.get(self.slots.len()).polls();
            self.slots.push(SlotWatch {
                polls,
                // Unseen until now: stuck, at most, since the pool's last
                // progress.
                since: self.progress.min(now),
                reported: false,
                slow_reported: false,
                asleep_since: None,
            });
        }
        let mut total = 0;
        let mut long_blocked = false;
        let mut all_progressed = true;
        for (i, w) in self.slots.iter_mut().enumerate() {
            let r = shared.slots.get(i);
            let polls = r.polls();
            total += polls;
            let state = r.block_state.load(Ordering::Acquire);
            if polls != w.polls || r.is_parked() {
                if polls != w.polls {
                    w.polls = polls;
                    w.reported = false;
                    w.slow_reported = false;
                }
                w.since = now;
                w.asleep_since = None;
                if state == block_state::PRESUMED {
                    shared.idle.presumed_unblocked(&r.block_state);
                }
                continue;
            }
            all_progressed = false;
            let stuck = now.saturating_duration_since(w.since);
            if stuck >= shared.settings.slow_poll_threshold
                && state == block_state::NOT_BLOCKED
                && !std::mem::replace(&mut w.slow_reported, true)
            {
                report_slow_poll(shared, i, r, stuck);
            }
            if !queued || stuck < window / 2 {
                continue;
            }
            if stuck < window {
                // Half a window in: the first of the two reads.
                if state == block_state::NOT_BLOCKED {
                    w.asleep_since = thread_state::is_asleep(r.tid()).then_some(now);
                }
                continue;
            }
            if state == block_state::ANNOUNCED {
                // One of the runtime's own blocking sections, lasting.
                if shared.idle.presume_blocked(&r.block_state, state) {
                    long_blocked = true;
                }
                continue;
            }
            if state != block_state::NOT_BLOCKED {
                long_blocked = true;
                continue;
            }
            // Asleep at two reads a tick apart: a poll that only passes
            // through the kernel (a short syscall, a brief lock) is not
            // taken for a blocked one. A computing poll is read again once
            // per window.
            let asleep = thread_state::is_asleep(r.tid());
            let confirmed = asleep && w.asleep_since.is_some();
            w.asleep_since = if asleep {
                w.asleep_since.or(Some(now))
            } else {
                None
            };
            if !confirmed {
                continue;
            }
            if shared.idle.presume_blocked(&r.block_state, state) && shared.has_queued_work() {
                shared.notify_parked();
            }
            if !std::mem::replace(&mut w.reported, true) {
                report(shared, StarvationKind::BlockedInPoll, i, r, stuck);
            }
        }
        if long_blocked {
            // Work waits while a worker has been blocked for a window: make
            // sure the goal's worth of workers run (a thread may start).
            shared.notify_parked();
        }
        (total, all_progressed)
    }

    /// .NET's rule: work queued and nothing dequeued for the window raises
    /// the goal by one, and names the tasks the stuck workers run.
    fn starvation(&mut self, shared: &Shared, now: Instant, queued: bool, total: u64) {
        if !queued || total != self.total {
            self.total = total;
            self.progress = now;
            return;
        }
        let window = shared.settings.starvation_window;
        if now.saturating_duration_since(self.progress) < window {
            return;
        }
        self.progress = now;
        let (from, to) = shared.idle.set_goal(shared.idle.goal() + 1);
        if to == from {
            return;
        }
        shared
            .supervisor
            .goal_changed(from, to, Transition::Starvation);
        for (i, w) in self.slots.iter_mut().enumerate() {
            let r = shared.slots.get(i);
            let stuck = now.saturating_duration_since(w.since);
            if !r.is_parked() && stuck >= window && !std::mem::replace(&mut w.reported, true) {
                report(shared, StarvationKind::NoProgress, i, r, stuck);
            }
        }
        shared.notify_parked();
    }

    /// Starts a thread wanted past the allowance once it has waited the
    /// delay. The delay starts when the thread is first seen wanted, which
    /// is after the previous delayed start: every thread past the allowance
    /// waits one, the first included (.NET's delay steps).
    fn delayed_start(&mut self, shared: &Shared, now: Instant) {
        if !shared.idle.has_wanted() {
            self.delayed_due = None;
            return;
        }
        let due = *self
            .delayed_due
            .get_or_insert_with(|| now + shared.blocking_delay(shared.idle.live()));
        if now < due {
            return;
        }
        self.delayed_due = None;
        let n = shared.idle.start_wanted();
        shared.act(n);
    }

    /// One controller sample per its interval: completions (polls) over the
    /// sample, at the current goal.
    fn hill_climbing(&mut self, shared: &Shared, now: Instant, total: u64) {
        let elapsed = now.saturating_duration_since(self.sample_start);
        let mut controller = shared.supervisor.controller();
        if elapsed < controller.sample_interval() {
            return;
        }
        let goal = shared.idle.goal();
        let (min, max) = shared.idle.limits();
        let completions = total.saturating_sub(self.sample_total);
        let (next, _) = controller.update(goal, elapsed, completions, min, max);
        drop(controller);
        self.sample_start = now;
        self.sample_total = total;
        if next != goal {
            let (from, to) = shared.idle.set_goal(next);
            if to > from {
                shared.notify_parked();
            }
        }
    }
}

/// Reports a stuck worker and the task it runs.
fn report(shared: &Shared, kind: StarvationKind, worker: usize, r: &Remote, stuck: Duration) {
    let task = shared.registry.describe(r.running());
    let event = StarvationEvent {
        pool_id: shared.id,
        kind,
        worker,
        task_id: task.map(|(id, _)| id),
        location: task.map(|(_, loc)| loc),
        running_for: stuck,
        threads: shared.num_workers(),
        queued: shared.pending_items(),
    };
    crate::diag::starvation::report(&event);
}

/// Reports a poll that has run past the slow-poll threshold.
fn report_slow_poll(shared: &Shared, worker: usize, r: &Remote, running_for: Duration) {
    let task = shared.registry.describe(r.running());
    let event = crate::diag::SlowPollEvent {
        pool_id: shared.id,
        worker,
        task_id: task.map(|(id, _)| id),
        location: task.map(|(_, loc)| loc),
        running_for,
        on_cpu: !thread_state::is_asleep(r.tid()),
    };
    crate::diag::slow_poll::report(&event);
}
