//! [`ChannelWriter<T>`]: the writing end.

use super::errors::{ChannelClosedError, ClosedReason, TryWriteError, WriteError};
use super::shared::Chan;
use crate::cancel::{CancellationToken, Cancelled};
use crate::loom::sync::atomic::Ordering;
use crate::sync::waiters::WaitKey;
use crate::sync::waits::Watch;
use crate::task::{BoxError, TaskError};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The writing end of a [`Channel`](super::Channel). Clone it for more
/// writers; when the last one drops, the channel completes. C#:
/// `ChannelWriter<T>`.
pub struct ChannelWriter<T> {
    chan: Arc<Chan<T>>,
}

impl<T> ChannelWriter<T> {
    pub(crate) fn new(chan: Arc<Chan<T>>) -> ChannelWriter<T> {
        ChannelWriter { chan }
    }

    /// Writes now if it can: into room, or past a full channel that drops
    /// instead of waiting. Otherwise the item comes back. C#: `TryWrite`.
    pub fn try_write(&self, item: T) -> Result<(), TryWriteError<T>> {
        let after = {
            let mut s = self.chan.state.lock();
            self.chan.try_write_locked(&mut s, item)?
        };
        self.chan.finish(after);
        Ok(())
    }

    /// Writes, waiting for room in a full bounded channel. Dropped before
    /// it completes, it wrote nothing (the item is dropped with it: use
    /// [`write_async_with_token`](Self::write_async_with_token) to get it
    /// back). C#: `WriteAsync`.
    pub fn write_async(&self, item: T) -> WriteAsync<'_, T> {
        WriteAsync {
            chan: &self.chan,
            item: Some(item),
            key: None,
            watch: Watch::new(),
        }
    }

    /// As [`write_async`](Self::write_async), ending with the item and the
    /// cancellation if `token` fires before the write happened. C#:
    /// `WriteAsync(item, CancellationToken)`.
    pub async fn write_async_with_token(
        &self,
        item: T,
        token: &CancellationToken,
    ) -> Result<(), WriteError<T>> {
        WriteWithToken {
            write: self.write_async(item),
            cancelled: token.cancelled(),
            token: token.clone(),
        }
        .await
    }

    /// Waits until a write would not wait: true then, false if the channel
    /// is closed. C#: `WaitToWriteAsync`.
    pub async fn wait_to_write_async(&self) -> bool {
        WaitToWrite {
            chan: &self.chan,
            key: None,
            watch: Watch::new(),
        }
        .await
    }

    /// Blocks the thread until written (a pool thread counts as blocked).
    pub fn write(&self, item: T) -> Result<(), WriteError<T>> {
        crate::block_on(self.write_async(item))
    }

    /// Completes the channel: readers read what is in it, then find it
    /// closed. Completing it again is an error. C#: `Complete()`.
    pub fn complete(&self) -> Result<(), ChannelClosedError> {
        self.complete_inner(None)
    }

    /// Completes the channel with an error: readers get it once they have
    /// read what is in it, and the completion task faults with it. C#:
    /// `Complete(Exception)`.
    pub fn complete_with<E: Into<BoxError> + 'static>(
        &self,
        error: E,
    ) -> Result<(), ChannelClosedError> {
        self.complete_inner(Some(TaskError::new(error)))
    }

    /// Completes the channel unless it was closed already; true if this
    /// call completed it. C#: `TryComplete(Exception?)`.
    pub fn try_complete(&self) -> bool {
        self.chan.complete(None)
    }

    fn complete_inner(&self, error: Option<TaskError>) -> Result<(), ChannelClosedError> {
        if self.chan.complete(error) {
            Ok(())
        } else {
            Err(ChannelClosedError {
                reason: self
                    .chan
                    .state
                    .lock()
                    .closed
                    .clone()
                    .unwrap_or(ClosedReason::Completed),
            })
        }
    }
}

impl<T> Clone for ChannelWriter<T> {
    fn clone(&self) -> Self {
        self.chan.writer_handles.fetch_add(1, Ordering::Relaxed);
        ChannelWriter {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for ChannelWriter<T> {
    fn drop(&mut self) {
        if Chan::<T>::handles_dropped(&self.chan.writer_handles) {
            self.chan.complete(None);
        }
    }
}

impl<T> fmt::Debug for ChannelWriter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelWriter").finish_non_exhaustive()
    }
}

/// The future of [`ChannelWriter::write_async`].
#[must_use = "futures do nothing unless awaited"]
pub struct WriteAsync<'a, T> {
    chan: &'a Chan<T>,
    item: Option<T>,
    key: Option<WaitKey>,
    watch: Watch,
}

impl<T> Unpin for WriteAsync<'_, T> {}

impl<T> WriteAsync<'_, T> {
    /// Gives up the write: the item back, the waiter gone.
    fn take_back(&mut self) -> Option<T> {
        if let Some(key) = self.key.take() {
            self.chan.forget_waiter(key, true);
        }
        self.watch.clear();
        self.item.take()
    }
}

impl<T> Future for WriteAsync<'_, T> {
    type Output = Result<(), WriteError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Some(item) = this.item.take() else {
            panic!("WriteAsync polled after it completed");
        };
        let mut s = this.chan.state.lock();
        if let Some(key) = this.key {
            if !s.writers.poll(key, cx.waker()) && this.chan.is_full(&s) && s.closed.is_none() {
                // Still waiting its turn.
                drop(s);
                this.item = Some(item);
                return Poll::Pending;
            }
            // Notified (room, or closed): off the list, and try.
            s.writers.remove(key);
            this.key = None;
        }
        match this.chan.try_write_locked(&mut s, item) {
            Ok(after) => {
                drop(s);
                this.watch.clear();
                this.chan.finish(after);
                Poll::Ready(Ok(()))
            }
            Err(TryWriteError::Closed(item, e)) => {
                drop(s);
                this.watch.clear();
                Poll::Ready(Err(WriteError::Closed(item, e)))
            }
            Err(TryWriteError::Full(item)) => {
                this.key = Some(s.writers.push(cx.waker(), 0));
                drop(s);
                this.item = Some(item);
                this.watch.park(&this.chan.site);
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for WriteAsync<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.forget_waiter(key, true);
        }
    }
}

/// A write racing a token.
struct WriteWithToken<'a, T> {
    write: WriteAsync<'a, T>,
    cancelled: Cancelled,
    token: CancellationToken,
}

impl<T> Future for WriteWithToken<'_, T> {
    type Output = Result<(), WriteError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY-free projection: every field is Unpin.
        let this = self.get_mut();
        if let Poll::Ready(r) = Pin::new(&mut this.write).poll(cx) {
            return Poll::Ready(r);
        }
        if Pin::new(&mut this.cancelled).poll(cx).is_ready() {
            if let Some(item) = this.write.take_back() {
                return Poll::Ready(Err(WriteError::Canceled(
                    item,
                    crate::task::CanceledError::with_token(this.token.clone()),
                )));
            }
        }
        Poll::Pending
    }
}

/// The future of [`ChannelWriter::wait_to_write_async`].
struct WaitToWrite<'a, T> {
    chan: &'a Chan<T>,
    key: Option<WaitKey>,
    watch: Watch,
}

impl<T> Future for WaitToWrite<'_, T> {
    type Output = bool;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let this = &mut *self;
        let mut s = this.chan.state.lock();
        if let Some(key) = this.key.take() {
            if s.writers.poll(key, cx.waker()) {
                s.writers.remove(key);
            } else {
                this.key = Some(key);
            }
        }
        if this.key.is_none() {
            if s.closed.is_some() {
                drop(s);
                this.watch.clear();
                return Poll::Ready(false);
            }
            if !this.chan.is_full(&s) {
                drop(s);
                this.watch.clear();
                return Poll::Ready(true);
            }
            this.key = Some(s.writers.push(cx.waker(), 0));
        }
        drop(s);
        this.watch.park(&this.chan.site);
        Poll::Pending
    }
}

impl<T> Drop for WaitToWrite<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.chan.forget_waiter(key, true);
        }
    }
}
