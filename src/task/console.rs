//! What tokio-console sees of tasklane (feature `tokio-console`): the
//! `tracing` spans and events `console-subscriber` reads. Each task polled
//! by a scheduler gets a `runtime.spawn` span (kind, name, id, spawn
//! location), entered for each poll and closed when the task completes;
//! each operation on its waker is a `runtime::waker` event naming the
//! span. The console then lists tasklane's tasks with their busy, idle and
//! scheduled times, and its lints ("never yielded", "long poll") apply.
//! Without the feature none of this is compiled.

use super::header::TaskKind;
use crate::loom::cell::UnsafeCell;
use std::panic::Location;

/// A task's console span, owned like the stage: created before the task
/// is published, entered and closed by the thread that owns the stage
/// (header rule 2's owner). `id` never changes (waker events read it from
/// any thread).
pub(crate) struct ConsoleTask {
    span: UnsafeCell<Option<tracing::Span>>,
    id: u64,
}

impl ConsoleTask {
    /// No span (a promise: never polled).
    pub(crate) fn none() -> ConsoleTask {
        ConsoleTask {
            span: UnsafeCell::new(None),
            id: 0,
        }
    }

    /// The span of a task about to be spawned.
    pub(crate) fn spawned(
        kind: TaskKind,
        task_id: u64,
        name: Option<&str>,
        location: &'static Location<'static>,
    ) -> ConsoleTask {
        let kind = match kind {
            TaskKind::Work => "task",
            TaskKind::Continuation => "continuation",
            TaskKind::AsyncMethod => "async method",
            TaskKind::Promise => "promise",
        };
        let span = tracing::trace_span!(
            target: "tasklane::task",
            "runtime.spawn",
            kind = kind,
            task.name = name.unwrap_or(""),
            task.id = task_id,
            loc.file = location.file(),
            loc.line = location.line(),
            loc.col = location.column(),
        );
        let id = span.id().map_or(0, |i| i.into_u64());
        ConsoleTask {
            span: UnsafeCell::new(Some(span)),
            id,
        }
    }

    /// Runs `poll` inside the span. The caller owns the stage.
    pub(crate) fn in_poll<R>(&self, poll: impl FnOnce() -> R) -> R {
        // SAFETY: only the stage's owner calls this (header rule 2), and
        // nobody else touches the span while the stage is owned.
        let span: Option<&tracing::Span> = self.span.with(|s| unsafe { (*s).as_ref() });
        match span {
            Some(span) => span.in_scope(poll),
            None => poll(),
        }
    }

    /// The task completed: its span closes. The caller owns the stage.
    pub(crate) fn close(&self) {
        // SAFETY: as in `in_poll`.
        drop(self.span.with_mut(|s| unsafe { (*s).take() }));
    }

    /// A waker operation on this task: `op` is one of `waker.clone`,
    /// `waker.drop`, `waker.wake`, `waker.wake_by_ref`.
    #[inline]
    pub(crate) fn waker_op(&self, op: &'static str) {
        if self.id != 0 {
            tracing::trace!(target: "runtime::waker", op = op, task.id = self.id);
        }
    }
}
