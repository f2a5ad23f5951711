//! What a channel's operations fail with.

use crate::task::{CanceledError, TaskError};
use std::fmt;

/// Why a channel takes no more items.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ClosedReason {
    /// A writer completed it (`complete`, or every writer dropped).
    Completed,
    /// A writer completed it with an error (`complete_with`).
    Failed(TaskError),
    /// Every reader was dropped: nothing would ever read a write.
    ReadersGone,
}

/// The channel is closed. C#: `ChannelClosedException` (with the error the
/// writer completed it with, if any, as its inner exception).
#[derive(Clone, Debug)]
pub struct ChannelClosedError {
    pub(crate) reason: ClosedReason,
}

impl ChannelClosedError {
    /// Why.
    pub fn reason(&self) -> &ClosedReason {
        &self.reason
    }
}

impl fmt::Display for ChannelClosedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            ClosedReason::Completed => f.write_str("the channel has been closed"),
            ClosedReason::Failed(e) => write!(f, "the channel was completed with an error: {e}"),
            ClosedReason::ReadersGone => {
                f.write_str("the channel has no reader left: nothing would read this write")
            }
        }
    }
}

impl std::error::Error for ChannelClosedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            ClosedReason::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// A write that did not happen; the item comes back.
#[derive(Debug)]
pub enum WriteError<T> {
    /// The channel is closed.
    Closed(T, ChannelClosedError),
    /// The write's token fired first.
    Canceled(T, CanceledError),
}

impl<T> WriteError<T> {
    /// The item that was not written.
    pub fn into_item(self) -> T {
        match self {
            WriteError::Closed(t, _) | WriteError::Canceled(t, _) => t,
        }
    }
}

impl<T> fmt::Display for WriteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Closed(_, e) => fmt::Display::fmt(e, f),
            WriteError::Canceled(_, e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for WriteError<T> {}

/// A `try_write` that did not write; the item comes back. C#: `TryWrite`
/// returning false.
#[derive(Debug)]
pub enum TryWriteError<T> {
    /// The bounded channel is full (and waits when full).
    Full(T),
    /// The channel is closed.
    Closed(T, ChannelClosedError),
}

impl<T> TryWriteError<T> {
    /// The item that was not written.
    pub fn into_item(self) -> T {
        match self {
            TryWriteError::Full(t) | TryWriteError::Closed(t, _) => t,
        }
    }
}

impl<T> fmt::Display for TryWriteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryWriteError::Full(_) => f.write_str("the channel is full"),
            TryWriteError::Closed(_, e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for TryWriteError<T> {}

/// A read that took nothing.
#[derive(Clone, Debug)]
pub enum ReadError {
    /// The channel is completed and drained.
    Closed(ChannelClosedError),
    /// The read's token fired first.
    Canceled(CanceledError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Closed(e) => fmt::Display::fmt(e, f),
            ReadError::Canceled(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for ReadError {}

/// A `try_read` that found nothing. C#: `TryRead` returning false.
#[derive(Clone, Debug)]
pub enum TryReadError {
    /// Nothing to read now.
    Empty,
    /// The channel is completed and drained.
    Closed(ChannelClosedError),
}

impl fmt::Display for TryReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryReadError::Empty => f.write_str("the channel is empty"),
            TryReadError::Closed(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for TryReadError {}

/// Options a channel cannot be made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelOptionsError {
    /// A bounded channel needs a capacity of at least 1. C#:
    /// `ArgumentOutOfRangeException`.
    ZeroCapacity,
}

impl fmt::Display for ChannelOptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelOptionsError::ZeroCapacity => {
                f.write_str("a bounded channel needs a capacity of at least 1")
            }
        }
    }
}

impl std::error::Error for ChannelOptionsError {}
