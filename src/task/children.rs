//! Attached children: a parent completes only after them, and carries their
//! faults. C#: `TaskCreationOptions.AttachedToParent`.
//!
//! `pending` counts the parent's body (1) plus every attached child still
//! running. Children attach only while the parent is being polled (they are
//! created by code the parent runs), so the parent's runner allocates this
//! state without a race. Whoever brings `pending` to zero completes the
//! parent: the body's runner if no child is left, else the last child.

use super::TaskError;
use super::header::Header;
use super::raw::RawTask;
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};

pub(crate) struct Children {
    pending: AtomicUsize,
    faults: Mutex<Vec<TaskError>>,
}

impl Children {
    /// The parent's children state, allocated by the parent's runner on the
    /// first attach.
    pub(crate) fn get_or_create(parent: &Header) -> &Children {
        let p = parent.children.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: freed only when the header drops.
            return unsafe { &*p };
        }
        let fresh = Box::into_raw(Box::new(Children {
            pending: AtomicUsize::new(1),
            faults: Mutex::new(Vec::new()),
        }));
        parent.children.store(fresh, Ordering::Release);
        // SAFETY: just stored; freed only when the header drops.
        unsafe { &*fresh }
    }

    pub(crate) fn get(parent: &Header) -> Option<&Children> {
        let p = parent.children.load(Ordering::Acquire);
        // SAFETY: freed only when the header drops.
        (!p.is_null()).then(|| unsafe { &*p })
    }

    /// A child attached.
    pub(crate) fn attach(&self) {
        self.pending.fetch_add(1, Ordering::Relaxed);
    }

    /// The body or a child finished. True if it was the last: the caller
    /// completes the parent.
    fn finish_one(&self) -> bool {
        self.pending.fetch_sub(1, Ordering::AcqRel) == 1
    }

    fn take_faults(&self) -> Vec<TaskError> {
        std::mem::take(&mut *crate::loom::lock(&self.faults))
    }
}

/// The parent's body ended and its outcome is stored. Returns the children's
/// faults if the caller must complete the parent now, or None if children
/// still run (the last of them will complete it).
pub(crate) fn body_finished(parent: RawTask) -> Option<Vec<TaskError>> {
    let Some(children) = Children::get(parent.header()) else {
        return Some(Vec::new());
    };
    // Status shows WaitingForChildrenToComplete from here until the final
    // transition clears it.
    parent.header().state.set_waiting_children();
    if children.finish_one() {
        Some(children.take_faults())
    } else {
        None
    }
}

/// An attached child completed. If it was the last and the body has ended,
/// completes the parent on this thread.
pub(crate) fn child_finished(parent: RawTask, fault: Option<TaskError>) {
    let children =
        Children::get(parent.header()).expect("an attached child's parent has children state");
    if let Some(fault) = fault {
        crate::loom::lock(&children.faults).push(fault);
    }
    if children.finish_one() {
        let faults = children.take_faults();
        // SAFETY: the parent is RUNNING (its body ended with children pending)
        // and we brought `pending` to zero, so we own its stage now.
        unsafe { (parent.header().vtable.merge_child_faults)(parent.header_ptr(), faults) };
    }
}
