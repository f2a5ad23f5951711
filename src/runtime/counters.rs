//! [`RuntimeCounters`]: one snapshot of a runtime's counters, named as
//! .NET's EventCounters (`dotnet-counters monitor`).

use super::Handle;
use std::fmt;
use std::sync::atomic::Ordering;

/// A runtime's counters at one moment, named as .NET's `System.Runtime`
/// EventCounters where one exists (`threadpool-thread-count`, …), plus
/// tasklane's own. Take one with [`Handle::counters`] or
/// [`diag::counters`](crate::diag::counters()); `Display` prints them as
/// `dotnet-counters monitor` does.
///
/// ```
/// let c = tasklane::diag::counters();
/// assert!(c.threadpool_thread_count >= 1);
/// println!("{c}");
/// ```
///
/// C#: the `System.Runtime` EventCounters provider.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeCounters {
    /// Threads the pool has (blocked and idle ones included). C#:
    /// `threadpool-thread-count`.
    pub threadpool_thread_count: usize,
    /// Work items queued and not started. C#: `threadpool-queue-length`.
    pub threadpool_queue_length: usize,
    /// Work items run since the pool started (each poll counts). C#:
    /// `threadpool-completed-items-count`.
    pub threadpool_completed_items_count: u64,
    /// Timers armed in the process. C#: `active-timer-count`.
    pub active_timer_count: usize,
    /// Tasks of this runtime not completed.
    pub live_task_count: usize,
    /// Pool threads blocked now (announced, or found asleep in a poll),
    /// each compensated by another thread while work waits.
    pub blocked_thread_count: usize,
    /// Starvation reports since the process started.
    pub starvation_event_count: u64,
    /// Faults nobody observed, reported since the process started. C#: the
    /// `TaskScheduler.UnobservedTaskException` events.
    pub unobserved_fault_count: u64,
    /// Failures of fire-and-forget work nobody handled, since the process
    /// started.
    pub unhandled_error_count: u64,
    /// Polls that ran past the slow-poll threshold, since the process
    /// started (`diag::SlowPollEvent`).
    pub slow_poll_count: u64,
}

impl Handle {
    /// This runtime's counters now. C#: what `dotnet-counters` reads.
    pub fn counters(&self) -> RuntimeCounters {
        RuntimeCounters {
            threadpool_thread_count: self.worker_count(),
            threadpool_queue_length: self.pending_work_item_count(),
            threadpool_completed_items_count: self.completed_work_item_count(),
            active_timer_count: crate::time::active_count(),
            live_task_count: self.live_task_count(),
            blocked_thread_count: self.blocked_thread_count(),
            starvation_event_count: crate::diag::starvation::STARVATION_EVENTS
                .load(Ordering::Relaxed),
            unobserved_fault_count: crate::diag::unobserved::UNOBSERVED_FAULTS
                .load(Ordering::Relaxed),
            unhandled_error_count: crate::diag::unhandled::UNHANDLED_ERRORS.load(Ordering::Relaxed),
            slow_poll_count: crate::diag::slow_poll::SLOW_POLLS.load(Ordering::Relaxed),
        }
    }
}

/// The current runtime's counters (the default runtime's outside one).
/// C#: `dotnet-counters monitor` on this process.
pub fn counters() -> RuntimeCounters {
    Handle::current_or_default().counters()
}

impl fmt::Display for RuntimeCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: [(&str, String); 10] = [
            (
                "ThreadPool Thread Count",
                self.threadpool_thread_count.to_string(),
            ),
            (
                "ThreadPool Queue Length",
                self.threadpool_queue_length.to_string(),
            ),
            (
                "ThreadPool Completed Work Item Count",
                self.threadpool_completed_items_count.to_string(),
            ),
            (
                "Number of Active Timers",
                self.active_timer_count.to_string(),
            ),
            ("Live Tasks", self.live_task_count.to_string()),
            (
                "Blocked (compensated) Threads",
                self.blocked_thread_count.to_string(),
            ),
            ("Starvation Events", self.starvation_event_count.to_string()),
            (
                "Unobserved Task Faults",
                self.unobserved_fault_count.to_string(),
            ),
            ("Unhandled Errors", self.unhandled_error_count.to_string()),
            ("Slow Polls", self.slow_poll_count.to_string()),
        ];
        writeln!(f, "[tasklane]")?;
        for (name, value) in rows {
            writeln!(f, "    {name:<52} {value:>12}")?;
        }
        Ok(())
    }
}
