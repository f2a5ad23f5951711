//! The dispatcher's message queue: many producers (any thread may post or
//! wake a task), one consumer (the dispatcher's thread).
//!
//! Every change a sleeping consumer must see — a message pushed, the queue
//! closed, a `signal` (the task a blocking wait waits for completed, or
//! shutdown was asked) — bumps `epoch` under the lock and notifies the
//! condvar if the consumer sleeps. The consumer reads the epoch *before*
//! looking at the queue and sleeps only while it is unchanged, so nothing
//! that happens between its look and its sleep is lost.
//!
//! Only the consumer removes messages, so a sequence number read under the
//! lock still names the same message after the lock was released (the
//! joinable wait inspects the queue without holding the lock).

use crate::context::ExecutionContext;
use crate::context::sync_context::Work;
use crate::loom::sync::{Condvar, Mutex};
use crate::task::raw::{Notified, RawTask, TaskRef};
use std::collections::VecDeque;
use std::panic::Location;
use std::time::{Duration, Instant};

/// A closure posted to the dispatcher.
pub(crate) struct Posted {
    pub(crate) work: Work,
    /// The ExecutionContext captured at `post`, run around `work`.
    pub(crate) context: ExecutionContext,
    /// The task that posted it, if any: its chain owns the message (see
    /// `joinable/README.md`).
    pub(crate) origin: Option<TaskRef>,
    /// Posted from the dispatcher's own thread, outside any task, while it
    /// ran the posted closure with this run number (`Shared::running_post`):
    /// the code of that closure posted it, and a wait blocked inside it
    /// knows (work an event handler posted, then blocked on).
    pub(crate) posted_during: Option<u64>,
    pub(crate) location: &'static Location<'static>,
}

/// One message: a task to poll, or a posted closure.
pub(crate) enum Message {
    Task(Notified),
    Post(Posted),
}

impl Message {
    /// The task whose chain this message belongs to: the task itself, or
    /// the posted closure's origin.
    pub(crate) fn chain_key(&self) -> Option<RawTask> {
        match self {
            Message::Task(n) => Some(n.raw()),
            Message::Post(p) => p.origin.as_ref().map(TaskRef::raw),
        }
    }
}

struct Entry {
    seq: u64,
    message: Message,
}

struct Inner {
    items: VecDeque<Entry>,
    next_seq: u64,
    epoch: u64,
    closed: bool,
    /// The consumer waits on the condvar.
    sleeping: bool,
}

pub(crate) struct MessageQueue {
    inner: Mutex<Inner>,
    cvar: Condvar,
}

impl MessageQueue {
    pub(crate) fn new() -> MessageQueue {
        MessageQueue {
            inner: Mutex::new(Inner {
                items: VecDeque::new(),
                next_seq: 0,
                epoch: 0,
                closed: false,
                sleeping: false,
            }),
            cvar: Condvar::new(),
        }
    }

    /// Appends a message; gives it back if the queue is closed.
    pub(crate) fn push(&self, message: Message) -> Result<(), Message> {
        let mut g = crate::loom::lock(&self.inner);
        if g.closed {
            return Err(message);
        }
        let seq = g.next_seq;
        g.next_seq += 1;
        g.items.push_back(Entry { seq, message });
        self.changed(g);
        Ok(())
    }

    /// Wakes the consumer without a message: something it waits for
    /// happened.
    pub(crate) fn signal(&self) {
        let g = crate::loom::lock(&self.inner);
        self.changed(g);
    }

    /// Bumps the epoch; wakes the consumer if it sleeps. The notify comes
    /// after the lock is released, so the woken consumer does not block on
    /// it at once. Nothing is lost: a consumer that set `sleeping` under the
    /// lock was already waiting on the condvar when we saw the flag (the
    /// wait releases the lock atomically), and one that wakes early for
    /// another reason sees the new epoch and does not sleep again.
    fn changed(&self, mut g: crate::loom::sync::MutexGuard<'_, Inner>) {
        g.epoch = g.epoch.wrapping_add(1);
        let sleeping = g.sleeping;
        drop(g);
        if sleeping {
            self.cvar.notify_one();
        }
    }

    /// The change counter; read it before looking at the queue, pass it to
    /// [`wait`](Self::wait).
    pub(crate) fn epoch(&self) -> u64 {
        crate::loom::lock(&self.inner).epoch
    }

    /// Takes the oldest message (consumer only).
    pub(crate) fn pop(&self) -> Option<Message> {
        crate::loom::lock(&self.inner)
            .items
            .pop_front()
            .map(|e| e.message)
    }

    /// Takes the message numbered `seq`, if still queued (consumer only).
    pub(crate) fn take(&self, seq: u64) -> Option<Message> {
        let mut g = crate::loom::lock(&self.inner);
        let at = g.items.iter().position(|e| e.seq == seq)?;
        g.items.remove(at).map(|e| e.message)
    }

    /// Every queued message's number, chain key and `posted_during`,
    /// oldest first, each key with a ref of its own so it can be inspected
    /// after the lock is gone.
    pub(crate) fn chain_keys(&self) -> Vec<(u64, Option<TaskRef>, Option<u64>)> {
        let g = crate::loom::lock(&self.inner);
        g.items
            .iter()
            .map(|e| {
                let during = match &e.message {
                    Message::Post(p) => p.posted_during,
                    Message::Task(_) => None,
                };
                (e.seq, e.message.chain_key().map(TaskRef::new_ref), during)
            })
            .collect()
    }

    /// Where the oldest queued closure for which `pick(chain key,
    /// posted_during)` holds was posted.
    pub(crate) fn posted_where(
        &self,
        pick: impl Fn(Option<RawTask>, Option<u64>) -> bool,
    ) -> Option<&'static Location<'static>> {
        let g = crate::loom::lock(&self.inner);
        g.items.iter().find_map(|e| match &e.message {
            Message::Post(p) if pick(p.origin.as_ref().map(TaskRef::raw), p.posted_during) => {
                Some(p.location)
            }
            _ => None,
        })
    }

    /// True if `task` is queued here to be polled.
    pub(crate) fn holds_task(&self, task: RawTask) -> bool {
        let g = crate::loom::lock(&self.inner);
        g.items
            .iter()
            .any(|e| matches!(&e.message, Message::Task(n) if n.raw() == task))
    }

    /// Sleeps until the epoch moves past `seen` or `timeout` passes.
    pub(crate) fn wait(&self, seen: u64, timeout: Option<Duration>) {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut g = crate::loom::lock(&self.inner);
        while g.epoch == seen {
            g.sleeping = true;
            g = match deadline {
                None => self.cvar.wait(g).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        g.sleeping = false;
                        return;
                    }
                    self.cvar
                        .wait_timeout(g, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
            g.sleeping = false;
        }
    }

    /// Closes the queue to new messages and hands back what it held.
    pub(crate) fn close(&self) -> Vec<Message> {
        let mut g = crate::loom::lock(&self.inner);
        g.closed = true;
        let left = g.items.drain(..).map(|e| e.message).collect();
        self.changed(g);
        left
    }

    /// Messages queued now.
    pub(crate) fn len(&self) -> usize {
        crate::loom::lock(&self.inner).items.len()
    }
}
