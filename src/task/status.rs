//! `TaskStatus`: where a task is in its lifecycle.

use super::header::TaskKind;
use super::state::{FinalKind, Snapshot};
use std::fmt;

/// Where a task is in its lifecycle. C#: `TaskStatus`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Created cold with `Task::new` and not started yet. C#: `Created`.
    Created,
    /// Waiting for something outside the scheduler: a promise not yet
    /// completed, a continuation whose antecedent is running, or async work
    /// suspended at an await. C#: `WaitingForActivation`.
    WaitingForActivation,
    /// Queued to run. C#: `WaitingToRun`.
    WaitingToRun,
    /// Being executed by a thread. C#: `Running`.
    Running,
    /// The body finished; attached children still run. C#:
    /// `WaitingForChildrenToComplete`.
    WaitingForChildrenToComplete,
    /// Completed successfully. C#: `RanToCompletion`.
    RanToCompletion,
    /// Completed with one or more errors. C#: `Faulted`.
    Faulted,
    /// Completed by cancellation. C#: `Canceled`.
    Canceled,
}

impl TaskStatus {
    /// True for the three final states. C#: what `Task.IsCompleted` tests.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskStatus::RanToCompletion | TaskStatus::Faulted | TaskStatus::Canceled
        )
    }

    /// Reads a status from a state snapshot, in .NET's priority order.
    pub(crate) fn from_snapshot(s: Snapshot, kind: TaskKind) -> TaskStatus {
        if s.is_complete() {
            return match s.final_kind() {
                FinalKind::Faulted => TaskStatus::Faulted,
                FinalKind::Canceled => TaskStatus::Canceled,
                FinalKind::RanToCompletion => TaskStatus::RanToCompletion,
            };
        }
        if s.is_waiting_children() {
            return TaskStatus::WaitingForChildrenToComplete;
        }
        match kind {
            // A promise "running" is only a completer writing its outcome;
            // an async method's task reads WaitingForActivation until it
            // completes, whatever its body is doing (.NET's builder task).
            TaskKind::Promise | TaskKind::AsyncMethod => TaskStatus::WaitingForActivation,
            TaskKind::Work | TaskKind::Continuation => {
                if s.is_running() {
                    TaskStatus::Running
                } else if s.is_notified() {
                    TaskStatus::WaitingToRun
                } else if s.is_created() {
                    if kind == TaskKind::Work {
                        TaskStatus::Created
                    } else {
                        TaskStatus::WaitingForActivation
                    }
                } else {
                    TaskStatus::WaitingForActivation
                }
            }
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
