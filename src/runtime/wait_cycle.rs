//! A blocking wait that closes a cycle: task A, inside its poll, blocks
//! on task B, while B awaits (through any chain of awaits and blocking
//! waits) A itself. B can only finish after A does, and A only after its
//! wait ends: .NET hangs forever; the wait ends with a `DeadlockError`.
//!
//! The search goes backwards from A, through the tasks waiting on each
//! task (their entries in its continuation list), so it needs no lookup by
//! id. An edge counts only when the waiting task says so itself: its last
//! poll parked on that one task and nothing else (its wait word, see
//! `task/waiting.rs`) — a task that awaits with a timeout, or selects
//! between several things, could still move on, and breaks no wait. A
//! cycle must be seen twice, `WAIT_CYCLE_CHECK` apart, with no task of it
//! polled in between, before the wait gives up.

use crate::context::DeadlockError;
use crate::diag::settings::{WAIT_CYCLE_CHECK, WAIT_CYCLE_MAX_TASKS};
use crate::loom::sync::atomic::Ordering;
use crate::task::TaskError;
use crate::task::raw::{RawTask, TaskRef};
use crate::task::wait::ParkWatch;
use crate::task::waiting::{Parked, WaitWord};
use std::collections::HashSet;
use std::time::Instant;

/// Watches a blocking wait of the task `waiter` (polled on this thread).
pub(crate) struct CycleWatch {
    waiter: RawTask,
    next_check: Instant,
    /// A cycle seen at the last check: its tasks and their poll counts.
    suspect: Option<Vec<(u64, u32)>>,
}

impl CycleWatch {
    pub(crate) fn new(waiter: RawTask, now: Instant) -> CycleWatch {
        CycleWatch {
            waiter,
            next_check: now + WAIT_CYCLE_CHECK,
            suspect: None,
        }
    }

    /// Looks for the cycle when due; `Err` once it is confirmed.
    pub(crate) fn check(&mut self, awaited: RawTask, now: Instant) -> Result<Instant, TaskError> {
        if now < self.next_check {
            return Ok(self.next_check);
        }
        self.next_check = now + WAIT_CYCLE_CHECK;
        let Some(chain) = search(self.waiter, awaited) else {
            self.suspect = None;
            return Ok(self.next_check);
        };
        let seen: Vec<(u64, u32)> = chain
            .iter()
            .map(|t| {
                let raw = t.raw();
                (
                    raw.header().id(),
                    raw.header().polls.load(Ordering::Relaxed),
                )
            })
            .collect();
        if self.suspect.as_ref() == Some(&seen) {
            let steps = chain
                .iter()
                .map(|t| {
                    let raw = t.raw();
                    (raw.header().id(), raw.header().location)
                })
                .collect();
            return Err(TaskError::new(DeadlockError::awaits_its_waiter(
                self.waiter,
                steps,
            )));
        }
        self.suspect = Some(seen);
        Ok(self.next_check)
    }
}

impl ParkWatch for CycleWatch {
    fn look(&mut self, raw: RawTask, now: Instant) -> Result<Option<Instant>, TaskError> {
        self.check(raw, now).map(Some)
    }
}

/// The chain `awaited` → … → `waiter` of tasks each waiting on the next
/// (`awaited` first, `waiter` not included), if there is one.
fn search(waiter: RawTask, awaited: RawTask) -> Option<Vec<TaskRef>> {
    // Breadth first from the waiter, over tasks waiting on each task. Each
    // visited task is held by a ref, and remembers who it waits on.
    let mut visited: Vec<(TaskRef, usize)> = vec![(TaskRef::new_ref(waiter), usize::MAX)];
    let mut seen: HashSet<usize> = HashSet::new();
    seen.insert(waiter.address());
    let mut at = 0;
    while at < visited.len() && visited.len() < WAIT_CYCLE_MAX_TASKS {
        let target = visited[at].0.raw();
        let target_address = target.address();
        let mut found = Vec::new();
        target.header().continuations.for_each_waiting_task(|w| {
            if waits_only_on(w, target_address) && seen.insert(w.address()) {
                found.push(TaskRef::new_ref(w));
            }
        });
        for w in found {
            let hit = w.raw() == awaited;
            visited.push((w, at));
            if hit {
                // Walk back to the waiter: awaited first.
                let mut chain = Vec::new();
                let mut i = visited.len() - 1;
                while i != 0 {
                    let (t, from) = &visited[i];
                    chain.push(TaskRef::new_ref(t.raw()));
                    i = *from;
                }
                return Some(chain);
            }
        }
        at += 1;
    }
    None
}

/// True if `task`'s last poll parked on the task at `address` alone (an
/// await or a blocking wait), and it has not completed.
fn waits_only_on(task: RawTask, address: usize) -> bool {
    let header = task.header();
    if header.state.load().is_complete() {
        return false;
    }
    let word = WaitWord(header.waiting.load(Ordering::Relaxed));
    !word.is_multiple()
        && matches!(word.decode(), Some(Parked::Task(t) | Parked::Blocked(t)) if t == address)
}
