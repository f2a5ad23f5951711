//! Reports seen by a runtime's observer: the test harness
//! (`#[tasklane::test]`) watches its own runtime for unobserved faults,
//! unhandled errors and broken promises, and fails the test with them.
//!
//! A report belongs to the runtime of the thread it is made on (a worker,
//! or a thread that entered the runtime: a test's `block_on`). The runtime
//! tells this module how to find that (`install_current_runtime`), so the
//! diagnostics core names no module above it.

use super::{UnhandledError, UnobservedFault};
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Something that happened that a test must not let pass.
#[derive(Clone, Debug)]
pub enum Observed {
    /// A faulted task's last handle dropped with nobody having looked.
    UnobservedFault(UnobservedFault),
    /// Work failed with no one to take the error (fire-and-forget, a
    /// panic in a callback).
    Unhandled(UnhandledError),
    /// A `TaskCompletionSource` dropped without completing its task.
    BrokenPromise {
        /// Where the source was created.
        location: &'static Location<'static>,
        /// The promise's task.
        task_id: u64,
    },
}

/// Receives what is reported on one runtime's threads.
pub(crate) trait Observer: Send + Sync {
    fn observe(&self, what: Observed);
}

static CURRENT_RUNTIME: OnceLock<fn() -> Option<u64>> = OnceLock::new();
static OBSERVERS: RwLock<Vec<(u64, Arc<dyn Observer>)>> = RwLock::new(Vec::new());
/// How many observers there are (a report checks this before any lock).
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// The runtime says how to find the calling thread's runtime id.
pub(crate) fn install_current_runtime(f: fn() -> Option<u64>) {
    let _ = CURRENT_RUNTIME.set(f);
}

/// Watches runtime `id` until the guard drops.
pub(crate) fn watch(id: u64, observer: Arc<dyn Observer>) -> Watching {
    let mut o = OBSERVERS.write().unwrap_or_else(|p| p.into_inner());
    o.push((id, observer));
    COUNT.store(o.len(), Ordering::Release);
    Watching(id)
}

/// Stops the watch when dropped.
pub(crate) struct Watching(u64);

impl Drop for Watching {
    fn drop(&mut self) {
        let mut o = OBSERVERS.write().unwrap_or_else(|p| p.into_inner());
        o.retain(|(id, _)| *id != self.0);
        COUNT.store(o.len(), Ordering::Release);
    }
}

/// Hands `what` to the observer of the calling thread's runtime, if any.
pub(crate) fn report(what: impl FnOnce() -> Observed) {
    if COUNT.load(Ordering::Acquire) == 0 {
        return;
    }
    let Some(id) = CURRENT_RUNTIME.get().and_then(|f| f()) else {
        return;
    };
    let observer = OBSERVERS
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, o)| o.clone());
    if let Some(o) = observer {
        o.observe(what());
    }
}

/// A report's one-line description.
impl std::fmt::Display for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Observed::UnobservedFault(fault) => write!(f, "{fault}"),
            Observed::Unhandled(e) => write!(f, "{e}"),
            Observed::BrokenPromise { location, task_id } => write!(
                f,
                "the TaskCompletionSource created at {location} (task {task_id}) was dropped without completing its task"
            ),
        }
    }
}
