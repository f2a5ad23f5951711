//! The settings of the runtime's reports, in one place.

use std::time::Duration;

/// How long identical reports (one kind, one location) are counted after
/// the first is printed in full, before one line sums them up
/// (`emit.rs`).
pub(crate) const REPORT_WINDOW: Duration = Duration::from_secs(1);

/// A runtime's shutdown that waits longer than this for its threads says
/// what it waits for (the tasks still running, and where they were
/// spawned).
pub(crate) const SLOW_SHUTDOWN_REPORT: Duration = Duration::from_millis(100);
