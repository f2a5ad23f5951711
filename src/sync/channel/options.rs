//! The options a channel is created with.

use std::fmt;
use std::sync::Arc;

/// What a write to a full bounded channel does. C#:
/// `BoundedChannelFullMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BoundedChannelFullMode {
    /// The write waits for room (`try_write` fails with `Full`). C#:
    /// `Wait`.
    #[default]
    Wait,
    /// The newest item in the channel is dropped to make room. C#:
    /// `DropNewest`.
    DropNewest,
    /// The oldest item in the channel is dropped to make room. C#:
    /// `DropOldest`.
    DropOldest,
    /// The item being written is dropped; the write succeeds. C#:
    /// `DropWrite`.
    DropWrite,
}

/// Options of a bounded channel. C#: `BoundedChannelOptions`.
pub struct BoundedChannelOptions<T> {
    /// The most items it holds (at least 1). C#: `Capacity`.
    pub capacity: usize,
    /// What a write to a full channel does. C#: `FullMode`.
    pub full_mode: BoundedChannelFullMode,
    /// A hint that one reader reads at a time; accepted and unused (the
    /// channel is as fast for one as for many). C#: `SingleReader`.
    pub single_reader: bool,
    /// A hint that one writer writes at a time; accepted and unused. C#:
    /// `SingleWriter`.
    pub single_writer: bool,
    /// A hint that readers may resume inside a write; accepted and unused
    /// (a waiting reader is woken and runs next on the writer's worker,
    /// never inside the write). C#: `AllowSynchronousContinuations`.
    pub allow_synchronous_continuations: bool,
    pub(crate) item_dropped: Option<Arc<dyn Fn(T) + Send + Sync>>,
}

impl<T> BoundedChannelOptions<T> {
    /// `capacity` items, waiting when full. C#: `new
    /// BoundedChannelOptions(capacity)`.
    pub fn new(capacity: usize) -> BoundedChannelOptions<T> {
        BoundedChannelOptions {
            capacity,
            full_mode: BoundedChannelFullMode::Wait,
            single_reader: false,
            single_writer: false,
            allow_synchronous_continuations: false,
            item_dropped: None,
        }
    }

    /// What a write to a full channel does.
    pub fn full_mode(mut self, mode: BoundedChannelFullMode) -> Self {
        self.full_mode = mode;
        self
    }

    /// Called with each item a full channel drops (`DropNewest`,
    /// `DropOldest`, `DropWrite`), outside the channel's lock. C#: the
    /// `itemDropped` callback of `Channel.CreateBounded`.
    pub fn item_dropped(mut self, f: impl Fn(T) + Send + Sync + 'static) -> Self {
        self.item_dropped = Some(Arc::new(f));
        self
    }
}

impl<T> fmt::Debug for BoundedChannelOptions<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedChannelOptions")
            .field("capacity", &self.capacity)
            .field("full_mode", &self.full_mode)
            .finish_non_exhaustive()
    }
}

/// Options of an unbounded channel: hints only, accepted and unused. C#:
/// `UnboundedChannelOptions`.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnboundedChannelOptions {
    /// C#: `SingleReader`.
    pub single_reader: bool,
    /// C#: `SingleWriter`.
    pub single_writer: bool,
    /// C#: `AllowSynchronousContinuations`.
    pub allow_synchronous_continuations: bool,
}
