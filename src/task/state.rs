//! The task state word: one `AtomicUsize`, changed only through the named
//! transitions below. No other file touches the atomic.
//!
//! See `task/README.md` for the rules these transitions keep.

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};
use std::fmt;

/// A thread owns the task's stage: it polls the future, or (for a promise)
/// writes the outcome. Set by `transition_to_running` / `try_claim_promise` /
/// `shutdown`; cleared by `transition_to_idle` or `transition_to_complete`.
const RUNNING: usize = 1 << 0;
/// The task must be polled again: a `Notified` reference exists (queued), or a
/// wake arrived while RUNNING and the runner reschedules. Set by wakes and
/// `transition_to_started`; cleared by `transition_to_running`.
const NOTIFIED: usize = 1 << 1;
/// The outcome is published in the stage and never changes again. Set once by
/// `transition_to_complete`; never cleared.
const COMPLETE: usize = 1 << 2;
/// With COMPLETE: the task faulted.
const FAULTED: usize = 1 << 3;
/// With COMPLETE: the task was canceled. Never together with FAULTED.
const CANCELED: usize = 1 << 4;
/// A cold task (`Task::new`) or a continuation not yet activated. Cleared by
/// `transition_to_started`. Never together with NOTIFIED or RUNNING.
const CREATED: usize = 1 << 5;
/// Shutdown asked a RUNNING task to cancel: the runner cancels after the
/// current poll instead of going idle.
const CANCEL_REQUESTED: usize = 1 << 6;
/// The body ended while attached children still run (status
/// WaitingForChildrenToComplete). Cleared by `transition_to_complete`.
const WAITING_CHILDREN: usize = 1 << 7;
/// A continuation was pushed; the completer must drain the list. Set by
/// `set_has_continuations`; never cleared.
const HAS_CONTINUATIONS: usize = 1 << 8;
/// Someone read the failure (await, wait, result, exception, when_all), or
/// the fault went to the task's attached parent (set by
/// `transition_to_complete`, as .NET marks a child's exception handled when
/// the parent collects it). Never cleared.
const OBSERVED: usize = 1 << 9;
/// The last `Task` handle dropped. Set once by `transition_handles_gone`.
const NO_HANDLES: usize = 1 << 10;

/// The future was polled at least once. Set by `transition_to_running`
/// (in the same step as RUNNING); never cleared. A task started with a
/// token may be canceled by that token only before this is set.
const POLLED: usize = 1 << 11;

const REF_SHIFT: usize = 16;
/// One reference: every `Notified`, waker, registry entry, continuation entry
/// and the handles together hold one each.
const REF_ONE: usize = 1 << REF_SHIFT;
const REF_MASK: usize = !(REF_ONE - 1);

/// The atomic state word of a task.
pub(crate) struct State {
    val: AtomicUsize,
}

/// A plain copy of the state word.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// How a task ended, as stored in the state word.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum FinalKind {
    RanToCompletion,
    Faulted,
    Canceled,
}

impl FinalKind {
    fn bits(self) -> usize {
        match self {
            FinalKind::RanToCompletion => 0,
            FinalKind::Faulted => FAULTED,
            FinalKind::Canceled => CANCELED,
        }
    }
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// The caller owns the stage and polls.
    Success,
    /// The caller owns the stage and must cancel the task (shutdown asked).
    Cancelled,
    /// Nothing to run (already complete or running); the Notified ref was dropped.
    Failed,
    /// As `Failed`, and that was the last reference: deallocate.
    Dealloc,
}

/// What the claimer of a queued task does when it gives the task back.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReleaseClaim {
    /// The caller holds a Notified ref and must schedule it on the home.
    Reschedule,
    /// Shutdown asked to cancel: the caller owns the stage and must cancel.
    Cancel,
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// Suspended; a later wake schedules it. The runner's ref was dropped.
    Ok,
    /// Suspended with nobody left to wake it: the runner's ref was the last.
    OkDealloc,
    /// A wake arrived during the poll: the caller holds a new Notified ref
    /// and must schedule it.
    OkNotified,
    /// Shutdown asked to cancel during the poll: the caller still owns the
    /// stage and must cancel the task.
    Cancelled,
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotified {
    /// Nothing to do (running, already notified or complete).
    DoNothing,
    /// The caller now holds a Notified ref and must schedule it.
    Submit,
    /// Nothing to do, and the consumed ref was the last: deallocate.
    Dealloc,
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToStarted {
    /// The caller holds a Notified ref and must schedule it.
    Submit,
    /// The task was already started (or completed).
    AlreadyStarted,
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionHandlesGone {
    /// The task faulted and nobody observed it: the caller reports the
    /// fault, then drops the handles' ref (it still holds it).
    Report,
    /// The handles' ref was dropped.
    Released,
    /// The handles' ref was dropped and was the last: deallocate.
    Dealloc,
}

/// What the completer owes once the outcome is published.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TransitionToComplete {
    /// A continuation was registered before completion: the completer
    /// drains the list.
    pub(crate) drain_continuations: bool,
    /// The task faulted, every handle is already gone and the fault was not
    /// handed to a parent: nobody can observe it, so the completer reports
    /// it.
    pub(crate) report_unobserved: bool,
}

/// Where a faulted task's errors go besides its own handles.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum FaultRecipient {
    /// Only the task's handles can observe the fault.
    Handles,
    /// The attached parent takes the fault into its own outcome, which
    /// counts as observing it: the child is never reported, the parent may
    /// be. C#: `Task.AddExceptionsFromChildren` marks the child's exception
    /// holder handled.
    Parent,
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToShutdown {
    /// The caller claimed the stage (it was idle or not started) and must cancel.
    Claimed,
    /// Running elsewhere: that runner cancels after its poll.
    Requested,
    /// Already complete.
    Complete,
}

impl State {
    /// A new state with `refs` references. `created` makes a cold task (or an
    /// unactivated continuation); `notified` a task about to be scheduled.
    pub(crate) fn new(refs: usize, created: bool, notified: bool) -> State {
        let mut v = refs * REF_ONE;
        if created {
            v |= CREATED;
        }
        if notified {
            v |= NOTIFIED;
        }
        State {
            val: AtomicUsize::new(v),
        }
    }

    /// A promise that is already complete (Task::from_result and friends).
    pub(crate) fn new_complete(refs: usize, kind: FinalKind) -> State {
        State {
            val: AtomicUsize::new((refs * REF_ONE) | COMPLETE | kind.bits()),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Acquire))
    }

    fn fetch_update<R>(&self, mut f: impl FnMut(Snapshot) -> (Option<Snapshot>, R)) -> R {
        let mut curr = self.load();
        loop {
            let (next, res) = f(curr);
            let Some(next) = next else { return res };
            match self
                .val
                .compare_exchange_weak(curr.0, next.0, AcqRel, Acquire)
            {
                Ok(_) => return res,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// A scheduler is about to poll (the caller gives up one Notified ref).
    /// The ref may be stale: a waiter ran the task inline meanwhile
    /// (`try_claim_queued`), so the task is not NOTIFIED (or is running or
    /// complete) and the ref is only dropped.
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update(|mut s| {
            if s.is_running() || s.is_complete() || !s.is_notified() {
                // Drop the Notified ref.
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                return (Some(s), action);
            }
            // The Notified ref is now the runner's ref.
            s.0 = (s.0 | RUNNING | POLLED) & !NOTIFIED;
            let action = if s.0 & CANCEL_REQUESTED != 0 {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
            (Some(s), action)
        })
    }

    /// A thread that blocks waiting for a queued task runs it itself
    /// (.NET's `TryExecuteTaskInline`): claims the stage of a task that is
    /// NOTIFIED and neither running, complete nor cold, taking a new
    /// runner's ref. The queued Notified ref stays counted and stays in its
    /// queue; when it is popped, `transition_to_running` finds the task not
    /// NOTIFIED (or running, or complete) and only drops it. True if the
    /// caller now owns the stage.
    pub(crate) fn try_claim_queued(&self) -> bool {
        self.fetch_update(|mut s| {
            if !s.is_notified() || s.is_running() || s.is_complete() || s.is_created() {
                return (None, false);
            }
            s.0 = (s.0 | RUNNING | POLLED) & !NOTIFIED;
            s.ref_inc();
            (Some(s), true)
        })
    }

    /// The claimer of a queued task may not run it here after all (its
    /// home is another scheduler): the task goes back to NOTIFIED, and the
    /// claimer's ref becomes a new Notified ref the caller must schedule
    /// (the old queue entry may already have been popped and dropped). Or,
    /// if shutdown asked to cancel meanwhile, the caller keeps the stage and
    /// cancels.
    pub(crate) fn release_claim(&self) -> ReleaseClaim {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_running());
            if s.0 & CANCEL_REQUESTED != 0 {
                return (None, ReleaseClaim::Cancel);
            }
            s.0 = (s.0 & !RUNNING) | NOTIFIED;
            (Some(s), ReleaseClaim::Reschedule)
        })
    }

    /// The poll returned Pending. The runner's ref becomes the new Notified
    /// ref if a wake arrived during the poll; otherwise it is dropped.
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_running());
            if s.0 & CANCEL_REQUESTED != 0 {
                return (None, TransitionToIdle::Cancelled);
            }
            s.0 &= !RUNNING;
            if s.is_notified() {
                (Some(s), TransitionToIdle::OkNotified)
            } else {
                s.ref_dec();
                let a = if s.ref_count() == 0 {
                    TransitionToIdle::OkDealloc
                } else {
                    TransitionToIdle::Ok
                };
                (Some(s), a)
            }
        })
    }

    /// A waker is consumed by `wake()`; its ref moves into the Notified ref.
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotified {
        self.fetch_update(|mut s| {
            if s.is_running() {
                s.0 |= NOTIFIED;
                s.ref_dec();
                debug_assert!(s.ref_count() > 0, "a running task holds the runner's ref");
                (Some(s), TransitionToNotified::DoNothing)
            } else if s.is_notified() || s.is_complete() || s.is_created() {
                s.ref_dec();
                let a = if s.ref_count() == 0 {
                    TransitionToNotified::Dealloc
                } else {
                    TransitionToNotified::DoNothing
                };
                (Some(s), a)
            } else {
                s.0 |= NOTIFIED;
                (Some(s), TransitionToNotified::Submit)
            }
        })
    }

    /// `wake_by_ref()`: a new ref is created for the Notified if scheduling.
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotified {
        self.fetch_update(|mut s| {
            if s.is_complete() || s.is_notified() || s.is_created() {
                (None, TransitionToNotified::DoNothing)
            } else if s.is_running() {
                s.0 |= NOTIFIED;
                (Some(s), TransitionToNotified::DoNothing)
            } else {
                s.0 |= NOTIFIED;
                s.ref_inc();
                (Some(s), TransitionToNotified::Submit)
            }
        })
    }

    /// `Task::start` or a continuation's activation: Created → scheduled.
    /// On `Submit` the caller holds a new Notified ref.
    pub(crate) fn transition_to_started(&self) -> TransitionToStarted {
        self.fetch_update(|mut s| {
            if !s.is_created() || s.is_complete() {
                return (None, TransitionToStarted::AlreadyStarted);
            }
            s.0 = (s.0 & !CREATED) | NOTIFIED;
            s.ref_inc();
            (Some(s), TransitionToStarted::Submit)
        })
    }

    /// A promise completer claims the stage. False if the promise is already
    /// complete or being completed by another thread.
    pub(crate) fn try_claim_promise(&self) -> bool {
        self.fetch_update(|mut s| {
            if s.is_running() || s.is_complete() {
                return (None, false);
            }
            s.0 |= RUNNING;
            (Some(s), true)
        })
    }

    /// Publishes the outcome (already written to the stage by the owner).
    /// A fault handed to the parent is marked OBSERVED in the same step, so
    /// a last handle dropping at any moment after it never reports the
    /// child (its `transition_handles_gone` sees OBSERVED).
    pub(crate) fn transition_to_complete(
        &self,
        kind: FinalKind,
        faults_to: FaultRecipient,
    ) -> TransitionToComplete {
        let observed = if kind == FinalKind::Faulted && faults_to == FaultRecipient::Parent {
            OBSERVED
        } else {
            0
        };
        let prev = self.fetch_update(|s| {
            debug_assert!(s.is_running() && !s.is_complete());
            let next = (s.0 & !(RUNNING | WAITING_CHILDREN | CANCEL_REQUESTED | CREATED))
                | COMPLETE
                | kind.bits()
                | observed;
            (Some(Snapshot(next)), s)
        });
        debug_assert!(prev.is_running());
        // Observers read the failure only after COMPLETE, so before this step
        // nobody could have observed it; only the parent can, now.
        debug_assert!(!prev.is_observed());
        TransitionToComplete {
            drain_continuations: prev.has_continuations(),
            report_unobserved: kind == FinalKind::Faulted && prev.has_no_handles() && observed == 0,
        }
    }

    /// The body ended while attached children run: status shows
    /// WaitingForChildrenToComplete; the stage stays owned by the completion
    /// protocol (the last child completes the task).
    pub(crate) fn set_waiting_children(&self) {
        self.val.fetch_or(WAITING_CHILDREN, AcqRel);
    }

    /// Runtime shutdown cancels a pending task.
    pub(crate) fn transition_to_shutdown(&self) -> TransitionToShutdown {
        self.fetch_update(|mut s| {
            if s.is_complete() || s.0 & WAITING_CHILDREN != 0 {
                (None, TransitionToShutdown::Complete)
            } else if s.is_running() {
                s.0 |= CANCEL_REQUESTED;
                (Some(s), TransitionToShutdown::Requested)
            } else {
                // Idle, queued or not started: claim. A queued Notified ref stays
                // counted; its later `transition_to_running` finds COMPLETE.
                s.0 = (s.0 | RUNNING) & !CREATED;
                s.ref_inc();
                (Some(s), TransitionToShutdown::Claimed)
            }
        })
    }

    /// The token a task was started with fired: claims the stage (as
    /// shutdown does) only if the task has never been polled and is not
    /// complete, so work that already started is never cut off. On true the
    /// caller owns the stage and a new ref, and must cancel the task; a
    /// queued Notified ref later finds it COMPLETE and does nothing.
    pub(crate) fn transition_to_cancel_unstarted(&self) -> bool {
        self.fetch_update(|mut s| {
            if s.is_complete() || s.is_running() || s.0 & POLLED != 0 {
                return (None, false);
            }
            s.0 = (s.0 | RUNNING) & !CREATED;
            s.ref_inc();
            (Some(s), true)
        })
    }

    /// Someone pushed a continuation. Returns the snapshot before; if it was
    /// already COMPLETE the caller must drain the list itself.
    pub(crate) fn set_has_continuations(&self) -> Snapshot {
        Snapshot(self.val.fetch_or(HAS_CONTINUATIONS, AcqRel))
    }

    /// Marks the failure observed.
    pub(crate) fn set_observed(&self) {
        // Relaxed read first: observing an already-observed task (the common
        // case for repeated awaits) stays a plain load.
        if self.val.load(Relaxed) & OBSERVED == 0 {
            self.val.fetch_or(OBSERVED, AcqRel);
        }
    }

    /// The last handle dropped: sets NO_HANDLES and, unless a fault must
    /// be reported first, drops the handles' shared ref in the same atomic
    /// step (one operation on the state word instead of two; the drop of a
    /// task handle is on every spawn's path).
    pub(crate) fn transition_handles_gone(&self) -> TransitionHandlesGone {
        self.fetch_update(|mut s| {
            debug_assert!(!s.has_no_handles());
            s.0 |= NO_HANDLES;
            if s.is_complete() && s.final_kind() == FinalKind::Faulted && !s.is_observed() {
                // The report needs the cell: the caller drops the ref after.
                return (Some(s), TransitionHandlesGone::Report);
            }
            s.ref_dec();
            let a = if s.ref_count() == 0 {
                TransitionHandlesGone::Dealloc
            } else {
                TransitionHandlesGone::Released
            };
            (Some(s), a)
        })
    }

    pub(crate) fn ref_inc(&self) {
        let prev = self.val.fetch_add(REF_ONE, Relaxed);
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Drops one ref; true if it was the last.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 1);
        prev.ref_count() == 1
    }

    /// Drops two refs at once; true if they were the last.
    pub(crate) fn ref_dec_twice(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(2 * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 2);
        prev.ref_count() == 2
    }
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_created(self) -> bool {
        self.0 & CREATED != 0
    }
    pub(crate) fn is_waiting_children(self) -> bool {
        self.0 & WAITING_CHILDREN != 0
    }
    pub(crate) fn has_continuations(self) -> bool {
        self.0 & HAS_CONTINUATIONS != 0
    }
    pub(crate) fn is_observed(self) -> bool {
        self.0 & OBSERVED != 0
    }
    pub(crate) fn has_no_handles(self) -> bool {
        self.0 & NO_HANDLES != 0
    }
    /// Only meaningful when complete.
    pub(crate) fn final_kind(self) -> FinalKind {
        if self.0 & FAULTED != 0 {
            FinalKind::Faulted
        } else if self.0 & CANCELED != 0 {
            FinalKind::Canceled
        } else {
            FinalKind::RanToCompletion
        }
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) >> REF_SHIFT
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("notified", &self.is_notified())
            .field("complete", &self.is_complete())
            .field("created", &self.is_created())
            .field("waiting_children", &self.is_waiting_children())
            .field("has_continuations", &self.has_continuations())
            .field("observed", &self.is_observed())
            .field("no_handles", &self.has_no_handles())
            .field("refs", &self.ref_count())
            .finish()
    }
}
