//! The task header: the type-erased part of every task cell.
//!
//! Field access rules (SAFETY comments cite them by number):
//!
//! 1. `state` is touched only through the transitions in `state.rs`.
//! 2. `home` and `context` are written only by the thread that owns the stage
//!    (RUNNING set by it) or before the task is published; they are read by
//!    that owner, or by the thread whose transition made the task NOTIFIED
//!    (which happens-after the owner's `transition_to_idle`).
//! 3. `links` is read and written only under the lock of the registry shard
//!    that holds the task.
//! 4. `parent`, `location`, `kind`, `options`, `pinned`, `vtable`, `name`,
//!    `created` and `creator` never change after the task is published.
//! 5. The stage (in the cell after the header) is owned by the thread holding
//!    RUNNING until COMPLETE is set; after COMPLETE it is immutable until
//!    deallocation, except that a unique handle may move the output out
//!    (`Task::into_output`), which requires that no other handle exists.

use super::children::Children;
use super::continuation::ContinuationList;
use super::options::TaskCreationOptions;
use super::raw::TaskRef;
use super::schedule::Home;
use super::state::State;
use crate::flow::ExecutionContext;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
use std::panic::Location;
use std::ptr::NonNull;

/// What made the task; decides how its status reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum TaskKind {
    /// Work run by a scheduler: `Task::run`, `Task::run_async`, `Task::new`.
    Work,
    /// A promise completed from outside: `TaskCompletionSource`, `from_result`.
    Promise,
    /// A `continue_with` continuation or a combinator's task.
    Continuation,
    /// An async method's task (`Task::start_inline`): polled like work,
    /// but promise-style to look at, as .NET's async method builder task.
    AsyncMethod,
}

/// Links of the registry's intrusive list (rule 3).
#[derive(Debug)]
pub(crate) struct Links {
    pub(crate) prev: Option<NonNull<Header>>,
    pub(crate) next: Option<NonNull<Header>>,
    /// True while the task is in a registry list.
    pub(crate) linked: bool,
}

impl Links {
    pub(crate) const fn unlinked() -> Links {
        Links {
            prev: None,
            next: None,
            linked: false,
        }
    }
}

/// Type-erased operations on a cell, one static table per cell type.
pub(crate) struct Vtable {
    /// Runs the task; consumes one Notified ref.
    pub(crate) poll: unsafe fn(NonNull<Header>),
    /// Polls a task whose stage the caller claimed (`try_claim_queued`);
    /// consumes the claimer's ref.
    pub(crate) poll_claimed: unsafe fn(NonNull<Header>),
    /// The caller owns the stage (RUNNING) and one ref: drop the future and
    /// complete the task as Canceled with `error`.
    /// Ends the body with `error` unrun (a cancellation, or a scheduler that
    /// failed to take the task). The caller owns the stage and a ref.
    pub(crate) end_with: unsafe fn(NonNull<Header>, crate::task::TaskError),
    /// Frees the cell; called when the last ref drops.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Pointer to the `Outcome<T>` in the stage; valid only after COMPLETE
    /// (or for the last child completing a parent, rule 5).
    pub(crate) outcome: unsafe fn(NonNull<Header>) -> *const (),
    /// The stored failure of a completed (or children-waiting) task, if any.
    pub(crate) failure: unsafe fn(NonNull<Header>) -> Option<crate::task::AggregateError>,
    /// The last attached child finished: merge `faults` into the stored
    /// outcome. Caller owns the stage (the parent is RUNNING, waiting for
    /// children).
    pub(crate) merge_child_faults: unsafe fn(NonNull<Header>, Vec<crate::task::TaskError>),
    /// Moves the `Outcome<T>` into `*out` (an `Option<Outcome<T>>`), leaving
    /// the stage consumed. The caller holds the only handle (rule 5).
    pub(crate) take_outcome: unsafe fn(NonNull<Header>, *mut ()),
}

/// The header every task cell starts with (`#[repr(C)]`, first field).
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) continuations: ContinuationList,
    /// The handle word: live `Task<T>` handles, whether a
    /// `TaskCompletionSource` lives, whether the output was moved out
    /// (`handles.rs`).
    pub(crate) handles: AtomicUsize,
    /// Promises: live `TaskCompletionSource` clones.
    pub(crate) sources: AtomicUsize,
    /// Assigned lazily on first use, as .NET's `Task.Id`.
    pub(crate) id: AtomicU64,
    /// What the task's last poll parked on (`waiting.rs`), 0 for nothing:
    /// reset as each poll starts, read by diagnostics.
    pub(crate) waiting: AtomicU64,
    /// Polls so far, saturating (written only by the poll's owner, rule 2's
    /// thread).
    pub(crate) polls: AtomicU32,
    /// When the last poll parked (`clock.rs`), 0 if none has.
    pub(crate) last_park: AtomicU32,
    /// When the task was created (`clock.rs`; rule 4).
    pub(crate) created: u32,
    /// Listed in the registry of awaited tasks that no scheduler lists
    /// (`diag`'s view of promises): set once, by the first awaiter that
    /// parks on it.
    pub(crate) listed_awaited: AtomicBool,
    /// A promise made inside a task's poll: that task's header address, 0
    /// otherwise (compared, never followed: the dump reads it as the
    /// likely completer; rule 4).
    pub(crate) creator: usize,
    /// The name given at creation (`Task::builder().name(..)`; rule 4).
    /// Boxed twice on purpose: one word in every header instead of three
    /// (`String`) or two (`Box<str>`), for a field few tasks set.
    #[allow(clippy::box_collection)]
    pub(crate) name: Option<Box<String>>,
    /// Where the task (or its completion source) was created.
    pub(crate) location: &'static Location<'static>,
    pub(crate) kind: TaskKind,
    pub(crate) options: TaskCreationOptions,
    /// The scheduler that polls the task (rule 2). `None` for promises.
    pub(crate) home: UnsafeCell<Option<Home>>,
    /// The ExecutionContext the task runs under (rule 2).
    pub(crate) context: UnsafeCell<ExecutionContext>,
    /// Registry list links (rule 3).
    pub(crate) links: UnsafeCell<Links>,
    /// The parent this task is attached to (rule 4).
    pub(crate) parent: Option<TaskRef>,
    /// Attached children bookkeeping, allocated when the first child attaches.
    pub(crate) children: AtomicPtr<Children>,
    /// The future is not `Send`: the task may never leave its home (rule 4).
    pub(crate) pinned: bool,
    /// What tokio-console sees of the task (`console.rs`).
    #[cfg(feature = "tokio-console")]
    pub(crate) console: super::console::ConsoleTask,
}

static NEXT_ID: AtomicU64Static = AtomicU64Static::new(1);

/// The id counter is process-wide and not part of any protocol under test.
struct AtomicU64Static(std::sync::atomic::AtomicU64);
impl AtomicU64Static {
    const fn new(v: u64) -> Self {
        AtomicU64Static(std::sync::atomic::AtomicU64::new(v))
    }
    fn next(&self) -> u64 {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

impl Header {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        state: State,
        vtable: &'static Vtable,
        kind: TaskKind,
        options: TaskCreationOptions,
        location: &'static Location<'static>,
        home: Option<Home>,
        context: ExecutionContext,
        parent: Option<TaskRef>,
    ) -> Header {
        Header {
            state,
            vtable,
            continuations: ContinuationList::new(),
            handles: AtomicUsize::new(1),
            sources: AtomicUsize::new(0),
            id: AtomicU64::new(0),
            waiting: AtomicU64::new(0),
            polls: AtomicU32::new(0),
            last_park: AtomicU32::new(0),
            created: super::clock::stamp(),
            listed_awaited: AtomicBool::new(false),
            creator: 0,
            name: None,
            location,
            kind,
            options,
            home: UnsafeCell::new(home),
            context: UnsafeCell::new(context),
            links: UnsafeCell::new(Links::unlinked()),
            parent,
            children: AtomicPtr::new(std::ptr::null_mut()),
            pinned: false,
            #[cfg(feature = "tokio-console")]
            console: super::console::ConsoleTask::none(),
        }
    }

    /// The task id, assigned on first use. C#: `Task.Id`.
    pub(crate) fn id(&self) -> u64 {
        let id = self.id.load(Ordering::Relaxed);
        if id != 0 {
            return id;
        }
        let fresh = NEXT_ID.next();
        match self
            .id
            .compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => fresh,
            Err(existing) => existing,
        }
    }
}

impl Drop for Header {
    fn drop(&mut self) {
        let p = self.children.load(Ordering::Relaxed);
        if !p.is_null() {
            // SAFETY: the pointer came from `Box::into_raw` in
            // `Children::get_or_create` and is freed only here, once.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}
