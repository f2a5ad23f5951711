//! Slow polls: a task's poll that runs long holds its worker, and every
//! task queued behind it waits — CPU work (or an unannounced blocking call)
//! hiding in async code. The pool's supervisor reports each poll that has
//! run past `PoolSettings::slow_poll_threshold`, once, while it still runs.

use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// A poll that has run past the pool's `slow_poll_threshold`. C#: none
/// (`dotnet-trace` shows long work items; tokio-console's "long poll").
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SlowPollEvent {
    /// The runtime's pool (`Handle::pool_id`).
    pub pool_id: u64,
    /// The worker running the poll.
    pub worker: usize,
    /// The task polled, if the pool knows it.
    pub task_id: Option<u64>,
    /// Where that task was spawned.
    pub location: Option<&'static Location<'static>>,
    /// How long the poll had run when seen.
    pub running_for: Duration,
    /// True if its thread was running on a CPU (computing), false if it
    /// was asleep in the kernel (a blocking call nobody announced).
    pub on_cpu: bool,
}

impl fmt::Display for SlowPollEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "slow poll: pool #{} worker {} has run one poll for {} ",
            self.pool_id,
            self.worker,
            super::emit::duration_text(self.running_for)
        )?;
        f.write_str(if self.on_cpu {
            "on the CPU (computing in async code: move the work to Task::run or blocking(..))"
        } else {
            "asleep in the kernel (a blocking call in async code: wrap it in blocking(..))"
        })?;
        match (self.task_id, self.location) {
            (Some(id), Some(loc)) => write!(f, ", task {id} spawned at {loc}"),
            (Some(id), None) => write!(f, ", task {id}"),
            _ => Ok(()),
        }
    }
}

/// Receives slow-poll reports (on the supervisor thread: return quickly).
pub type SlowPollHandler = Arc<dyn Fn(&SlowPollEvent) + Send + Sync>;

static HANDLER: RwLock<Option<SlowPollHandler>> = RwLock::new(None);

/// Slow polls reported since the process started.
pub(crate) static SLOW_POLLS: AtomicU64 = AtomicU64::new(0);

/// Sets the slow-poll handler (`None`: the default, a `tracing` warning
/// and, without a subscriber, one stderr line per location and second);
/// returns the previous one.
pub fn set_slow_poll_handler(handler: Option<SlowPollHandler>) -> Option<SlowPollHandler> {
    std::mem::replace(
        &mut *HANDLER.write().unwrap_or_else(|p| p.into_inner()),
        handler,
    )
}

fn default_handler(event: &SlowPollEvent) {
    if !super::emit::admit(super::emit::ReportKind::SlowPoll, event.location) {
        return;
    }
    tracing::warn!(
        target: "tasklane::slow_poll",
        pool_id = event.pool_id,
        worker = event.worker,
        task_id = event.task_id,
        running_for_ms = event.running_for.as_millis() as u64,
        on_cpu = event.on_cpu,
        "{event}"
    );
    super::emit::stderr_line(format_args!("{event}"));
}

/// Reports a slow poll (from the supervisor thread).
pub(crate) fn report(event: &SlowPollEvent) {
    SLOW_POLLS.fetch_add(1, Ordering::Relaxed);
    let handler = HANDLER.read().unwrap_or_else(|p| p.into_inner()).clone();
    // User code: a panic in it must not take the supervisor down.
    super::guard::contain(
        || super::guard::Site {
            origin: super::ErrorOrigin::Handler,
            location: event.location.unwrap_or(Location::caller()),
            task_id: event.task_id,
        },
        || match handler {
            Some(h) => h(event),
            None => default_handler(event),
        },
    );
}
