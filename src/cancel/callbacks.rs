//! The callback list of one source: a slab of nodes threaded into a doubly
//! linked list, newest first, so that registration, removal and the
//! LIFO pop of `cancel()` are all O(1) and allocation-free once the slab has
//! grown to the peak number of live registrations. The slab grows in chunks,
//! so growing never copies the nodes already there.
//!
//! Only ever touched under the source's lock (see `state.rs`).

use super::small_fn::SmallFn;
use super::state::Inner;
use std::sync::Arc;
use std::task::Waker;

/// No node.
const NIL: u32 = u32::MAX;

/// Nodes per slab chunk (a power of two): 64 nodes of 48 bytes, 3 KiB.
const CHUNK_SHIFT: u32 = 6;
const CHUNK: usize = 1 << CHUNK_SHIFT;

/// What runs when the token is cancelled.
pub(crate) enum Callback {
    /// A user callback, run under the execution context captured when it was
    /// registered (a non-empty context is folded into the closure, so the
    /// common empty one costs no space). C#: `CancellationToken.Register`.
    User(SmallFn),
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

/// Where a registration lives: its node, and the node's generation when it
/// was made (bumped each time the node is freed, so a stale key does not name
/// a later registration in the same node).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key(u64);

impl Key {
    fn new(slot: u32, generation: u32) -> Key {
        Key(u64::from(slot) << 32 | u64::from(generation))
    }

    fn slot(self) -> usize {
        (self.0 >> 32) as usize
    }

    fn generation(self) -> u32 {
        self.0 as u32
    }
}

struct Node {
    /// Odd while the node holds a registration, even while it is free.
    generation: u32,
    prev: u32,
    /// Next older node (or next free node).
    next: u32,
    callback: Option<Callback>,
}

/// The registered callbacks of one source, newest first.
pub(crate) struct CallbackList {
    /// Boxed so that growing the table moves pointers, not nodes.
    #[allow(clippy::vec_box)]
    chunks: Vec<Box<[Node; CHUNK]>>,
    /// Nodes made so far (every slot below is in a chunk).
    made: u32,
    /// Newest registration.
    head: u32,
    /// First free node.
    free: u32,
    len: usize,
}

impl CallbackList {
    pub(crate) const fn new() -> CallbackList {
        CallbackList {
            chunks: Vec::new(),
            made: 0,
            head: NIL,
            free: NIL,
            len: 0,
        }
    }

    /// Live registrations.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn node(&self, slot: u32) -> &Node {
        &self.chunks[(slot >> CHUNK_SHIFT) as usize][slot as usize & (CHUNK - 1)]
    }

    #[inline]
    fn node_mut(&mut self, slot: u32) -> &mut Node {
        &mut self.chunks[(slot >> CHUNK_SHIFT) as usize][slot as usize & (CHUNK - 1)]
    }

    /// A free node's slot, making a new chunk if none is free.
    fn take_free(&mut self) -> u32 {
        if self.free != NIL {
            let slot = self.free;
            self.free = self.node(slot).next;
            return slot;
        }
        if self.made as usize == self.chunks.len() * CHUNK {
            assert!(
                self.made < NIL - CHUNK as u32,
                "more than 4 billion live registrations on one token"
            );
            let chunk: Box<[Node]> = (0..CHUNK)
                .map(|_| Node {
                    generation: 0,
                    prev: NIL,
                    next: NIL,
                    callback: None,
                })
                .collect();
            self.chunks.push(
                chunk
                    .try_into()
                    .unwrap_or_else(|_| unreachable!("CHUNK nodes")),
            );
        }
        self.made += 1;
        self.made - 1
    }

    /// Adds `callback` as the newest registration.
    #[inline]
    pub(crate) fn push(&mut self, callback: Callback) -> Key {
        let slot = self.take_free();
        let old_head = self.head;
        let node = self.node_mut(slot);
        node.generation = node.generation.wrapping_add(1);
        node.prev = NIL;
        node.next = old_head;
        node.callback = Some(callback);
        let key = Key::new(slot, node.generation);
        if old_head != NIL {
            self.node_mut(old_head).prev = slot;
        }
        self.head = slot;
        self.len += 1;
        key
    }

    fn live(&self, key: Key) -> bool {
        key.slot() < self.made as usize && {
            let n = self.node(key.slot() as u32);
            n.generation == key.generation() && n.generation % 2 == 1
        }
    }

    /// Removes the registration `key`, if it is still listed.
    pub(crate) fn remove(&mut self, key: Key) -> Option<Callback> {
        if !self.live(key) {
            return None;
        }
        Some(self.unlink(key.slot() as u32))
    }

    /// Takes the newest registration (`cancel()` runs them LIFO).
    #[inline]
    pub(crate) fn pop_newest(&mut self) -> Option<(Key, Callback)> {
        let slot = self.head;
        if slot == NIL {
            return None;
        }
        let free = self.free;
        let node = self.node_mut(slot);
        let key = Key::new(slot, node.generation);
        let callback = node
            .callback
            .take()
            .expect("a listed node holds a callback");
        node.generation = node.generation.wrapping_add(1);
        let next = std::mem::replace(&mut node.next, free);
        self.free = slot;
        self.head = next;
        if next != NIL {
            self.node_mut(next).prev = NIL;
        }
        self.len -= 1;
        Some((key, callback))
    }

    /// The waker of registration `key`, if it is a listed awaiter.
    pub(crate) fn waker_mut(&mut self, key: Key) -> Option<&mut Waker> {
        if !self.live(key) {
            return None;
        }
        match &mut self.node_mut(key.slot() as u32).callback {
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
            let node = self.node_mut(slot);
            let callback = node
                .callback
                .take()
                .expect("a listed node holds a callback");
            node.generation = node.generation.wrapping_add(1);
            (node.prev, node.next, callback)
        };
        if prev != NIL {
            self.node_mut(prev).next = next;
        } else {
            self.head = next;
        }
        if next != NIL {
            self.node_mut(next).prev = prev;
        }
        let free = self.free;
        let node = self.node_mut(slot);
        node.prev = NIL;
        node.next = free;
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
        // Node reuse gets a new generation: the stale key stays dead.
        let k5 = list.push(tagged(5, &log));
        assert_eq!(k5.slot(), keys[2].slot());
        assert!(list.remove(keys[2]).is_none());
        assert_eq!(list.len(), 5);
        while let Some((_, c)) = list.pop_newest() {
            run(c);
        }
        assert_eq!(*log.lock().unwrap(), vec![5, 4, 3, 1, 0]);
        assert_eq!(list.len(), 0);
    }

    #[test]
    fn grows_across_chunks_and_stays_compact() {
        assert!(
            size_of::<Node>() <= 48,
            "node is {} bytes",
            size_of::<Node>()
        );
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut list = CallbackList::new();
        let keys: Vec<Key> = (0..300).map(|i| list.push(tagged(i, &log))).collect();
        for k in keys.iter().step_by(3) {
            assert!(list.remove(*k).is_some());
        }
        let mut expected: Vec<u32> = (0..300).filter(|i| i % 3 != 0).rev().collect();
        // Freed nodes are reused before new chunks are made.
        let chunks = list.chunks.len();
        for i in 300..400 {
            list.push(tagged(i, &log));
        }
        assert_eq!(list.chunks.len(), chunks);
        expected.splice(0..0, (300..400).rev());
        while let Some((_, c)) = list.pop_newest() {
            run(c);
        }
        assert_eq!(*log.lock().unwrap(), expected);
    }

    #[test]
    fn removing_head_tail_and_middle_keeps_links() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut list = CallbackList::new();
        let keys: Vec<Key> = (0..6).map(|i| list.push(tagged(i, &log))).collect();
        for k in [keys[5], keys[0], keys[3]] {
            // Head, tail, middle.
            run(list.remove(k).unwrap());
        }
        log.lock().unwrap().clear();
        for c in list.take_all().into_newest_first() {
            run(c);
        }
        assert_eq!(*log.lock().unwrap(), vec![4, 2, 1]);
    }
}
