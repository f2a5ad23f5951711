//! What a task waits on: each primitive of this module records, on a task
//! parked on it, its kind and where it was created, so a task dump can say
//! "waiting on the channel created at src/x.rs:12". Only the slow path (a
//! wait that parks) records, with one store on the task; a wait that
//! completes at once costs nothing.

use crate::task::waiting::{Parked, WaitWord};
use std::fmt;
use std::panic::Location;

/// The kinds of primitive a task can wait on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WaitKind {
    /// A `Channel` (reading, or writing to a full bounded one).
    Channel,
    /// A `SemaphoreSlim`.
    Semaphore,
    /// An `AsyncMutex`.
    Mutex,
    /// An `AsyncRwLock`.
    RwLock,
    /// An `AsyncManualResetEvent` or `AsyncAutoResetEvent`.
    Event,
    /// A `CountdownEvent`.
    Countdown,
    /// A `Barrier`.
    Barrier,
}

impl fmt::Display for WaitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WaitKind::Channel => "channel",
            WaitKind::Semaphore => "semaphore",
            WaitKind::Mutex => "async mutex",
            WaitKind::RwLock => "async reader/writer lock",
            WaitKind::Event => "event",
            WaitKind::Countdown => "countdown event",
            WaitKind::Barrier => "barrier",
        })
    }
}

/// A primitive a task waits on: what it is and where it was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitSite {
    /// What it is.
    pub kind: WaitKind,
    /// Where it was created.
    pub location: &'static Location<'static>,
}

impl WaitSite {
    /// The site of a primitive created at the caller's location.
    #[track_caller]
    pub(crate) fn here(kind: WaitKind) -> WaitSite {
        WaitSite {
            kind,
            location: Location::caller(),
        }
    }
}

impl fmt::Display for WaitSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} created at {}", self.kind, self.location)
    }
}

// A site is recorded on the parked task as the kind's index (1..=7) and
// the address of its creation location (`task/waiting.rs`).
const KINDS: [WaitKind; 7] = [
    WaitKind::Channel,
    WaitKind::Semaphore,
    WaitKind::Mutex,
    WaitKind::RwLock,
    WaitKind::Event,
    WaitKind::Countdown,
    WaitKind::Barrier,
];

impl WaitSite {
    fn encode(&self) -> WaitWord {
        let kind = KINDS.iter().position(|k| *k == self.kind).unwrap_or(0);
        WaitWord::primitive(kind as u8 + 1, self.location)
    }

    /// The site a task's wait word names, if it names a primitive.
    pub(crate) fn from_parked(parked: Parked) -> Option<WaitSite> {
        match parked {
            Parked::Primitive(kind, location) => Some(WaitSite {
                kind: *KINDS.get(usize::from(kind).checked_sub(1)?)?,
                location,
            }),
            _ => None,
        }
    }
}

/// What `task` is parked on now, if it is parked on a primitive of
/// `tasklane::sync` (its last poll parked there and it has not been polled
/// since). C#: what a debugger's Parallel Stacks shows for an awaited
/// `SemaphoreSlim.WaitAsync`.
///
/// ```
/// use tasklane::sync::{AsyncManualResetEvent, WaitKind};
/// use tasklane::Task;
/// use std::sync::Arc;
///
/// let event = Arc::new(AsyncManualResetEvent::new(false));
/// let e = event.clone();
/// let t = Task::run_async(async move { e.wait_async().await });
/// while tasklane::diag::waiting_on(&t).is_none() {
///     std::thread::yield_now();
/// }
/// let site = tasklane::diag::waiting_on(&t).unwrap();
/// assert_eq!(site.kind, WaitKind::Event);
/// event.set();
/// t.wait().unwrap();
/// assert!(tasklane::diag::waiting_on(&t).is_none());
/// ```
pub fn waiting_on<T>(task: &crate::Task<T>) -> Option<WaitSite> {
    WaitSite::from_parked(task.waiting_word().decode()?)
}

/// A future's record of its task parked on a primitive: written on the
/// task (one store) when the future parks; the task's next poll clears it.
#[derive(Default)]
pub(crate) struct Watch;

impl Watch {
    pub(crate) const fn new() -> Watch {
        Watch
    }

    /// The future parks on `site`.
    #[inline]
    pub(crate) fn park(&mut self, site: &WaitSite) {
        crate::task::record_waiting(site.encode());
    }

    /// The wait is over (the task's next poll clears the record already;
    /// this documents where a wait ends).
    #[inline]
    pub(crate) fn clear(&mut self) {}
}
