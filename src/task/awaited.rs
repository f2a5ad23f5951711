//! Promises that tasks wait on, listed for diagnostics.
//!
//! Every task a scheduler runs is in that scheduler's registry; a promise
//! (`TaskCompletionSource`) has no scheduler, so a dump could not follow
//! "task 5 awaits task 9" to the promise. The first task whose poll parks
//! on a pending promise lists it here (one flag, then one registry
//! insert, on the slow path of an await that parks), and whoever drains
//! its continuations when it completes takes it out.
//!
//! The two meet under the continuation list's lock: the listing happens
//! under it only while the list is not completed, and `take_all` (which
//! every completion with a registered awaiter runs, see
//! `run_continuations.rs`) marks it completed under it before the
//! unlisting reads the flag. So a listed promise is always unlisted, and
//! the registry's ref never outlives the promise's completion.

use super::header::TaskKind;
use super::raw::{RawTask, TaskRef};
use super::registry::Registry;
use super::waiting::WaitWord;
use crate::loom::sync::atomic::Ordering;

/// The registry of awaited promises (process-wide).
#[cfg(not(loom))]
pub(crate) fn registry() -> &'static Registry {
    static AWAITED: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    AWAITED.get_or_init(|| Registry::new(8))
}

#[cfg(loom)]
loom::lazy_static! {
    static ref AWAITED: Registry = Registry::new(1);
}

/// The registry of awaited promises (one per loom execution).
#[cfg(loom)]
pub(crate) fn registry() -> &'static Registry {
    &AWAITED
}

/// The task being polled parks awaiting `raw`: recorded on it, and `raw`
/// listed here if it is a promise not listed yet. Called after the
/// awaiter's waker was stored in `raw`'s continuation list.
pub(crate) fn parked_on(raw: RawTask) {
    let Some(me) = super::current::current() else {
        return;
    };
    super::current::record_waiting_on(me, WaitWord::task(raw.address()));
    list_if_promise(raw);
}

/// Lists `raw` if it is a pending promise not listed yet.
pub(crate) fn list_if_promise(raw: RawTask) {
    let header = raw.header();
    if header.kind == TaskKind::Promise && !header.listed_awaited.load(Ordering::Relaxed) {
        header.continuations.if_pending(|| {
            if !header.listed_awaited.swap(true, Ordering::Relaxed) {
                // The registry keeps this ref while the promise is listed.
                let listed_ref = TaskRef::new_ref(raw);
                if registry().insert(raw) {
                    let _ = listed_ref.into_raw();
                }
            }
        });
    }
}

/// `raw` completed and its continuation list was taken: out of the list of
/// awaited promises if it was in it.
pub(crate) fn completed(raw: RawTask) {
    if raw.header().listed_awaited.load(Ordering::Relaxed) {
        drop(registry().remove(raw));
    }
}
