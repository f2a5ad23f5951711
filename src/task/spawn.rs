//! Creating task cells: home, captured context, parent, registry, first
//! schedule.

use super::cell::{Cell, Outcome, Stage};
use super::children::Children;
use super::header::{Header, TaskKind};
use super::raw::{Notified, RawTask, TaskRef};
use super::schedule::Home;
use super::state::State;
use super::{Task, TaskCreationOptions};
use crate::flow::ExecutionContext;
use std::future::Future;
use std::panic::Location;

/// How a new task starts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// Scheduled at once (`Task::run`).
    Hot,
    /// Created, started later by `start()` (`Task::new`).
    Cold,
    /// Idle until something wakes it (a continuation waiting for its
    /// antecedent).
    Waiting,
    /// Polled once right here, on the creating thread (combinators register
    /// on their inputs without a scheduling hop).
    Inline,
}

/// Everything a new task needs besides its future.
pub(crate) struct Spawn {
    pub(crate) home: Home,
    pub(crate) options: TaskCreationOptions,
    pub(crate) location: &'static Location<'static>,
    pub(crate) kind: TaskKind,
    pub(crate) start: Start,
    /// The name given by `Task::builder().name(..)`.
    pub(crate) name: Option<Box<str>>,
}

impl Spawn {
    /// Work for the pool of `home` (looking up no current runtime: from a
    /// thread outside any runtime, that lookup would start the default one).
    pub(crate) fn work_on(
        home: Home,
        options: TaskCreationOptions,
        location: &'static Location<'static>,
    ) -> Spawn {
        Spawn {
            home,
            options,
            location,
            kind: TaskKind::Work,
            start: Start::Hot,
            name: None,
        }
    }

    /// The same, with the task named.
    pub(crate) fn named(mut self, name: Option<Box<str>>) -> Spawn {
        self.name = name;
        self
    }

    /// A `Send` future becomes a task.
    pub(crate) fn spawn<F, T>(self, future: F) -> Task<T>
    where
        F: Future<Output = Outcome<T>> + Send + 'static,
        T: Send + 'static,
    {
        // SAFETY: the future is Send, so any home may poll it on any thread.
        unsafe { self.spawn_cell(future, false) }
    }

    /// A future that is not `Send` becomes a task pinned to its home. Only
    /// for a home that polls on one thread (a dispatcher), from that thread;
    /// otherwise the spawn is handed back.
    pub(crate) fn spawn_local<F, T>(self, future: F) -> Result<Task<T>, Spawn>
    where
        F: Future<Output = Outcome<T>> + 'static,
        T: 'static,
    {
        if !(self.home.0.polls_on_one_thread() && self.home.0.is_current()) {
            return Err(self);
        }
        // SAFETY: the home polls and drops its tasks only on its one thread
        // (`polls_on_one_thread`), which is this thread (`is_current`), and
        // the task is pinned: `set_home_of_current` never moves it.
        Ok(unsafe { self.spawn_cell(future, true) })
    }

    /// Makes the cell for `future`.
    ///
    /// # Safety
    /// If `F` is not `Send`, the home must poll (and drop) it only on the
    /// thread that called this, and `pinned` must be true so the task's home
    /// never changes.
    unsafe fn spawn_cell<F, T>(self, future: F, pinned: bool) -> Task<T>
    where
        F: Future<Output = Outcome<T>> + 'static,
        T: 'static,
    {
        let Spawn {
            home,
            options,
            location,
            kind,
            start,
            name,
        } = self;
        let parent = attach_to_parent(options);
        let hot = matches!(start, Start::Hot | Start::Inline);
        // Refs: the handles (one for all), the registry, and the first Notified.
        let refs = 2 + usize::from(hot);
        let state = State::new(refs, start == Start::Cold, hot);
        // The home moves into the header (no second clone of its `Arc`: that
        // count is shared by every thread spawning onto the pool). The
        // header keeps the scheduler alive while the cell lives, and our
        // handle keeps the cell alive below, so this pointer stays valid.
        let scheduler: *const dyn super::schedule::Schedule = std::sync::Arc::as_ptr(&home.0);
        let mut header = Header::new(
            state,
            Cell::<F, T>::vtable(),
            kind,
            options,
            location,
            Some(home),
            ExecutionContext::capture(),
            parent,
        );
        header.pinned = pinned;
        #[cfg(feature = "tokio-console")]
        {
            header.console =
                super::console::ConsoleTask::spawned(kind, header.id(), name.as_deref(), location);
        }
        header.name = name.map(|n| Box::new(String::from(n)));
        let raw = Cell::allocate(header, Stage::Running(future));
        let task = Task::from_new_raw(raw);
        // SAFETY: see `scheduler` above: the header's `Arc` owns it.
        let scheduler = unsafe { &*scheduler };
        if !scheduler.bind(raw) {
            // The scheduler is shut down: no registry ref; cancel at once.
            raw.ref_dec();
            raw.shutdown(scheduler.shutdown_reason());
            if hot {
                drop(Notified(raw));
            }
            return task;
        }
        crate::diag::counters::task_spawned();
        match start {
            Start::Hot => schedule_new(raw, options),
            Start::Inline => Notified(raw).run(),
            Start::Cold | Start::Waiting => {}
        }
        task
    }
}

/// Schedules a task's first Notified ref according to its options. The
/// caller holds a task handle, which keeps the cell alive meanwhile.
pub(crate) fn schedule_new(raw: RawTask, options: TaskCreationOptions) {
    if options.contains(TaskCreationOptions::LONG_RUNNING) {
        // A hint to the scheduler (C#: the default scheduler gives the
        // task a thread of its own).
        match super::schedule::home_of(raw) {
            Some(home) => home.0.queue_long_running(Notified(raw)),
            None => drop(Notified(raw)),
        }
    } else if options.contains(TaskCreationOptions::PREFER_FAIRNESS) {
        super::schedule::with_remote_wakes(|| super::schedule::schedule_held(Notified(raw)));
    } else {
        super::schedule::schedule_held(Notified(raw));
    }
}

/// AttachedToParent: the task running on this thread becomes the parent,
/// unless it denies attachment (as everything `Task::run` makes does).
fn attach_to_parent(options: TaskCreationOptions) -> Option<TaskRef> {
    if !options.contains(TaskCreationOptions::ATTACHED_TO_PARENT) {
        return None;
    }
    let parent = super::current::current()?;
    let h = parent.header();
    if h.options.contains(TaskCreationOptions::DENY_CHILD_ATTACH) || h.kind == TaskKind::Promise {
        return None;
    }
    // We run inside the parent's poll, so we are its runner: the children
    // state may be created here without a race (see children.rs).
    Children::get_or_create(h).attach();
    Some(TaskRef::new_ref(parent))
}
