//! "Belongs to the awaited task's chain": whether a task's completion leads,
//! through the tasks waiting on it, to the awaited task.

use crate::task::raw::{RawTask, TaskRef};
use std::collections::{HashSet, VecDeque};

/// What a blocking wait on a dispatcher thread runs below: the task being
/// polled, the posted closure being run (its number).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Below {
    pub(crate) task: Option<RawTask>,
    pub(crate) post: Option<u64>,
}

impl Below {
    /// True if a message with this chain `key` and `posted_during` was
    /// posted by the code blocked below the wait: from inside the task
    /// polled there, or, outside any task, from the posted closure it runs
    /// in.
    pub(crate) fn posted(&self, key: Option<RawTask>, posted_during: Option<u64>) -> bool {
        (self.post.is_some() && posted_during == self.post) || (key.is_some() && key == self.task)
    }
}

/// One search session against one awaited task. Dead ends found by one
/// query speed up the next; refs of every visited task are kept until the
/// session drops, so the caller decides where they are released (never
/// under a lock: a released ref may be a task's last).
pub(crate) struct ChainSearch {
    target: RawTask,
    budget: usize,
    /// Tasks whose waiters were explored exhaustively without reaching the
    /// target.
    dead_ends: HashSet<RawTask>,
    held: Vec<TaskRef>,
}

impl ChainSearch {
    pub(crate) fn new(target: RawTask, budget: usize) -> ChainSearch {
        ChainSearch {
            target,
            budget: budget.max(1),
            dead_ends: HashSet::new(),
            held: Vec::new(),
        }
    }

    /// True if `start` is the target, or the target waits (transitively) on
    /// `start`: through a tasklane waker or an inline continuation in a
    /// continuation list, or as the parent of an attached child. The caller
    /// keeps `start` alive. A search that passes the budget answers false.
    pub(crate) fn reaches(&mut self, start: RawTask) -> bool {
        if start == self.target {
            return true;
        }
        if self.dead_ends.contains(&start) {
            return false;
        }
        let mut seen: HashSet<RawTask> = HashSet::from([start]);
        let mut frontier: VecDeque<RawTask> = VecDeque::from([start]);
        let mut exhausted = true;
        while let Some(node) = frontier.pop_front() {
            if self.dead_ends.contains(&node) {
                continue;
            }
            let mut found = false;
            let mut visit = |waiter: RawTask| {
                if waiter == self.target {
                    found = true;
                } else if seen.len() >= self.budget {
                    exhausted = false;
                } else if seen.insert(waiter) {
                    // The entry that named `waiter` keeps it alive while the
                    // list lock is held; this ref keeps it alive after.
                    self.held.push(TaskRef::new_ref(waiter));
                    frontier.push_back(waiter);
                }
            };
            let header = node.header();
            header.continuations.for_each_waiting_task(&mut visit);
            if let Some(parent) = &header.parent {
                visit(parent.raw());
            }
            if found {
                return true;
            }
        }
        if exhausted {
            self.dead_ends.extend(seen);
        }
        false
    }

    /// The refs taken while searching, for the caller to drop.
    pub(crate) fn into_held(self) -> Vec<TaskRef> {
        self.held
    }
}
