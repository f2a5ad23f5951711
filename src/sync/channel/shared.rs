//! The channel both ends share: the queue, the two waiter lists, the
//! closed state, under one lock. See the README beside `sync/` for the
//! protocol; in short, a notified waiter retries, and a waiter dropped after
//! being notified passes the notification on, so a read or a write never
//! goes to a waiter that is gone.

use super::errors::{ChannelClosedError, ClosedReason, TryReadError, TryWriteError};
use super::options::BoundedChannelFullMode;
use crate::cancel::spin_lock::SpinLock;
use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::waiters::{WaitKey, Waiters};
use crate::sync::waits::{WaitKind, WaitSite};
use crate::task::{TaskCompletionSource, TaskError};
use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Waker;

pub(crate) struct State<T> {
    pub(crate) items: VecDeque<T>,
    pub(crate) readers: Waiters,
    pub(crate) writers: Waiters,
    pub(crate) closed: Option<ClosedReason>,
    /// How the channel ended, once completed and drained.
    outcome: Option<Result<(), TaskError>>,
    /// The completion task's promise, made when first asked for.
    completion: Option<TaskCompletionSource<()>>,
}

pub(crate) struct Chan<T> {
    pub(crate) state: SpinLock<State<T>>,
    capacity: Option<usize>,
    full_mode: BoundedChannelFullMode,
    item_dropped: Option<Arc<dyn Fn(T) + Send + Sync>>,
    pub(crate) writer_handles: AtomicUsize,
    pub(crate) reader_handles: AtomicUsize,
    pub(crate) site: WaitSite,
}

/// What happened under the lock that must happen after it: a waiter to
/// wake, an item dropped by a full channel, the completion to signal.
#[must_use]
pub(crate) struct After<T> {
    wake: Option<Waker>,
    dropped: Option<T>,
    /// The completion's promise and how to complete it.
    done: Option<(TaskCompletionSource<()>, Result<(), TaskError>)>,
}

impl<T> After<T> {
    pub(crate) fn none() -> After<T> {
        After {
            wake: None,
            dropped: None,
            done: None,
        }
    }
}

impl<T> Chan<T> {
    #[track_caller]
    pub(crate) fn new(
        capacity: Option<usize>,
        full_mode: BoundedChannelFullMode,
        item_dropped: Option<Arc<dyn Fn(T) + Send + Sync>>,
    ) -> Chan<T> {
        Chan {
            state: SpinLock::new(State {
                items: match capacity {
                    Some(c) => VecDeque::with_capacity(c.min(4096)),
                    None => VecDeque::new(),
                },
                readers: Waiters::new(),
                writers: Waiters::new(),
                closed: None,
                outcome: None,
                completion: None,
            }),
            capacity,
            full_mode,
            item_dropped,
            writer_handles: AtomicUsize::new(1),
            reader_handles: AtomicUsize::new(1),
            site: WaitSite::here(WaitKind::Channel),
        }
    }

    pub(crate) fn completion(&self) -> crate::Task<()> {
        let mut s = self.state.lock();
        match &s.outcome {
            Some(Ok(())) => crate::Task::completed(),
            Some(Err(e)) => crate::Task::from_error(e.clone()),
            None => s
                .completion
                .get_or_insert_with(TaskCompletionSource::new)
                .task(),
        }
    }

    /// Does what `after` says, outside the lock.
    pub(crate) fn finish(&self, after: After<T>) {
        if let Some(item) = after.dropped {
            match &self.item_dropped {
                Some(f) => f(item),
                None => drop(item),
            }
        }
        if let Some(w) = after.wake {
            w.wake();
        }
        match after.done {
            Some((tcs, Ok(()))) => {
                let _ = tcs.try_set_result(());
            }
            Some((tcs, Err(e))) => {
                let _ = tcs.try_set_error(e);
            }
            None => {}
        }
    }

    /// True if a write would wait now.
    pub(crate) fn is_full(&self, s: &State<T>) -> bool {
        self.full_mode == BoundedChannelFullMode::Wait
            && self.capacity.is_some_and(|c| s.items.len() >= c)
    }

    /// Writes under the lock, if it may: the item, or it back.
    pub(crate) fn try_write_locked(
        &self,
        s: &mut State<T>,
        item: T,
    ) -> Result<After<T>, TryWriteError<T>> {
        if let Some(reason) = &s.closed {
            return Err(TryWriteError::Closed(
                item,
                ChannelClosedError {
                    reason: reason.clone(),
                },
            ));
        }
        let mut after = After::none();
        match self.capacity {
            Some(c) if s.items.len() >= c => match self.full_mode {
                BoundedChannelFullMode::Wait => return Err(TryWriteError::Full(item)),
                BoundedChannelFullMode::DropWrite => {
                    after.dropped = Some(item);
                    return Ok(after);
                }
                BoundedChannelFullMode::DropNewest => {
                    after.dropped = s.items.pop_back();
                    s.items.push_back(item);
                }
                BoundedChannelFullMode::DropOldest => {
                    after.dropped = s.items.pop_front();
                    s.items.push_back(item);
                }
            },
            _ => s.items.push_back(item),
        }
        after.wake = s.readers.notify_one();
        Ok(after)
    }

    /// Reads under the lock, if there is an item.
    pub(crate) fn try_read_locked(&self, s: &mut State<T>) -> Result<(T, After<T>), TryReadError> {
        match s.items.pop_front() {
            Some(item) => {
                let mut after = After::none();
                if self.capacity.is_some() {
                    after.wake = s.writers.notify_one();
                }
                after.done = self.drained(s);
                Ok((item, after))
            }
            None => match &s.closed {
                Some(ClosedReason::ReadersGone) | None => Err(TryReadError::Empty),
                Some(reason) => Err(TryReadError::Closed(ChannelClosedError {
                    reason: reason.clone(),
                })),
            },
        }
    }

    /// Completed and now empty: the outcome is recorded, once, and the
    /// completion's promise (if someone asked for it) is to be completed.
    fn drained(
        &self,
        s: &mut State<T>,
    ) -> Option<(TaskCompletionSource<()>, Result<(), TaskError>)> {
        if s.outcome.is_some() || !s.items.is_empty() {
            return None;
        }
        let outcome = match &s.closed {
            Some(ClosedReason::Completed) => Ok(()),
            Some(ClosedReason::Failed(e)) => Err(e.clone()),
            _ => return None,
        };
        s.outcome = Some(outcome.clone());
        s.completion.take().map(|tcs| (tcs, outcome))
    }

    /// A writer completes the channel (with an error, or none). False if it
    /// was closed already.
    pub(crate) fn complete(&self, error: Option<TaskError>) -> bool {
        let mut wakers = Vec::new();
        let done = {
            let mut s = self.state.lock();
            if s.closed.is_some() {
                return false;
            }
            s.closed = Some(match error {
                Some(e) => ClosedReason::Failed(e),
                None => ClosedReason::Completed,
            });
            s.readers.notify_all(&mut wakers);
            s.writers.notify_all(&mut wakers);
            self.drained(&mut s)
        };
        crate::sync::waiters::wake_all(wakers);
        self.finish(After {
            wake: None,
            dropped: None,
            done,
        });
        true
    }

    /// The last reader went: writes fail from now on.
    pub(crate) fn readers_gone(&self) {
        let mut wakers = Vec::new();
        {
            let mut s = self.state.lock();
            if s.closed.is_none() {
                s.closed = Some(ClosedReason::ReadersGone);
            }
            s.writers.notify_all(&mut wakers);
        }
        crate::sync::waiters::wake_all(wakers);
    }

    /// Items in the channel.
    pub(crate) fn count(&self) -> usize {
        self.state.lock().items.len()
    }

    /// A waiter that was notified but goes away without acting on it hands
    /// the notification to the next waiter of its list.
    pub(crate) fn forget_waiter(&self, key: WaitKey, writer: bool) {
        let wake = {
            let mut s = self.state.lock();
            let list = if writer {
                &mut s.writers
            } else {
                &mut s.readers
            };
            if list.remove(key) {
                list.notify_one()
            } else {
                None
            }
        };
        if let Some(w) = wake {
            w.wake();
        }
    }

    pub(crate) fn handles_dropped(handles: &AtomicUsize) -> bool {
        handles.fetch_sub(1, Ordering::AcqRel) == 1
    }
}
