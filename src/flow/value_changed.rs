//! `AsyncLocal` value-changed notifications: a local made with
//! [`AsyncLocal::with_value_changed`](super::AsyncLocal::with_value_changed)
//! hears every change of its value on a thread, whether code set it or the
//! thread's execution context changed under it (a task started or finished
//! running with another context). C#: `AsyncLocal<T>(Action<
//! AsyncLocalValueChangedArgs<T>>)`.
//!
//! Cost where nobody listens: none on the empty-context fast path of a
//! poll, one relaxed load per context switch otherwise.

use super::execution_context::{ExecutionContext, Value};
use crate::diag::ErrorOrigin;
use crate::diag::guard::{self, Site};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// Calls a local's handler with its previous and current values (untyped)
/// and whether a context switch (not a `set`) changed it.
pub(crate) type Notifier = Arc<dyn Fn(Option<&Value>, Option<&Value>, bool) + Send + Sync>;

/// The locals with a handler, by key.
static LISTENERS: RwLock<Vec<(u64, Notifier, &'static Location<'static>)>> =
    RwLock::new(Vec::new());
/// True while `LISTENERS` is not empty.
static ANY: AtomicBool = AtomicBool::new(false);

/// Registers the handler of the local `key`.
pub(crate) fn listen(key: u64, notifier: Notifier, created_at: &'static Location<'static>) {
    let mut l = LISTENERS.write().unwrap_or_else(|p| p.into_inner());
    l.push((key, notifier, created_at));
    ANY.store(true, Ordering::Release);
}

/// Unregisters the handler of the local `key` (the local was dropped).
pub(crate) fn stop_listening(key: u64) {
    let mut l = LISTENERS.write().unwrap_or_else(|p| p.into_inner());
    l.retain(|(k, ..)| *k != key);
    ANY.store(!l.is_empty(), Ordering::Release);
}

/// True if some local listens (the callers' cheap check first).
#[inline]
pub(crate) fn anyone_listens() -> bool {
    ANY.load(Ordering::Relaxed)
}

/// A local's value changed by `set`: tell its handler, if it has one.
pub(crate) fn value_set(key: u64, previous: Option<&Value>, current: Option<&Value>) {
    if !anyone_listens() || (previous.is_none() && current.is_none()) {
        return;
    }
    for (notifier, at) in listeners_of(|k| k == key) {
        notify(&notifier, at, previous, current, false);
    }
}

/// The thread's context switched from `from` to `to`: tell every local
/// whose value differs between them.
pub(crate) fn context_switched(from: &ExecutionContext, to: &ExecutionContext) {
    if !anyone_listens() || from.ptr_eq(to) {
        return;
    }
    for (key, notifier, at) in listeners() {
        let (a, b) = (from.value(key), to.value(key));
        let same = match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if !same {
            notify(&notifier, at, a, b, true);
        }
    }
}

fn listeners() -> Vec<(u64, Notifier, &'static Location<'static>)> {
    LISTENERS.read().unwrap_or_else(|p| p.into_inner()).clone()
}

fn listeners_of(pick: impl Fn(u64) -> bool) -> Vec<(Notifier, &'static Location<'static>)> {
    LISTENERS
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(k, ..)| pick(*k))
        .map(|(_, n, at)| (n.clone(), *at))
        .collect()
}

/// Runs a handler (user code) under the panic guard.
fn notify(
    notifier: &Notifier,
    at: &'static Location<'static>,
    previous: Option<&Value>,
    current: Option<&Value>,
    thread_context_changed: bool,
) {
    guard::contain(
        || Site::at(ErrorOrigin::Handler, at),
        || notifier(previous, current, thread_context_changed),
    );
}
