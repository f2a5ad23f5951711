//! [`ChannelReader<T>`]: the reading end.

use super::errors::{ChannelClosedError, ClosedReason, ReadError, TryReadError};
use super::shared::Chan;
use crate::Task;
use crate::cancel::CancellationToken;
use crate::loom::sync::atomic::Ordering;
use crate::sync::waiters::WaitKey;
use crate::sync::waits::Watch;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The reading end of a [`Channel`](super::Channel). Clone it for more
/// readers (each item goes to one); when the last one drops, writes fail.
/// C#: `ChannelReader<T>`.
pub struct ChannelReader<T> {
    chan: Arc<Chan<T>>,
}

impl<T> ChannelReader<T> {
    pub(crate) fn new(chan: Arc<Chan<T>>) -> ChannelReader<T> {
        ChannelReader { chan }
    }

    /// Takes the next item if there is one now. C#: `TryRead`.
    pub fn try_read(&self) -> Result<T, TryReadError> {
        let (item, after) = {
            let mut s = self.chan.state.lock();
            self.chan.try_read_locked(&mut s)?
        };
        self.chan.finish(after);
        Ok(item)
    }

    /// A copy of the next item, left in the channel. C#: `TryPeek`.
    pub fn try_peek(&self) -> Option<T>
    where
        T: Clone,
    {
        self.chan.state.lock().items.front().cloned()
    }

    /// Items in the channel now. C#: `Count` (`CanCount` is true for every
    /// tasklane channel).
    pub fn count(&self) -> usize {
        self.chan.count()
    }

    /// Waits for the next item; [`ReadError::Closed`] once the channel is
    /// completed and drained. Dropped before it completes, it took
    /// nothing. C#: `ReadAsync`.
    pub fn read_async(&self) -> ReadAsync<'_, T> {
        ReadAsync(ReadOrPeek {
            chan: &self.chan,
            key: None,
            watch: Watch::new(),
            peek: false,
        })
    }

    /// As [`read_async`](Self::read_async), ending with the cancellation
    /// if `token` fires first (nothing taken). C#: `ReadAsync(token)`.
    pub async fn read_async_with_token(&self, token: &CancellationToken) -> Result<T, ReadError> {
        match token.run_until_cancelled(self.read_async()).await {
            Ok(r) => r,
            Err(c) => Err(ReadError::Canceled(c)),
        }
    }

    /// Waits until an item is there (true) or the channel is completed and
    /// drained (false; the writer's error, if it completed with one). C#:
    /// `WaitToReadAsync`.
    pub async fn wait_to_read_async(&self) -> Result<bool, ChannelClosedError> {
        let peek = ReadOrPeek {
            chan: &self.chan,
            key: None,
            watch: Watch::new(),
            peek: true,
        };
        match peek.await {
            Ok(_) => Ok(true),
            Err(ReadError::Closed(e)) => match e.reason {
                ClosedReason::Failed(_) => Err(e),
                _ => Ok(false),
            },
            Err(ReadError::Canceled(_)) => Ok(false),
        }
    }

    /// Every item, as they come, until the channel is completed and
    /// drained: a `futures_core::Stream`. (The writer's error, if it
    /// completed with one, is the [`completion`](Self::completion)'s.) C#:
    /// `ReadAllAsync()` (`await foreach`).
    pub fn read_all_async(&self) -> ReadAll<'_, T> {
        ReadAll {
            read: self.read_async(),
        }
    }

    /// Blocks the thread for the next item (a pool thread counts as
    /// blocked).
    pub fn read(&self) -> Result<T, ReadError> {
        crate::block_on(self.read_async())
    }

    /// Completes once the channel is completed and every item read;
    /// faulted with the writer's error if it completed with one. Every call
    /// returns a handle to the same task: where several are held, await
    /// `&completion` (awaiting by value moves the output out, which other
    /// handles forbid). C#: `ChannelReader<T>.Completion`.
    pub fn completion(&self) -> Task<()> {
        self.chan.completion()
    }
}

impl<T> Clone for ChannelReader<T> {
    fn clone(&self) -> Self {
        self.chan.reader_handles.fetch_add(1, Ordering::Relaxed);
        ChannelReader {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for ChannelReader<T> {
    fn drop(&mut self) {
        if Chan::<T>::handles_dropped(&self.chan.reader_handles) {
            self.chan.readers_gone();
        }
    }
}

impl<T> fmt::Debug for ChannelReader<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelReader")
            .field("count", &self.count())
            .finish()
    }
}

/// The future of [`ChannelReader::read_async`].
#[must_use = "futures do nothing unless awaited"]
pub struct ReadAsync<'a, T>(ReadOrPeek<'a, T>);

impl<T> Future for ReadAsync<'_, T> {
    type Output = Result<T, ReadError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.map(|item| item.expect("a read that does not peek takes an item")))
    }
}

/// A read, or a look for an item (`wait_to_read_async`).
struct ReadOrPeek<'a, T> {
    chan: &'a Chan<T>,
    key: Option<WaitKey>,
    watch: Watch,
    /// Only looks (`wait_to_read_async`): takes nothing.
    peek: bool,
}

impl<T> Future for ReadOrPeek<'_, T> {
    type Output = Result<Option<T>, ReadError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut s = this.chan.state.lock();
        if let Some(key) = this.key {
            if !s.readers.poll(key, cx.waker()) && s.items.is_empty() && s.closed.is_none() {
                return Poll::Pending;
            }
            s.readers.remove(key);
            this.key = None;
        }
        if this.peek && !s.items.is_empty() {
            drop(s);
            this.watch.clear();
            return Poll::Ready(Ok(None));
        }
        match this.chan.try_read_locked(&mut s) {
            Ok((item, after)) => {
                drop(s);
                this.watch.clear();
                this.chan.finish(after);
                Poll::Ready(Ok(Some(item)))
            }
            Err(TryReadError::Closed(e)) => {
                drop(s);
                this.watch.clear();
                Poll::Ready(Err(ReadError::Closed(e)))
            }
            Err(TryReadError::Empty) => {
                this.key = Some(s.readers.push(cx.waker(), 0));
                drop(s);
                this.watch.park(&this.chan.site);
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for ReadOrPeek<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.forget_waiter(key, false);
        }
    }
}

/// The stream of [`ChannelReader::read_all_async`].
pub struct ReadAll<'a, T> {
    read: ReadAsync<'a, T>,
}

impl<T> futures_core::Stream for ReadAll<'_, T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match Pin::new(&mut self.read).poll(cx) {
            Poll::Ready(Ok(item)) => Poll::Ready(Some(item)),
            Poll::Ready(Err(_)) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
