//! Cycles in the wait-for graph of a dump.
//!
//! Each task has at most one outgoing edge: to the task it awaits or is
//! blocked on, or, for a promise made inside a task's poll, to that task
//! (which likely completes it). So the graph is a functional graph, and
//! its cycles are found in one pass, each node visited once.

use super::{TaskInfo, TaskKindInfo};
use std::fmt;

/// One step of a [`Deadlock`]: how a task waits on the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadlockEdge {
    /// Awaits it.
    Awaits,
    /// Blocked on it (`wait()`, `result()`), inside its poll.
    BlockedOn,
    /// A promise made inside the next task's poll: likely only that task
    /// completes it.
    CompletedBy,
}

/// A cycle of tasks each waiting on the next, the last on the first: none
/// of them can go on. C#: none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// The tasks of the cycle, starting with the lowest id; with the edge
    /// from each to the next (the last one's edge leads back to the first).
    pub steps: Vec<(u64, DeadlockEdge)>,
    /// Every step is an await or a blocking wait of one task on the next,
    /// with nothing else the waiting poll parked on: nothing can break the
    /// cycle. False when a step goes through a promise (something outside
    /// the cycle could still complete it) or a poll that waits on more.
    pub certain: bool,
}

impl Deadlock {
    /// The ids of the tasks in the cycle.
    pub fn task_ids(&self) -> Vec<u64> {
        self.steps.iter().map(|s| s.0).collect()
    }
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.certain {
            "deadlock: "
        } else {
            "likely deadlock: "
        })?;
        for (id, edge) in &self.steps {
            let verb = match edge {
                DeadlockEdge::Awaits => "awaits",
                DeadlockEdge::BlockedOn => "is blocked on",
                DeadlockEdge::CompletedBy => "is a promise only completed by",
            };
            write!(f, "task {id} {verb} ")?;
        }
        write!(f, "task {}", self.steps[0].0)
    }
}

/// The cycles among `tasks` (sorted by id).
pub(super) fn find(tasks: &[TaskInfo]) -> Vec<Deadlock> {
    let index = super::index(tasks);
    // The edge out of each task: (target index, kind, certain).
    let edges: Vec<Option<(usize, DeadlockEdge, bool)>> = tasks
        .iter()
        .map(|t| {
            if let Some(target) = t.awaited_task() {
                let edge = match t.waiting_on {
                    Some(super::WaitingOn::BlockedOn(_)) => DeadlockEdge::BlockedOn,
                    _ => DeadlockEdge::Awaits,
                };
                return index.get(&target).map(|&i| (i, edge, !t.waits_on_more));
            }
            if t.kind == TaskKindInfo::Promise {
                let maker = t.created_by?;
                return index
                    .get(&maker)
                    .map(|&i| (i, DeadlockEdge::CompletedBy, false));
            }
            None
        })
        .collect();
    // 0: not seen; 1: on the current walk; 2: done.
    let mut state = vec![0u8; tasks.len()];
    let mut found = Vec::new();
    for start in 0..tasks.len() {
        if state[start] != 0 {
            continue;
        }
        let mut path = Vec::new();
        let mut at = start;
        loop {
            match state[at] {
                1 => {
                    // A cycle: the path from `at`'s first visit on.
                    let from = path.iter().position(|&p| p == at).unwrap_or(0);
                    found.push(cycle(&path[from..], &edges, tasks));
                    break;
                }
                2 => break,
                _ => {}
            }
            state[at] = 1;
            path.push(at);
            match edges[at] {
                Some((next, _, _)) => at = next,
                None => break,
            }
        }
        for p in path {
            state[p] = 2;
        }
    }
    found
}

fn cycle(
    nodes: &[usize],
    edges: &[Option<(usize, DeadlockEdge, bool)>],
    tasks: &[TaskInfo],
) -> Deadlock {
    let mut steps: Vec<(u64, DeadlockEdge)> = Vec::with_capacity(nodes.len());
    let mut certain = true;
    for &n in nodes {
        let (_, edge, sure) = edges[n].expect("a cycle's nodes all have an edge");
        certain &= sure;
        steps.push((tasks[n].id, edge));
    }
    // Start at the lowest id, so one cycle always reads the same.
    let lowest = (0..steps.len()).min_by_key(|&i| steps[i].0).unwrap_or(0);
    steps.rotate_left(lowest);
    Deadlock { steps, certain }
}
