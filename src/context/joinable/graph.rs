//! The wait-for graph: which dispatcher thread is blocked on which task,
//! which task each such thread is polling below its wait, and whether the
//! thread is busy (running a message) or idle (nothing of its chain to run).
//!
//! One process-wide lock guards it. A thread marks itself idle and looks for
//! a cycle through itself in one critical section, so of the threads of one
//! cycle exactly one finds it (it marks itself busy before the lock drops,
//! so the others no longer see a cycle; its wait returns and the cycle is
//! broken).

use super::chain::{Below, ChainSearch};
use super::deadlock::{DeadlockError, DeadlockStep, HeldBy, current_thread_name};
use crate::context::dispatcher::Shared;
use crate::task::raw::{RawTask, TaskRef};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;

/// One blocking wait of a thread.
struct Frame {
    id: u64,
    target: TaskRef,
    /// The task whose poll the wait happens in, if any: it cannot progress
    /// until the wait ends.
    polling: Option<TaskRef>,
    /// No deadline: only such waits can be part of a deadlock (a timed wait
    /// ends by itself).
    indefinite: bool,
    /// Running a message, or about to look at its queue.
    busy: bool,
}

/// A dispatcher thread with at least one blocking wait.
struct Waiter {
    thread: ThreadId,
    name: String,
    dispatcher: Arc<Shared>,
    /// Nested waits, innermost last.
    frames: Vec<Frame>,
}

static GRAPH: Mutex<Vec<Waiter>> = Mutex::new(Vec::new());
static NEXT_FRAME: AtomicU64 = AtomicU64::new(1);

fn graph() -> MutexGuard<'static, Vec<Waiter>> {
    GRAPH.lock().unwrap_or_else(|p| p.into_inner())
}

/// A blocking wait registered in the graph; removed when dropped.
pub(crate) struct FrameGuard {
    thread: ThreadId,
    id: u64,
    _not_send: PhantomData<*const ()>,
}

/// Registers a wait of the calling thread (the owner of `dispatcher`) on
/// `target`, busy.
pub(crate) fn enter(
    dispatcher: &Arc<Shared>,
    target: RawTask,
    below: Below,
    indefinite: bool,
) -> FrameGuard {
    let thread = std::thread::current().id();
    let id = NEXT_FRAME.fetch_add(1, Ordering::Relaxed);
    let frame = Frame {
        id,
        target: TaskRef::new_ref(target),
        polling: below.task.map(TaskRef::new_ref),
        indefinite,
        busy: true,
    };
    let mut g = graph();
    match g.iter_mut().find(|w| w.thread == thread) {
        Some(w) => w.frames.push(frame),
        None => g.push(Waiter {
            thread,
            name: current_thread_name(),
            dispatcher: dispatcher.clone(),
            frames: vec![frame],
        }),
    }
    FrameGuard {
        thread,
        id,
        _not_send: PhantomData,
    }
}

impl FrameGuard {
    fn with_frame<R>(&self, g: &mut [Waiter], f: impl FnOnce(&mut Frame) -> R) -> Option<R> {
        let w = g.iter_mut().find(|w| w.thread == self.thread)?;
        w.frames.iter_mut().find(|fr| fr.id == self.id).map(f)
    }

    /// The thread is about to look at its queue or run a message.
    pub(crate) fn busy(&self) {
        let mut g = graph();
        self.with_frame(&mut g, |f| f.busy = true);
    }

    /// The thread found nothing of its chain to run: marks it idle and
    /// looks for a deadlock cycle through it. On finding one, marks it busy
    /// again (its wait is about to return) so no other thread of the cycle
    /// reports it too.
    pub(crate) fn idle_and_find_cycle(&self, budget: usize) -> Option<DeadlockError> {
        let mut held = Vec::new();
        let found = {
            let mut g = graph();
            self.with_frame(&mut g, |f| f.busy = false);
            let cycle = find_cycle(&g, self.thread, budget, &mut held);
            if cycle.is_some() {
                self.with_frame(&mut g, |f| f.busy = true);
            }
            cycle
        };
        // Released outside the lock: a ref may be a task's last.
        drop(held);
        found.map(DeadlockError::new)
    }
}

impl Drop for FrameGuard {
    fn drop(&mut self) {
        let (frame, waiter) = {
            let mut g = graph();
            let Some(at) = g.iter().position(|w| w.thread == self.thread) else {
                return;
            };
            let frame = g[at]
                .frames
                .iter()
                .position(|f| f.id == self.id)
                .map(|i| g[at].frames.remove(i));
            let waiter = g[at].frames.is_empty().then(|| g.swap_remove(at));
            (frame, waiter)
        };
        // Released outside the lock: a ref may be a task's last.
        drop(frame);
        drop(waiter);
    }
}

/// True if `waiter`'s thread has a queued message of its innermost wait's
/// chain: it will run it, so it is not stuck.
fn has_chain_work(
    waiter: &Waiter,
    target: RawTask,
    budget: usize,
    held: &mut Vec<TaskRef>,
) -> bool {
    let keys = waiter.dispatcher.queue.chain_keys();
    let mut search = ChainSearch::new(target, budget);
    let found = keys
        .iter()
        .any(|(_, key, _)| key.as_ref().is_some_and(|k| search.reaches(k.raw())));
    held.extend(keys.into_iter().filter_map(|(_, k, _)| k));
    held.extend(search.into_held());
    found
}

/// Follows "waits for a task held by" edges from `me`; a path back to `me`
/// through idle, indefinitely blocked threads with nothing of their chain
/// to run is a deadlock.
fn find_cycle(
    g: &[Waiter],
    me: ThreadId,
    budget: usize,
    held: &mut Vec<TaskRef>,
) -> Option<Vec<DeadlockStep>> {
    let mut steps = Vec::new();
    let mut visited = vec![me];
    let mut cur = me;
    loop {
        let waiter = g.iter().find(|w| w.thread == cur)?;
        let frame = waiter.frames.last()?;
        if frame.busy || !frame.indefinite {
            return None;
        }
        let task = frame.target.raw();
        let (holder, held_by) = g.iter().find_map(|other| {
            if other
                .frames
                .iter()
                .any(|f| f.polling.as_ref().is_some_and(|p| p.raw() == task))
            {
                Some((
                    other,
                    HeldBy::Running {
                        thread: other.name.clone(),
                    },
                ))
            } else if other.thread != cur && other.dispatcher.queue.holds_task(task) {
                Some((
                    other,
                    HeldBy::Queued {
                        dispatcher: other.dispatcher.name.clone(),
                    },
                ))
            } else {
                None
            }
        })?;
        let holder_frame = holder.frames.last()?;
        if holder_frame.busy || !holder_frame.indefinite {
            return None;
        }
        if has_chain_work(holder, holder_frame.target.raw(), budget, held) {
            return None;
        }
        steps.push(DeadlockStep {
            thread: waiter.name.clone(),
            dispatcher: Some(waiter.dispatcher.name.clone()),
            task_id: task.header().id(),
            task_location: task.header().location,
            held: held_by,
        });
        if holder.thread == me {
            return Some(steps);
        }
        if visited.contains(&holder.thread) {
            // A cycle that does not pass through us: its own threads report it.
            return None;
        }
        visited.push(holder.thread);
        cur = holder.thread;
    }
}
