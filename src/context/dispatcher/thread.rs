//! Which dispatcher owns the calling thread.
//!
//! A thread owns at most one dispatcher, from the dispatcher's creation until
//! it is drained. If the thread ends first, the slot's destructor drains it
//! there, so tasks pinned to that thread are cancelled on it rather than
//! left pending forever.

use super::shared::Shared;
use std::cell::RefCell;
use std::sync::Arc;

struct Slot(RefCell<Option<Arc<Shared>>>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(shared) = self.0.get_mut().take() {
            // This is the owner thread, ending.
            shared.drain_on_owner_thread();
        }
    }
}

thread_local! {
    static THREAD: Slot = const { Slot(RefCell::new(None)) };
}

/// The dispatcher owned by this thread, if any.
pub(crate) fn current_shared() -> Option<Arc<Shared>> {
    THREAD.try_with(|t| t.0.borrow().clone()).ok().flatten()
}

/// True if `shared` is the dispatcher this thread owns (no clone, no
/// `thread::current()`: cheap enough for every post).
pub(crate) fn owns(shared: &Shared) -> bool {
    THREAD
        .try_with(|t| {
            t.0.borrow()
                .as_ref()
                .is_some_and(|s| std::ptr::eq(Arc::as_ptr(s), shared))
        })
        .unwrap_or(false)
}

/// Makes `shared` this thread's dispatcher. False if the thread has one.
pub(crate) fn bind(shared: &Arc<Shared>) -> bool {
    THREAD
        .try_with(|t| {
            let mut slot = t.0.borrow_mut();
            if slot.is_some() {
                return false;
            }
            *slot = Some(shared.clone());
            true
        })
        .unwrap_or(false)
}

/// Forgets `shared` as this thread's dispatcher (it was drained).
pub(crate) fn unbind(shared: &Shared) {
    let taken = THREAD
        .try_with(|t| {
            let mut slot = t.0.borrow_mut();
            match &*slot {
                Some(s) if std::ptr::eq(Arc::as_ptr(s), shared) => slot.take(),
                _ => None,
            }
        })
        .ok()
        .flatten();
    // Dropped outside the borrow: it may be the last reference.
    drop(taken);
}

/// The address of the dispatcher this thread owns (0 if none), without a
/// clone: an identity cheap enough for every lock acquisition.
pub(crate) fn current_id() -> usize {
    THREAD
        .try_with(|t| t.0.borrow().as_ref().map_or(0, |s| Arc::as_ptr(s) as usize))
        .unwrap_or(0)
}
