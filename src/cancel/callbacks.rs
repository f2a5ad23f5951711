//! The callback list of one source: a slab of nodes threaded into a doubly
//! linked list, newest first, so that registration, removal and the
//! LIFO pop of `cancel()` are all O(1) and allocation-free once the slab has
//! grown to the peak number of live registrations.
//!
//! Only ever touched under the source's lock (see `state.rs`).

use super::small_fn::SmallFn;
use super::state::Inner;
use crate::context::ExecutionContext;
use std::sync::Arc;
use std::task::Waker;

/// No node.
const NIL: u32 = u32::MAX;

/// What runs when the token is cancelled.
pub(crate) enum Callback {
    /// A user callback, run under the execution context captured when it was
    /// registered. C#: `CancellationToken.Register(Action)`.
    User {
        f: SmallFn,
        context: ExecutionContext,
    },
    /// An awaiter of the token (`cancelled()`, `run_until_cancelled`,
    /// `wait_async`): wake it. No context flows (C#: `UnsafeRegister`).
    Waker(Waker),
    /// Runtime code (a delay promise, a task's token): run without context
    /// flow. C#: `UnsafeRegister`.
    Internal(SmallFn),
    /// A linked source: cancel it too.
    Link(Arc<Inner>),
}

impl Callback {
    /// True for callbacks that are runtime plumbing rather than user code:
    /// they are still run when `cancel_with(true)` stops at a failure, so
    /// that nothing awaiting the token hangs.
    pub(crate) fn is_plumbing(&self) -> bool {
        matches!(self, Callback::Waker(_) | Callback::Internal(_))
    }
}

/// Where a registration lives: its node, and the registration's id (ids are
/// never reused, so a stale key can never name a newer registration).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) slot: u32,
    pub(crate) id: u64,
}

struct Node {
    /// The id of the registration in this node; 0 while the node is free.
    id: u64,
    prev: u32,
    /// Next older node (or next free node).
    next: u32,
    callback: Option<Callback>,
}

/// The registered callbacks of one source, newest first.
pub(crate) struct CallbackList {
    nodes: Vec<Node>,
    /// Newest registration.
    head: u32,
    /// First free node.
    free: u32,
    next_id: u64,
    len: usize,
}

impl CallbackList {
    pub(crate) const fn new() -> CallbackList {
        CallbackList {
            nodes: Vec::new(),
            head: NIL,
            free: NIL,
            next_id: 1,
            len: 0,
        }
    }

    /// Live registrations.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds `callback` as the newest registration.
    pub(crate) fn push(&mut self, callback: Callback) -> Key {
        let id = self.next_id;
        self.next_id += 1;
        let slot = if self.free != NIL {
            let slot = self.free;
            self.free = self.nodes[slot as usize].next;
            slot
        } else {
            let slot = u32::try_from(self.nodes.len())
                .ok()
                .filter(|&s| s != NIL)
                .expect("more than 4 billion live registrations on one token");
            self.nodes.push(Node {
                id: 0,
                prev: NIL,
                next: NIL,
                callback: None,
            });
            slot
        };
        let old_head = self.head;
        let node = &mut self.nodes[slot as usize];
        node.id = id;
        node.prev = NIL;
        node.next = old_head;
        node.callback = Some(callback);
        if old_head != NIL {
            self.nodes[old_head as usize].prev = slot;
        }
        self.head = slot;
        self.len += 1;
        Key { slot, id }
    }

    fn live(&self, key: Key) -> bool {
        self.nodes
            .get(key.slot as usize)
            .is_some_and(|n| n.id == key.id)
    }

    /// Removes the registration `key`, if it is still listed.
    pub(crate) fn remove(&mut self, key: Key) -> Option<Callback> {
        if !self.live(key) {
            return None;
        }
        Some(self.unlink(key.slot))
    }

    /// Takes the newest registration (`cancel()` runs them LIFO).
    pub(crate) fn pop_newest(&mut self) -> Option<(u64, Callback)> {
        if self.head == NIL {
            return None;
        }
        let slot = self.head;
        let id = self.nodes[slot as usize].id;
        Some((id, self.unlink(slot)))
    }

    /// The waker of registration `key`, if it is a listed awaiter.
    pub(crate) fn waker_mut(&mut self, key: Key) -> Option<&mut Waker> {
        if !self.live(key) {
            return None;
        }
        match &mut self.nodes[key.slot as usize].callback {
            Some(Callback::Waker(w)) => Some(w),
            _ => None,
        }
    }

    /// Empties the list, handing back the storage so the caller can drop the
    /// callbacks (user destructors) after releasing the lock.
    pub(crate) fn take_all(&mut self) -> CallbackList {
        std::mem::replace(self, CallbackList::new())
    }

    /// Consumes the list, yielding the callbacks newest first.
    pub(crate) fn into_newest_first(mut self) -> impl Iterator<Item = Callback> {
        std::iter::from_fn(move || self.pop_newest().map(|(_, c)| c))
    }

    fn unlink(&mut self, slot: u32) -> Callback {
        let (prev, next, callback) = {
            let node = &mut self.nodes[slot as usize];
            let callback = node
                .callback
                .take()
                .expect("a listed node holds a callback");
            node.id = 0;
            (node.prev, node.next, callback)
        };
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        } else {
            self.head = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
        let node = &mut self.nodes[slot as usize];
        node.prev = NIL;
        node.next = self.free;
        self.free = slot;
        self.len -= 1;
        callback
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn tagged(tag: u32, log: &Arc<std::sync::Mutex<Vec<u32>>>) -> Callback {
        let log = log.clone();
        Callback::Internal(SmallFn::new(move || log.lock().unwrap().push(tag)))
    }

    fn run(c: Callback) {
        match c {
            Callback::Internal(f) => f.call(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn pops_newest_first_and_skips_removed() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut list = CallbackList::new();
        let keys: Vec<Key> = (0..5).map(|i| list.push(tagged(i, &log))).collect();
        assert!(list.remove(keys[2]).is_some());
        assert!(list.remove(keys[2]).is_none(), "removed twice");
        // Slot reuse gets a new id: the stale key stays dead.
        let k5 = list.push(tagged(5, &log));
        assert_eq!(k5.slot, keys[2].slot);
        assert!(list.remove(keys[2]).is_none());
        assert_eq!(list.len(), 5);
        while let Some((_, c)) = list.pop_newest() {
            run(c);
        }
        assert_eq!(*log.lock().unwrap(), vec![5, 4, 3, 1, 0]);
        assert_eq!(list.len(), 0);
    }

    #[test]
    fn removing_head_tail_and_middle_keeps_links() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut list = CallbackList::new();
        let keys: Vec<Key> = (0..6).map(|i| list.push(tagged(i, &log))).collect();
        list.remove(keys[5]).map(run); // head
        list.remove(keys[0]).map(run); // tail
        list.remove(keys[3]).map(run); // middle
        log.lock().unwrap().clear();
        for c in list.take_all().into_newest_first() {
            run(c);
        }
        assert_eq!(*log.lock().unwrap(), vec![4, 2, 1]);
    }
}
