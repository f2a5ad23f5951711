//! The global queue: work queued from outside the pool, `yield_now`, and a
//! full local ring's overflow. FIFO; workers take batches from it.

use super::queue::Overflow;
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::task::raw::{Notified, RawTask};
use std::collections::VecDeque;

/// The most tasks one `pop_batch` moves besides the one it returns.
pub(crate) const MAX_BATCH: usize = 32;

pub(crate) struct Inject {
    queue: Mutex<VecDeque<RawTask>>,
    /// Mirror of the queue length, read without the lock to skip empty
    /// checks on the hot path.
    len: AtomicUsize,
    closed: AtomicBool,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject {
            queue: Mutex::new(VecDeque::with_capacity(64)),
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pushes a task; at shutdown the task is dropped (it was canceled).
    pub(crate) fn push(&self, task: Notified) {
        let mut q = crate::loom::lock(&self.queue);
        if self.closed.load(Ordering::Acquire) {
            drop(q);
            drop(task);
            return;
        }
        q.push_back(task.into_raw());
        self.len.store(q.len(), Ordering::Release);
    }

    /// Pops one task.
    pub(crate) fn pop(&self) -> Option<Notified> {
        if self.is_empty() {
            return None;
        }
        let mut q = crate::loom::lock(&self.queue);
        let t = q.pop_front();
        self.len.store(q.len(), Ordering::Release);
        t.map(Notified)
    }

    /// Pops up to `max` tasks (at most [`MAX_BATCH`]): the first is
    /// returned, the rest handed to `rest` in order (the caller's local
    /// queue), outside the lock.
    pub(crate) fn pop_batch(&self, max: usize, mut rest: impl FnMut(Notified)) -> Option<Notified> {
        if self.is_empty() {
            return None;
        }
        let mut batch: [Option<RawTask>; MAX_BATCH] = [None; MAX_BATCH];
        let first = {
            let mut q = crate::loom::lock(&self.queue);
            let first = q.pop_front()?;
            let n = max.clamp(1, MAX_BATCH + 1).saturating_sub(1).min(q.len());
            for slot in batch.iter_mut().take(n) {
                *slot = q.pop_front();
            }
            self.len.store(q.len(), Ordering::Release);
            first
        };
        for t in batch.into_iter().map_while(|t| t) {
            rest(Notified(t));
        }
        Some(Notified(first))
    }

    /// Closes the queue and drops everything in it.
    pub(crate) fn close(&self) {
        let drained: Vec<RawTask> = {
            let mut q = crate::loom::lock(&self.queue);
            self.closed.store(true, Ordering::Release);
            self.len.store(0, Ordering::Release);
            q.drain(..).collect()
        };
        for t in drained {
            drop(Notified(t));
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Overflow for Inject {
    fn push_batch(&self, tasks: &mut dyn Iterator<Item = Notified>) {
        let mut q = crate::loom::lock(&self.queue);
        if self.closed.load(Ordering::Acquire) {
            drop(q);
            tasks.for_each(drop);
            return;
        }
        q.extend(tasks.map(Notified::into_raw));
        self.len.store(q.len(), Ordering::Release);
    }
}

impl Drop for Inject {
    fn drop(&mut self) {
        self.close();
    }
}
