//! Counts unobserved-fault reports for the loom models of the task layer.
//!
//! The handler is process-wide and the test harness runs models on several
//! threads at once, so a model that installs a handler could count another
//! model's reports, or have its handler replaced mid-run. Every model that
//! touches the handler holds an [`UnobservedHandler`] for its whole
//! `loom::model` call (one model at a time), and counts with [`reports_of`]
//! only the reports of its own tasks' ids (models in other modules may
//! report faults of their own at any time).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

// `std::sync::Mutex` on purpose, not the `crate::loom` facade: the guard is
// taken outside `loom::model`, where loom's primitives cannot be used, and
// the handler runs on loom's threads without being a step of the model.

/// Held by the model that owns the handler.
static MODELS: Mutex<()> = Mutex::new(());
/// The ids of the tasks reported since the handler was installed.
static REPORTED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

fn reported() -> MutexGuard<'static, Vec<u64>> {
    REPORTED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The process-wide unobserved-fault handler, owned by one model at a time;
/// dropping it restores the default handler.
pub(super) struct UnobservedHandler {
    _serial: MutexGuard<'static, ()>,
}

impl UnobservedHandler {
    /// Waits until no other model owns the handler, then installs one that
    /// records the id of every reported task (see [`reports_of`]).
    pub(super) fn own() -> UnobservedHandler {
        // A failed model poisons the lock; the next one still runs alone.
        let serial = MODELS.lock().unwrap_or_else(PoisonError::into_inner);
        reported().clear();
        crate::diag::set_unobserved_fault_handler(Some(Arc::new(|f| {
            reported().push(f.task_id);
        })));
        UnobservedHandler { _serial: serial }
    }
}

impl Drop for UnobservedHandler {
    fn drop(&mut self) {
        // Before the guard (a field) is released.
        crate::diag::set_unobserved_fault_handler(None);
    }
}

/// How many times the task with this id was reported since the running
/// model took the [`UnobservedHandler`]. (A free function: the model's
/// closure is `'static` and cannot borrow the guard.)
pub(super) fn reports_of(task_id: u64) -> usize {
    reported().iter().filter(|&&id| id == task_id).count()
}
