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

/// A blocking wait inside a task's poll that lasts this long looks for a
/// cycle back to its own task through the tasks that await it
/// (`runtime/wait_cycle.rs`), and again as often while it lasts. Short
/// enough that a deadlock is reported well before anyone would call the
/// program hung; long enough that a wait that simply takes time pays for
/// no search (most blocking waits are far shorter).
pub(crate) const WAIT_CYCLE_CHECK: Duration = Duration::from_millis(50);

/// How many tasks that search visits at most (a longer await chain is not
/// searched to its end, and no deadlock is reported through it).
pub(crate) const WAIT_CYCLE_MAX_TASKS: usize = 10_000;
