//! Coordination between tasks: channels, `SemaphoreSlim`, async locks,
//! events, countdowns, barriers and `Progress<T>` — .NET's
//! `System.Threading` and `System.Threading.Channels`, awaited as futures.
//!
//! Every wait here is a future that parks no thread, has a `_with_token`
//! form, and a blocking form for threads that are not tasks (on a pool
//! thread it counts as blocking, so the pool keeps its other work running).
//! Waiters are served in FIFO order; a waiter dropped after it was given
//! something (a permit, an item's turn, a `set`) hands it on, so nothing is
//! lost to a cancellation. While a task is parked on one of them, it is
//! recorded as waiting on it ([`waiting_on`](crate::diag::waiting_on)).
//! `README.md` beside this module describes the waiter-list protocol.

mod barrier;
pub mod channel;
mod countdown;
mod event;
mod holders;
mod mutex;
mod progress;
mod rwlock;
mod semaphore;
mod settings;
pub(crate) mod waiters;
pub(crate) mod waits;

#[cfg(all(test, loom))]
mod loom_tests;

pub use barrier::{Barrier, BarrierError, PostPhaseAction, SignalAndWait};
pub use channel::{
    BoundedChannelFullMode, BoundedChannelOptions, Channel, ChannelClosedError,
    ChannelOptionsError, ChannelReader, ChannelWriter, ClosedReason, ReadError, TryReadError,
    TryWriteError, UnboundedChannelOptions, WriteError,
};
pub use countdown::{CountdownError, CountdownEvent};
pub use event::{AsyncAutoResetEvent, AsyncManualResetEvent, EventWait};
pub use mutex::{AsyncMutex, AsyncMutexGuard};
pub use progress::{IProgress, Progress};
pub use rwlock::{AsyncReadGuard, AsyncRwLock, AsyncWriteGuard};
pub use semaphore::{
    Acquire, OwnedSemaphorePermit, SemaphoreCountError, SemaphoreFullError, SemaphorePermit,
    SemaphoreSlim,
};
pub use waits::{WaitKind, WaitSite};
