//! What a completed task owes its continuations: which run on the
//! completing thread, which are queued, and in which order. C#:
//! `Task.RunContinuations`.
//!
//! One continuation runs where it can: an awaiter on the completing thread
//! if its home allows (see below), an `EXECUTE_SYNCHRONOUSLY` continuation
//! inline, a plain `continue_with` continuation queued. Several go in two
//! passes over the list, in registration order:
//!
//! 1. **Queued**: wakers that are not tasklane tasks (a thread blocked in
//!    `wait()`, another runtime's task) are woken; `continue_with`
//!    continuations without `EXECUTE_SYNCHRONOUSLY` are queued; every
//!    awaiter but the first is woken onto its home's queue.
//! 2. **Inline**, on the completing thread: `EXECUTE_SYNCHRONOUSLY`
//!    continuations, completion actions (`when_all`, `when_any`), and the
//!    first awaiter, if its home allows it to run here.
//!
//! An awaiter runs on the completing thread when its home is a pool (any
//! thread: .NET runs a continuation of `TaskScheduler.Default` inline
//! wherever the antecedent completes, so the code after `await
//! tcs.Task` runs inside `SetResult`), or when the completing thread is its
//! home's own (a dispatcher completing work its own task awaits). Otherwise
//! it is queued on its home, as `await` posts to a captured context.
//!
//! With `RUN_CONTINUATIONS_ASYNCHRONOUSLY` nothing runs on the completing
//! thread: every continuation is queued (wakes go to the global queue).
//! Inline runs nest at most [`MAX_INLINE_DEPTH`] deep on one stack; deeper
//! ones are queued (.NET's `TryEnsureSufficientExecutionStack`).

use super::continuation::Continuation;
use super::raw::{Notified, RawTask, task_of_waker};
use super::state::TransitionToNotified;
use crate::diag::ErrorOrigin;
use crate::diag::guard::{self, Site};
use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::task::Waker;

/// Continuations nested deeper than this on one stack are queued instead of
/// run inline. Default 16: each level is a task poll, a few hundred bytes of
/// stack at least, and a chain of `set_result`s that each resume the next
/// awaiter would otherwise grow the stack without bound.
pub(crate) const MAX_INLINE_DEPTH: u32 = 16;

thread_local! {
    /// How deep inline continuations are nested on this thread.
    static INLINE_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Drains the continuation list of a completed task and runs or queues
/// each entry (see the module docs).
pub(crate) fn run_continuations(raw: RawTask) {
    let header = raw.header();
    let asynchronous = header
        .options
        .contains(super::TaskCreationOptions::RUN_CONTINUATIONS_ASYNCHRONOUSLY)
        || super::schedule::remote_wakes_forced();
    let (mut first, mut rest) = header.continuations.take_all();
    super::awaited::completed(raw);
    if asynchronous {
        super::schedule::with_remote_wakes(|| {
            for c in first.into_iter().chain(rest.into_iter().flatten()) {
                queue(raw, c);
            }
        });
        return;
    }
    if rest.iter().all(Option::is_none) {
        if let Some(c) = first {
            run_here(raw, c);
        }
        return;
    }
    let mut held_awaiter = false;
    let mut queue_pass = |slot: &mut Option<Continuation>| {
        let queued = match slot {
            Some(Continuation::Queue(_) | Continuation::Blocked(_)) => true,
            Some(Continuation::Waker(w)) if task_of_waker(w).is_none() => true,
            Some(Continuation::Waker(_)) => std::mem::replace(&mut held_awaiter, true),
            _ => false,
        };
        if queued {
            if let Some(c) = slot.take() {
                queue(raw, c);
            }
        }
    };
    queue_pass(&mut first);
    rest.iter_mut().for_each(&mut queue_pass);
    for c in first.into_iter().chain(rest.into_iter().flatten()) {
        run_here(raw, c);
    }
}

/// Runs one continuation of `antecedent` (completed) where it may run: on
/// this thread if it can, else queued. For a continuation registered on a
/// task that was already complete, too.
pub(crate) fn run_continuation(antecedent: RawTask, c: Continuation, asynchronous: bool) {
    if asynchronous || super::schedule::remote_wakes_forced() {
        super::schedule::with_remote_wakes(|| queue(antecedent, c));
    } else {
        run_here(antecedent, c);
    }
}

/// Queues `c` without running anything of it on this thread.
fn queue(antecedent: RawTask, c: Continuation) {
    match c {
        Continuation::Waker(w) => wake(antecedent, w),
        Continuation::Blocked(blocked) => wake(antecedent, blocked.0),
        Continuation::Inline(task) | Continuation::Queue(task) => {
            let raw = task.into_raw();
            if let Some(notified) = notify(raw) {
                super::schedule::schedule(notified, false);
            }
        }
        Continuation::Action(action, index) => {
            // Bookkeeping (`when_all`'s count): it runs here, but what it
            // completes has its continuations queued, not run on this thread.
            super::schedule::with_remote_wakes(|| {
                guard::contain(
                    || site(antecedent, ErrorOrigin::Waker),
                    || action.invoke(index as usize),
                )
            });
        }
    }
}

/// Runs `c` on this thread where it may, else queues it.
fn run_here(antecedent: RawTask, c: Continuation) {
    match c {
        Continuation::Waker(w) => match task_of_waker(&w) {
            Some(task) => {
                // The waker's ref becomes the Notified ref (or goes).
                let _taken = ManuallyDrop::new(w);
                if let Some(notified) = notify(task) {
                    if may_run_here(task) {
                        run_nested(notified);
                    } else if let Err(notified) = ask_home_to_run_here(notified) {
                        super::schedule::schedule(notified, false);
                    }
                }
            }
            None => wake(antecedent, w),
        },
        Continuation::Blocked(blocked) => wake(antecedent, blocked.0),
        Continuation::Inline(task) => {
            if let Some(notified) = notify(task.into_raw()) {
                run_nested(notified);
            }
        }
        Continuation::Queue(task) => {
            if let Some(notified) = notify(task.into_raw()) {
                super::schedule::schedule(notified, false);
            }
        }
        Continuation::Action(action, index) => {
            guard::contain(
                || site(antecedent, ErrorOrigin::Waker),
                || action.invoke(index as usize),
            );
        }
    }
}

/// Wakes a waker: user code, so a panic must not skip the other
/// continuations.
fn wake(antecedent: RawTask, w: Waker) {
    guard::contain(|| site(antecedent, ErrorOrigin::Waker), || w.wake());
}

/// Turns one ref of `task` into a Notified ref, if it must run.
fn notify(task: RawTask) -> Option<Notified> {
    match task.header().state.transition_to_notified_by_val() {
        TransitionToNotified::Submit => Some(Notified(task)),
        TransitionToNotified::DoNothing => None,
        TransitionToNotified::Dealloc => {
            task.dealloc();
            None
        }
    }
}

/// True if the awaiting `task` (which we hold notified) may be polled on
/// this thread: its home runs continuations anywhere (a pool), or this is
/// its home's own thread.
fn may_run_here(task: RawTask) -> bool {
    let header = task.header();
    header.home.with(|h| {
        // SAFETY: rule 2 of header.rs: we own the NOTIFIED transition, so
        // nobody writes `home` until this task runs.
        unsafe { (*h).as_ref() }.is_some_and(|home| {
            (home.0.runs_continuations_anywhere() && !header.pinned) || home.0.is_current()
        })
    })
}

/// A home that decides for itself whether a continuation may run inline (a
/// user scheduler: `TaskScheduler::try_execute_task_inline`) is asked;
/// gives the task back if it declines (or inline runs are already nested
/// [`MAX_INLINE_DEPTH`] deep here).
fn ask_home_to_run_here(task: Notified) -> Result<(), Notified> {
    let depth = INLINE_DEPTH.with(Cell::get);
    if depth >= MAX_INLINE_DEPTH {
        return Err(task);
    }
    // SAFETY: rule 2 of header.rs: we own the NOTIFIED transition, so
    // nobody writes `home` until this task runs; the clone is taken first.
    let Some(home) = task.0.header().home.with(|h| unsafe { (*h).clone() }) else {
        return Err(task);
    };
    INLINE_DEPTH.with(|d| d.set(depth + 1));
    let r = home.0.try_execute_inline(task);
    INLINE_DEPTH.with(|d| d.set(depth));
    r
}

/// Polls `task` on this thread, unless continuations are already nested
/// [`MAX_INLINE_DEPTH`] deep here: then it is queued.
fn run_nested(task: Notified) {
    let depth = INLINE_DEPTH.with(Cell::get);
    if depth >= MAX_INLINE_DEPTH {
        super::schedule::schedule(task, false);
        return;
    }
    INLINE_DEPTH.with(|d| d.set(depth + 1));
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            INLINE_DEPTH.with(|d| d.set(self.0));
        }
    }
    let _restore = Restore(depth);
    if super::schedule::on_worker_thread() {
        task.run();
    } else {
        // Another thread (one that completed a promise, a dispatcher): the
        // home sets up what its tasks expect of a thread (a pool's thread
        // hook) around the poll.
        let header = task.0.header();
        // SAFETY: rule 2 of header.rs: we own the NOTIFIED transition, so
        // nobody writes `home` until this task runs; the clone is taken
        // before it runs.
        let home = header.home.with(|h| unsafe { (*h).clone() });
        match home {
            Some(home) => {
                let mut task = Some(task);
                home.0.run_inline(&mut || {
                    if let Some(t) = task.take() {
                        t.run();
                    }
                });
            }
            None => task.run(),
        }
    }
}

/// The antecedent named in a contained panic's report.
fn site(antecedent: RawTask, origin: ErrorOrigin) -> Site {
    let header = antecedent.header();
    Site {
        origin,
        location: header.location,
        task_id: Some(header.id()),
    }
}
