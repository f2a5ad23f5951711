//! [`Channel<T>`]: an async queue between writers and readers.
//!
//! C#: `System.Threading.Channels`.

mod errors;
mod options;
mod reader;
mod shared;
mod writer;

pub use errors::{
    ChannelClosedError, ChannelOptionsError, ClosedReason, ReadError, TryReadError, TryWriteError,
    WriteError,
};
pub use options::{BoundedChannelFullMode, BoundedChannelOptions, UnboundedChannelOptions};
pub use reader::{ChannelReader, ReadAll, ReadAsync};
pub use writer::{ChannelWriter, WriteAsync};

use shared::Chan;
use std::sync::Arc;

/// An async queue: writers put items in, readers take them out, in order.
/// Bounded (a capacity, and what a full channel does with a write) or
/// unbounded. Both ends clone; dropping every writer completes the
/// channel, dropping every reader makes writes fail, handing the item
/// back. Nothing is lost or duplicated: a canceled read took nothing, a
/// canceled or failed write wrote nothing and gives its item back, and
/// each writer's items arrive in the order it wrote them.
///
/// ```
/// use tasklane::sync::{BoundedChannelOptions, Channel};
/// use tasklane::Task;
///
/// let Channel { writer, reader } = Channel::<u32>::bounded(BoundedChannelOptions::new(8)).unwrap();
/// let producer = Task::run_async(async move {
///     for i in 0..100 {
///         writer.write_async(i).await.unwrap();
///     }
///     // The last writer dropped: the channel completes.
/// });
/// let consumer = Task::run_async(async move {
///     let mut sum = 0;
///     while let Ok(i) = reader.read_async().await {
///         sum += i;
///     }
///     sum
/// });
/// producer.wait().unwrap();
/// assert_eq!(consumer.result().unwrap(), 4950);
/// ```
///
/// C#: `Channel<T>` (`Channel.CreateBounded`, `Channel.CreateUnbounded`,
/// `.Writer`, `.Reader`).
pub struct Channel<T> {
    /// The writing end. C#: `Channel<T>.Writer`.
    pub writer: ChannelWriter<T>,
    /// The reading end. C#: `Channel<T>.Reader`.
    pub reader: ChannelReader<T>,
}

impl<T> Channel<T> {
    /// A channel without capacity limit. C#: `Channel.CreateUnbounded<T>()`.
    #[track_caller]
    pub fn unbounded() -> Channel<T> {
        Channel::unbounded_with(UnboundedChannelOptions::default())
    }

    /// A channel without capacity limit, with options. C#:
    /// `Channel.CreateUnbounded<T>(UnboundedChannelOptions)`.
    #[track_caller]
    pub fn unbounded_with(options: UnboundedChannelOptions) -> Channel<T> {
        let _ = options;
        Channel::from_chan(Chan::new(None, BoundedChannelFullMode::Wait, None))
    }

    /// A channel holding at most `options.capacity` items; a zero capacity
    /// is [`ChannelOptionsError::ZeroCapacity`] (no rendezvous channel: C#
    /// rejects it too). C#: `Channel.CreateBounded<T>(BoundedChannelOptions)`.
    #[track_caller]
    pub fn bounded(options: BoundedChannelOptions<T>) -> Result<Channel<T>, ChannelOptionsError> {
        if options.capacity == 0 {
            return Err(ChannelOptionsError::ZeroCapacity);
        }
        Ok(Channel::from_chan(Chan::new(
            Some(options.capacity),
            options.full_mode,
            options.item_dropped,
        )))
    }

    fn from_chan(chan: Chan<T>) -> Channel<T> {
        let chan = Arc::new(chan);
        Channel {
            writer: ChannelWriter::new(chan.clone()),
            reader: ChannelReader::new(chan),
        }
    }
}

impl<T> std::fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("count", &self.reader.count())
            .finish_non_exhaustive()
    }
}
