//! The handle word of a task: how many `Task` handles exist, whether a
//! `TaskCompletionSource` still does, and whether the output was moved out.
//!
//! One `AtomicUsize` in the header (`Header::handles`):
//!
//! - the low bits count `Task<T>` handles (and erased ones);
//! - [`SOURCED`] is set while any `TaskCompletionSource` of the task lives:
//!   all of them together count as one more handle (the task has handles
//!   while it is set), but they never read the output;
//! - [`OUTPUT_TAKEN`] is set, once, by the handle that moves the output out
//!   (awaiting a task by value, `into_result`).
//!
//! **Moving the output out** needs every reader excluded. A handle may move
//! it only if it is the one `Task` handle: it claims the output with one
//! compare-and-swap from a word whose count is 1 to the same word with
//! `OUTPUT_TAKEN`. A reader reads the output only after loading the word
//! and finding `OUTPUT_TAKEN` clear. Any other handle that existed at the
//! swap would have made the count more than 1, so the swap would have
//! failed; a handle made after it (`TaskCompletionSource::task`, a clone of
//! a handle made later) is made by a read-modify-write that follows the
//! swap in the word's order, so its later loads see `OUTPUT_TAKEN`. So no
//! reader ever reads the output while it is moved, and none after.
//!
//! **The last handle** (the word falls to zero: no count, no `SOURCED`)
//! sets `NO_HANDLES` in the state word (unobserved faults are reported from
//! there). A `Task` handle's drop subtracts one; the last source's drop
//! clears `SOURCED`; whichever brings the word to zero runs the handles-gone
//! step, exactly once.

use super::header::Header;
use crate::loom::sync::atomic::Ordering;

/// Set while a `TaskCompletionSource` of the task lives.
pub(crate) const SOURCED: usize = 1 << (usize::BITS - 2);
/// Set once the output was moved out.
pub(crate) const OUTPUT_TAKEN: usize = 1 << (usize::BITS - 1);
const COUNT: usize = SOURCED - 1;

/// The number of `Task` handles in a handle word.
pub(crate) fn count(word: usize) -> usize {
    word & COUNT
}

/// A new `Task` handle (a clone, or one made by a source).
pub(crate) fn add(header: &Header) {
    header.handles.fetch_add(1, Ordering::Relaxed);
}

/// A `Task` handle dropped: true if it was the last handle of any kind.
pub(crate) fn remove(header: &Header) -> bool {
    let prev = header.handles.fetch_sub(1, Ordering::AcqRel);
    debug_assert!(count(prev) > 0);
    prev & (COUNT | SOURCED) == 1
}

/// The last `TaskCompletionSource` dropped: true if no `Task` handle is
/// left either.
pub(crate) fn sources_gone(header: &Header) -> bool {
    let prev = header.handles.fetch_and(!SOURCED, Ordering::AcqRel);
    debug_assert!(prev & SOURCED != 0);
    count(prev) == 0
}

/// True once the output was moved out.
pub(crate) fn output_taken(header: &Header) -> bool {
    header.handles.load(Ordering::Acquire) & OUTPUT_TAKEN != 0
}

/// Whether the calling handle may move the output out.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// It is the only `Task` handle: it may move the output, once.
    Claimed,
    /// Other `Task` handles exist: the output stays for them.
    Shared,
    /// The output was already moved out.
    Taken,
}

/// Claims the output for a move (see the module docs).
pub(crate) fn claim_output(header: &Header) -> Claim {
    let mut word = header.handles.load(Ordering::Acquire);
    loop {
        if word & OUTPUT_TAKEN != 0 {
            return Claim::Taken;
        }
        if count(word) != 1 {
            return Claim::Shared;
        }
        match header.handles.compare_exchange_weak(
            word,
            word | OUTPUT_TAKEN,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return Claim::Claimed,
            Err(actual) => word = actual,
        }
    }
}
