//! Homes as contexts see them: the home new work captures, the adapter that
//! homes tasks on any `SynchronizationContext`, and moving the running task
//! to another home (`configure_await(false)`, `switch_to`).
//!
//! Moving follows header rule 2 (`task/header.rs`): only the thread that owns
//! the task's stage (it is RUNNING, being polled here) writes `home`. A wake
//! that arrives during the poll only sets NOTIFIED; the runner reschedules
//! after the poll and reads the new home itself. A wake after the poll reads
//! `home` after the runner's `transition_to_idle`, which published the write.
//! So the next schedule after a move goes to the new home, never the old.

use super::sync_context::{SynchronizationContext, same_context};
use crate::task::CancelReason;
use crate::task::raw::{Notified, RawTask};
use crate::task::registry::Registry;
use crate::task::schedule::{Hint, Home, Schedule, home_of, set_home_of_current};
use std::sync::Arc;

/// The result of moving the running task.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rehome {
    /// The task's home is now the target.
    Moved,
    /// The target already was its home.
    AlreadyThere,
    /// No tasklane task is being polled on this thread.
    NotInTask,
    /// The task's future is not `Send`; it stays.
    Pinned,
    /// The target is shut down (or the old home is: the task is being
    /// cancelled); it stays.
    ShutDown,
}

/// Makes `target` the home of the task being polled on this thread.
pub(crate) fn rehome_current(target: Home) -> Rehome {
    match crate::task::current::current() {
        Some(raw) => rehome(raw, target),
        None => Rehome::NotInTask,
    }
}

/// Moves `raw`, which the calling thread is polling (it owns the stage), to
/// `target`: out of the old home's registry, into the target's, then the
/// home pointer.
pub(crate) fn rehome(raw: RawTask, target: Home) -> Rehome {
    // Rule 2 (header.rs): we are `raw`'s runner.
    let Some(old) = home_of(raw) else {
        return Rehome::NotInTask;
    };
    if old.ptr_eq(&target) {
        return Rehome::AlreadyThere;
    }
    if raw.header().pinned {
        return Rehome::Pinned;
    }
    // The registry ref moves with the task. None: the old home is draining
    // and has already asked this task to cancel after this poll.
    let Some(registered) = old.0.release(raw) else {
        return Rehome::ShutDown;
    };
    if !target.0.bind(raw) {
        // Stay home. If the old home closed meanwhile too, its drain
        // already asked us to cancel; the ref just goes.
        if old.0.bind(raw) {
            let _kept = registered.into_raw();
        } else {
            drop(registered);
        }
        return Rehome::ShutDown;
    }
    // The target's registry now holds the ref `release` gave back.
    let _kept = registered.into_raw();
    let moved = set_home_of_current(raw, target);
    debug_assert!(moved, "rehome is called only for the task polled here");
    Rehome::Moved
}

/// The home of work that captures `ctx`: its dispatcher, an adapter that
/// posts to it, or (no context) the current runtime's pool.
pub(crate) fn home_for(ctx: Option<&Arc<dyn SynchronizationContext>>) -> Home {
    match ctx {
        None => crate::runtime::current_home(),
        Some(ctx) => match ctx.as_dispatcher() {
            Some(d) => Home(d.shared().clone()),
            None => {
                let home = Arc::new(ContextHome::new(ctx.clone()));
                crate::task::directory::list(&home);
                Home(home)
            }
        },
    }
}

/// Homes tasks on a `SynchronizationContext` that is not a dispatcher:
/// every schedule is a `post` that polls the task with the context set as
/// current.
pub(crate) struct ContextHome {
    ctx: Arc<dyn SynchronizationContext>,
    registry: Registry,
}

impl ContextHome {
    pub(crate) fn new(ctx: Arc<dyn SynchronizationContext>) -> ContextHome {
        ContextHome {
            ctx,
            registry: Registry::new(1),
        }
    }
}

/// A task posted to a context. If the context drops it unrun, the task is
/// cancelled instead of staying pending forever.
struct PostedTask(Option<Notified>);

impl PostedTask {
    fn run(mut self) {
        if let Some(task) = self.0.take() {
            task.run();
        }
    }
}

impl Drop for PostedTask {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            // Only Send futures are homed through an adapter, so cancelling
            // (dropping the future) on this thread is allowed.
            task.raw().shutdown(CancelReason::ContextShutdown);
            drop(task);
        }
    }
}

impl Schedule for ContextHome {
    fn registry(&self) -> &crate::task::registry::Registry {
        &self.registry
    }

    fn schedule(&self, task: Notified, _hint: Hint) {
        crate::diag::counters::scheduled();
        let ctx = self.ctx.clone();
        let posted = PostedTask(Some(task));
        self.ctx.post(Box::new(move || {
            let _scope = <dyn SynchronizationContext>::set_current(Some(ctx));
            posted.run();
        }));
    }

    fn bind(&self, task: RawTask) -> bool {
        self.registry.insert(task)
    }

    fn release(&self, task: RawTask) -> Option<crate::task::raw::TaskRef> {
        self.registry.remove(task)
    }

    fn is_current(&self) -> bool {
        <dyn SynchronizationContext>::current().is_some_and(|c| same_context(&c, &self.ctx))
    }

    fn describe(&self) -> String {
        self.ctx.name()
    }
}
