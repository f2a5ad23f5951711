//! Blocking waits on a dispatcher thread that cannot deadlock silently.
//!
//! C#: none in .NET, which hangs; vs-threading's `JoinableTaskFactory.Run`
//! is the nearest.
//!
#![doc = include_str!("README.md")]

mod chain;
mod deadlock;
mod graph;
mod settings;

pub use deadlock::{DeadlockError, DeadlockStep, HeldBy};
pub use settings::{JoinableWaitSettings, joinable_wait_settings, set_joinable_wait_settings};

use crate::context::dispatcher::{Message, Shared};
use crate::task::continuation::{Continuation, Registered};
use crate::task::raw::RawTask;
use crate::task::wait::WaitOutcome;
use chain::{Below, ChainSearch};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Instant;

/// Wakes the dispatcher's thread (blocked in a wait) when the awaited task
/// completes.
struct CompletionSignal(Arc<Shared>);

impl Wake for CompletionSignal {
    fn wake(self: Arc<Self>) {
        self.0.queue.signal();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.queue.signal();
    }
}

/// Blocks the owner thread of `dispatcher` until `task` completes, running
/// the queued messages of the task's chain meanwhile; reports a deadlock
/// where no progress is possible (see the module docs).
pub(crate) fn wait_on_dispatcher(
    dispatcher: &Arc<Shared>,
    task: RawTask,
    deadline: Option<Instant>,
) -> WaitOutcome {
    let header = task.header();
    let signal = Waker::from(Arc::new(CompletionSignal(dispatcher.clone())));
    let key = match crate::task::handle_register(task, Continuation::Waker(signal)) {
        Registered::Stored(k) => k,
        Registered::MustDrain => {
            crate::task::run_continuations::run_continuations(task);
            return WaitOutcome::Completed;
        }
        Registered::Completed(_) => return WaitOutcome::Completed,
    };
    let outcome = wait_loop(dispatcher, task, deadline);
    if !matches!(outcome, WaitOutcome::Completed) {
        drop(header.continuations.remove(key));
    }
    outcome
}

fn wait_loop(dispatcher: &Arc<Shared>, task: RawTask, deadline: Option<Instant>) -> WaitOutcome {
    let settings = joinable_wait_settings();
    // What the code blocked here posted itself belongs to this wait too:
    // the task polled below it, or the posted closure it runs in.
    let below = Below {
        task: crate::task::current::current(),
        post: dispatcher.running_post(),
    };
    let frame = graph::enter(dispatcher, task, below, deadline.is_none());
    let mut last_progress = Instant::now();
    let mut warned = false;
    loop {
        frame.busy();
        // Read before looking, so a change after the look ends the sleep.
        let epoch = dispatcher.queue.epoch();
        if task.header().state.load().is_complete() {
            return WaitOutcome::Completed;
        }
        if let Some(message) = take_chain_message(dispatcher, task, settings.max_chain_search) {
            dispatcher.run_message(message);
            last_progress = Instant::now();
            continue;
        }
        if dispatcher.shutdown_requested() && !dispatcher.is_drained() {
            // Shutting down under a wait: cancel what is homed here (maybe
            // the awaited task), then look again.
            dispatcher.drain();
            continue;
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return WaitOutcome::TimedOut;
        }
        if let Some(cycle) = frame.idle_and_find_cycle(settings.max_chain_search) {
            return WaitOutcome::Failed(crate::task::TaskError::new(cycle));
        }
        if let Some(after) = settings.stall_warning_after {
            if now.duration_since(last_progress) >= after {
                if let Some(error) = waits_on_its_own_post(dispatcher, task, &below) {
                    return WaitOutcome::Failed(crate::task::TaskError::new(error));
                }
                if !warned {
                    warned = true;
                    warn_stalled(dispatcher, task, now.duration_since(last_progress));
                }
            }
        }
        let mut sleep = settings.recheck_interval;
        if let Some(d) = deadline {
            sleep = sleep.min(d.saturating_duration_since(now));
        }
        dispatcher.queue.wait(epoch, Some(sleep));
    }
}

/// Takes the oldest queued message of `task`'s chain, if any.
fn take_chain_message(dispatcher: &Shared, task: RawTask, budget: usize) -> Option<Message> {
    let keys = dispatcher.queue.chain_keys();
    let mut search = ChainSearch::new(task, budget);
    let seq = keys.iter().find_map(|(seq, key, _)| {
        key.as_ref()
            .is_some_and(|k| search.reaches(k.raw()))
            .then_some(*seq)
    });
    // Only this thread removes messages, so `seq` still names the message.
    let message = seq.and_then(|seq| dispatcher.queue.take(seq));
    drop(search);
    drop(keys);
    message
}

/// .NET's classic deadlock in its other common form: the code blocked here
/// posted a closure to this very thread, then blocked on a promise (a
/// `TaskCompletionSource`) that nothing else completes: most likely the
/// closure would, and it waits behind this wait. After the stall bound
/// without progress, the wait ends with a `DeadlockError` naming the posted
/// closure instead of hanging. (Work posted by the blocked code is not run
/// during the wait: it may be unrelated UI work, which must not run in the
/// middle of a handler.)
fn waits_on_its_own_post(
    dispatcher: &Shared,
    task: RawTask,
    below: &Below,
) -> Option<DeadlockError> {
    let header = task.header();
    if header.kind != crate::task::header::TaskKind::Promise || header.state.load().is_complete() {
        return None;
    }
    let posted_at = dispatcher
        .queue
        .posted_where(|key, during| below.posted(key, during))?;
    Some(DeadlockError::waits_on_its_own_post(
        task,
        dispatcher.name.clone(),
        posted_at,
    ))
}

/// A wait that makes no progress and cannot be proven a deadlock: say so
/// once, so it never hangs silently.
fn warn_stalled(dispatcher: &Shared, task: RawTask, waited: std::time::Duration) {
    let queued = dispatcher.queue.len();
    let header = task.header();
    if !crate::diag::emit::admit(
        crate::diag::emit::ReportKind::StalledWait,
        Some(header.location),
    ) {
        return;
    }
    tracing::warn!(
        dispatcher = %dispatcher.name,
        task.id = header.id(),
        task.location = %header.location,
        waited_ms = waited.as_millis() as u64,
        unrelated_queued = queued,
        "a blocking wait on a dispatcher thread has made no progress"
    );
    crate::diag::emit::stderr_line(format_args!(
        "thread '{}' (dispatcher '{}') has waited {} ms for task {} created at {} without progress; {} queued message(s) do not belong to that task and will not run until the wait ends. If the task needs one of them this is a deadlock: await the task instead of blocking on it.",
        deadlock::current_thread_name(),
        dispatcher.name,
        waited.as_millis(),
        header.id(),
        header.location,
        queued
    ));
}
