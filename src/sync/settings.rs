//! The tunable numbers of `tasklane::sync`, in one place.

use std::time::Duration;

/// How long a waiter of an [`AsyncMutex`](super::AsyncMutex) may lose the
/// lock to tasks that take it without queueing (barging) before the lock
/// turns fair: from then on a release goes to the queue's first waiter and
/// newcomers queue behind it, until the queue is served. Go's `sync.Mutex`
/// uses 1 ms, async-lock 500 µs.
pub(crate) const MUTEX_STARVATION_LIMIT: Duration = Duration::from_micros(500);
