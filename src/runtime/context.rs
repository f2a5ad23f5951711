//! The runtime current on this thread.

use super::Handle;
use crate::task::schedule::Home;
use std::cell::RefCell;
use std::marker::PhantomData;

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// Restores the previous current runtime when dropped. Made by
/// [`Handle::enter`].
#[must_use = "the runtime stays current only while the guard lives"]
pub struct EnterGuard {
    prev: Option<Handle>,
    _clock: crate::time::clock::EnterClock,
    _not_send: PhantomData<*const ()>,
}

pub(crate) fn enter(handle: Handle) -> EnterGuard {
    let clock = crate::time::clock::enter(handle.shared().clock.clone());
    let prev = CURRENT.with(|c| c.borrow_mut().replace(handle));
    EnterGuard {
        prev,
        _clock: clock,
        _not_send: PhantomData,
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

impl std::fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnterGuard")
    }
}

pub(crate) fn current() -> Option<Handle> {
    CURRENT.with(|c| c.borrow().clone())
}

pub(crate) fn current_home() -> Option<Home> {
    CURRENT.with(|c| c.borrow().as_ref().map(Handle::home))
}
