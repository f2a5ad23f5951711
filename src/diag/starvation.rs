//! Thread-pool starvation: queued work stuck behind a worker that blocks
//! without saying so, or behind workers that make no progress at all. The
//! pool's supervisor recovers (it adds a thread) and reports the task the
//! stuck worker runs, with its id and spawn location, here.
//!
//! C#: none — .NET's pool adds threads when it starves (and logs the
//! `ThreadPoolWorkerThreadAdjustmentAdjustment` event with reason
//! `Starvation`), but never says which work item blocked.

use std::fmt;
use std::panic::Location;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Why the supervisor reported a worker. C#: nearest is the `Reason` of the
/// `ThreadPoolWorkerThreadAdjustmentAdjustment` event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StarvationKind {
    /// The worker has been in one poll for the stall window while its
    /// thread sleeps in the kernel (a `std::thread::sleep`, blocking I/O, a
    /// lock), with work queued behind it: blocking nobody announced with
    /// `tasklane::blocking`. The pool compensated as if it had.
    BlockedInPoll,
    /// Nothing was dequeued anywhere for the starvation window while work
    /// was queued (.NET's starvation rule): the pool raised its thread goal
    /// by one. The worker is one of those stuck in a poll. C#: the reason
    /// `Starvation`.
    NoProgress,
}

/// A stuck worker and the task it runs. C#: nearest is the
/// `ThreadPoolWorkerThreadAdjustmentAdjustment` event with reason
/// `Starvation`, which names no work item (see the module docs).
#[derive(Clone, Debug)]
pub struct StarvationEvent {
    /// The runtime's pool (as [`crate::Handle::pool_id`] reports it).
    pub pool_id: u64,
    /// What was found.
    pub kind: StarvationKind,
    /// The worker's slot number (its thread is named `<prefix>-<worker>`).
    pub worker: usize,
    /// The id of the task the worker runs (`Task::id`), if it could be read
    /// (the task may have finished just then).
    pub task_id: Option<u64>,
    /// Where that task was spawned.
    pub location: Option<&'static Location<'static>>,
    /// How long the worker has been in that poll.
    pub running_for: Duration,
    /// Threads the pool has now (after compensating).
    pub threads: usize,
    /// Work items queued and not yet started.
    pub queued: usize,
}

impl fmt::Display for StarvationEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            StarvationKind::BlockedInPoll => "blocked in the kernel",
            StarvationKind::NoProgress => "made no progress",
        };
        write!(
            f,
            "pool #{} worker {} {what} for {} with {} work item(s) queued",
            self.pool_id,
            self.worker,
            super::emit::duration_text(self.running_for),
            self.queued
        )?;
        match (self.task_id, self.location) {
            (Some(id), Some(loc)) => write!(f, ", running task {id} spawned at {loc}")?,
            _ => f.write_str(", running a task that has just finished")?,
        }
        write!(f, "; the pool now has {} threads", self.threads)
    }
}

/// A handler for starvation events.
pub type StarvationHandler = Arc<dyn Fn(&StarvationEvent) + Send + Sync>;

static HANDLER: RwLock<Option<StarvationHandler>> = RwLock::new(None);

/// Installs the process-wide handler for starvation events, returning the
/// previous one; `None` restores the default (a warning through
/// `tracing`, also printed to stderr when no tracing subscriber is set;
/// repeated reports for one spawn location print one line and a count). The handler runs on the runtime's supervisor thread: keep it
/// short. C#: none (see the module docs).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// tasklane::diag::set_starvation_handler(Some(Arc::new(move |e| {
///     sink.lock().unwrap().push(e.to_string());
/// })));
/// // ... a task blocks unannounced; `seen` gets a line naming it ...
/// tasklane::diag::set_starvation_handler(None);
/// ```
pub fn set_starvation_handler(handler: Option<StarvationHandler>) -> Option<StarvationHandler> {
    let mut h = HANDLER.write().unwrap_or_else(|p| p.into_inner());
    std::mem::replace(&mut *h, handler)
}

fn default_handler(event: &StarvationEvent) {
    if !super::emit::admit(super::emit::ReportKind::Starvation, event.location) {
        return;
    }
    tracing::warn!(
        pool = event.pool_id,
        worker = event.worker,
        task.id = event.task_id,
        task.location = event.location.map(tracing::field::display),
        running_for_ms = event.running_for.as_secs_f64() * 1e3,
        threads = event.threads,
        queued = event.queued,
        kind = ?event.kind,
        "tasklane thread pool starvation"
    );
    super::emit::stderr_line(format_args!("thread pool starvation: {event}"));
}

/// Reported since the process started.
pub(crate) static STARVATION_EVENTS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// Reports an event to the handler (from the supervisor thread).
pub(crate) fn report(event: &StarvationEvent) {
    STARVATION_EVENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let handler = HANDLER.read().unwrap_or_else(|p| p.into_inner()).clone();
    // User code: a panic in it must not take the supervisor down.
    super::guard::contain(
        || super::guard::Site {
            origin: super::ErrorOrigin::Handler,
            location: event.location.unwrap_or(std::panic::Location::caller()),
            task_id: event.task_id,
        },
        || match handler {
            Some(h) => h(event),
            None => default_handler(event),
        },
    );
}
