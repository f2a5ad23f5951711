//! The runtime's counters through the `metrics` facade (feature
//! `metrics`): any exporter installed as the `metrics` recorder —
//! Prometheus, OpenTelemetry, StatsD — sees them under .NET's
//! EventCounters names (`threadpool-thread-count`, …) and tasklane's
//! (`tasklane-live-task-count`, …), labelled with the runtime. C#: the
//! `System.Runtime` EventCounters, as OpenTelemetry's runtime
//! instrumentation exports them.

use crate::runtime::{Handle, RuntimeCounters};
use std::sync::{Arc, Condvar, Mutex, Once};
use std::thread::JoinHandle;
use std::time::Duration;

/// The gauges: values that go up and down.
const GAUGES: [(&str, &str); 5] = [
    ("threadpool-thread-count", "Threads the pool has"),
    (
        "threadpool-queue-length",
        "Work items queued and not started",
    ),
    ("active-timer-count", "Timers armed in the process"),
    (
        "tasklane-live-task-count",
        "Tasks of the runtime not completed",
    ),
    (
        "tasklane-blocked-thread-count",
        "Pool threads blocked now, each compensated by another thread",
    ),
];

/// The counters: totals that only grow.
const COUNTERS: [(&str, &str); 5] = [
    (
        "threadpool-completed-items-count",
        "Work items run since the pool started",
    ),
    (
        "tasklane-starvation-event-count",
        "Starvation reports since the process started",
    ),
    (
        "tasklane-unobserved-fault-count",
        "Faults nobody observed, since the process started",
    ),
    (
        "tasklane-unhandled-error-count",
        "Failures nobody handled, since the process started",
    ),
    (
        "tasklane-slow-poll-count",
        "Polls past the slow-poll threshold, since the process started",
    ),
];

fn describe() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (name, help) in GAUGES {
            metrics::describe_gauge!(name, help);
        }
        for (name, help) in COUNTERS {
            metrics::describe_counter!(name, help);
        }
    });
}

impl RuntimeCounters {
    /// Records this snapshot through the `metrics` facade, every value
    /// labelled `runtime = <runtime>`: gauges for the levels, absolute
    /// counters for the totals.
    ///
    /// ```
    /// let c = tasklane::diag::counters();
    /// // With no recorder installed, this records nowhere.
    /// c.record_metrics("main");
    /// ```
    pub fn record_metrics(&self, runtime: &str) {
        describe();
        let label = [("runtime", runtime.to_owned())];
        let gauges = [
            self.threadpool_thread_count,
            self.threadpool_queue_length,
            self.active_timer_count,
            self.live_task_count,
            self.blocked_thread_count,
        ];
        for ((name, _), value) in GAUGES.iter().zip(gauges) {
            metrics::gauge!(*name, &label).set(value as f64);
        }
        let totals = [
            self.threadpool_completed_items_count,
            self.starvation_event_count,
            self.unobserved_fault_count,
            self.unhandled_error_count,
            self.slow_poll_count,
        ];
        for ((name, _), value) in COUNTERS.iter().zip(totals) {
            metrics::counter!(*name, &label).absolute(value);
        }
    }
}

/// Publishes a runtime's counters through the `metrics` facade every
/// `interval`, from a thread of its own, until dropped. Made by
/// [`publish_metrics`].
#[must_use = "publishing stops when the publisher is dropped"]
pub struct MetricsPublisher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

/// Starts publishing `runtime`'s counters (labelled `runtime = <label>`)
/// every `interval`; the first right away. C#: enabling the
/// `System.Runtime` EventCounters with an `EventCounterIntervalSec`.
pub fn publish_metrics(
    runtime: &Handle,
    label: impl Into<String>,
    interval: Duration,
) -> std::io::Result<MetricsPublisher> {
    let stop = Arc::new((Mutex::new(false), Condvar::new()));
    let (handle, label, flag) = (runtime.clone(), label.into(), stop.clone());
    let thread = std::thread::Builder::new()
        .name("tasklane-metrics".to_owned())
        .spawn(move || {
            let (lock, cv) = &*flag;
            let mut stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
            while !*stopped {
                handle.counters().record_metrics(&label);
                stopped = cv
                    .wait_timeout(stopped, interval)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        })?;
    Ok(MetricsPublisher {
        stop,
        thread: Some(thread),
    })
}

impl Drop for MetricsPublisher {
    fn drop(&mut self) {
        let (lock, cv) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
