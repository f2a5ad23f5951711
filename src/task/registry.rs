//! Every live task of a scheduler, in a sharded intrusive list: shutdown
//! cancels what is pending, and diagnostics walk it.
//!
//! The registry holds one ref per task it lists. A task is added when it is
//! spawned (`bind`) and removed when it completes (`release`) or when
//! shutdown takes it out (`close_and_drain`).

use super::header::{Header, Links};
use super::raw::{RawTask, TaskRef};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use std::ptr::NonNull;

struct List {
    head: Option<NonNull<Header>>,
    len: usize,
}

// SAFETY: the list holds pointers to task headers, which are Sync; the
// pointers are only followed under the shard lock (rule 3 of header.rs).
unsafe impl Send for List {}

pub(crate) struct Registry {
    shards: Box<[Mutex<List>]>,
    closed: AtomicBool,
}

fn links(raw: RawTask) -> *mut Links {
    raw.header().links.with_mut(|l| l)
}

impl Registry {
    pub(crate) fn new(shards: usize) -> Registry {
        let shards = shards.max(1).next_power_of_two();
        Registry {
            shards: (0..shards)
                .map(|_| Mutex::new(List { head: None, len: 0 }))
                .collect(),
            closed: AtomicBool::new(false),
        }
    }

    /// Adds a task; the registry keeps the ref the caller counted for it.
    /// False (and nothing added) once closed.
    pub(crate) fn insert(&self, raw: RawTask) -> bool {
        let shard = self.shard_of(raw);
        let mut list = crate::loom::lock(&self.shards[shard]);
        // Checked under the shard lock: `close_and_drain` sets `closed` before
        // draining each shard under the same lock, so nothing slips in after.
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        // SAFETY: rule 3 (header.rs): we hold the shard lock; the new task is
        // in no list yet, so nobody else touches its links.
        unsafe {
            let l = &mut *links(raw);
            l.prev = None;
            l.next = list.head;
            l.linked = true;
            if let Some(old) = list.head {
                (*links(RawTask::from_header(old))).prev = Some(raw.header_ptr());
            }
        }
        list.head = Some(raw.header_ptr());
        list.len += 1;
        true
    }

    /// The shard a task lives in: derived from its address, so removal needs
    /// no unlocked read of the links.
    fn shard_of(&self, raw: RawTask) -> usize {
        let addr = raw.header_ptr().as_ptr() as usize;
        ((addr >> 7) ^ (addr >> 13)) & (self.shards.len() - 1)
    }

    /// Removes a task, returning the registry's ref; None if not listed.
    pub(crate) fn remove(&self, raw: RawTask) -> Option<TaskRef> {
        let mut list = crate::loom::lock(&self.shards[self.shard_of(raw)]);
        // SAFETY: rule 3: we hold the shard lock.
        unsafe {
            let l = &mut *links(raw);
            if !l.linked {
                return None;
            }
            match l.prev {
                Some(p) => (*links(RawTask::from_header(p))).next = l.next,
                None => list.head = l.next,
            }
            if let Some(n) = l.next {
                (*links(RawTask::from_header(n))).prev = l.prev;
            }
            *l = Links::unlinked();
        }
        list.len -= 1;
        Some(TaskRef::from_raw(raw))
    }

    /// Closes the registry to new tasks and hands every listed task (with
    /// the registry's ref) to `f`, one at a time, outside the lock.
    pub(crate) fn close_and_drain(&self, mut f: impl FnMut(TaskRef)) {
        self.closed.store(true, Ordering::Release);
        for shard in self.shards.iter() {
            loop {
                let task = {
                    let mut list = crate::loom::lock(shard);
                    let Some(head) = list.head else { break };
                    let raw = RawTask::from_header(head);
                    // SAFETY: rule 3: we hold the shard lock.
                    unsafe {
                        let l = &mut *links(raw);
                        list.head = l.next;
                        if let Some(n) = l.next {
                            (*links(RawTask::from_header(n))).prev = None;
                        }
                        *l = Links::unlinked();
                    }
                    list.len -= 1;
                    TaskRef::from_raw(raw)
                };
                f(task);
            }
        }
    }

    /// The id and spawn location of the listed task whose header is at
    /// `ptr`, if one is listed there (diagnostics: `ptr` may point to a task
    /// that finished and was freed, so it is only compared with the list's
    /// entries, never followed, until found under the shard lock, where the
    /// registry's ref keeps the task alive).
    pub(crate) fn describe(
        &self,
        ptr: *mut Header,
    ) -> Option<(u64, &'static std::panic::Location<'static>)> {
        let target = RawTask::from_header(NonNull::new(ptr)?);
        let list = crate::loom::lock(&self.shards[self.shard_of(target)]);
        let mut next = list.head;
        while let Some(h) = next {
            let raw = RawTask::from_header(h);
            if raw == target {
                let header = raw.header();
                return Some((header.id(), header.location));
            }
            // SAFETY: rule 3: we hold the shard lock, and every listed task
            // is alive (the registry holds a ref to it).
            next = unsafe { (*links(raw)).next };
        }
        None
    }

    /// How many tasks are listed.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| crate::loom::lock(s).len).sum()
    }
}

/// How many tasks a walk of a registry takes under one hold of a shard's
/// lock: a dump stops a spawn or a completion on that shard for no longer
/// than this many list steps (a few µs).
pub(crate) const WALK_BATCH: usize = 32;

impl Registry {
    /// Every listed task, with a ref of its own, in batches of
    /// [`WALK_BATCH`] per hold of a shard's lock. Tasks added during the
    /// walk may be missed, tasks that complete during it are still given
    /// (their refs keep them readable); none is given twice. Adds to
    /// `holds` how long each hold of a shard's lock lasted.
    pub(crate) fn snapshot(&self, out: &mut Vec<TaskRef>, holds: &mut Vec<std::time::Duration>) {
        self.snapshot_in_batches(out, holds, WALK_BATCH)
    }

    /// [`snapshot`](Self::snapshot), `batch` tasks per hold of a lock.
    pub(crate) fn snapshot_in_batches(
        &self,
        out: &mut Vec<TaskRef>,
        holds: &mut Vec<std::time::Duration>,
        batch: usize,
    ) {
        for shard in self.shards.iter() {
            let start = out.len();
            let mut cursor: Option<RawTask> = None;
            loop {
                // Room for a batch first: no reallocation under the lock.
                out.reserve(batch);
                let list = crate::loom::lock(shard);
                let held = std::time::Instant::now();
                let mut next = match cursor {
                    None => list.head,
                    Some(c) => {
                        // SAFETY: rule 3: we hold the shard lock; `c` is
                        // alive (our ref in `out`).
                        let l = unsafe { &*links(c) };
                        if l.linked {
                            l.next
                        } else {
                            // It left the list meanwhile: start over,
                            // skipping what was taken already.
                            drop(list);
                            holds.push(self.rewalk(shard, start, out));
                            break;
                        }
                    }
                };
                let mut taken = 0;
                while let Some(h) = next {
                    let raw = RawTask::from_header(h);
                    out.push(TaskRef::new_ref(raw));
                    cursor = Some(raw);
                    // SAFETY: rule 3: we hold the shard lock, and every
                    // listed task is alive (the registry holds a ref).
                    next = unsafe { (*links(raw)).next };
                    taken += 1;
                    if taken == batch {
                        break;
                    }
                }
                drop(list);
                holds.push(held.elapsed());
                if next.is_none() {
                    break;
                }
            }
        }
    }

    /// The rest of one shard after the walk lost its place: from the head,
    /// without the tasks at `out[start..]`.
    fn rewalk(
        &self,
        shard: &Mutex<List>,
        start: usize,
        out: &mut Vec<TaskRef>,
    ) -> std::time::Duration {
        let seen: std::collections::HashSet<usize> = out[start..]
            .iter()
            .map(|t| t.raw().header_ptr().as_ptr() as usize)
            .collect();
        let list = crate::loom::lock(shard);
        let held = std::time::Instant::now();
        let mut next = list.head;
        while let Some(h) = next {
            let raw = RawTask::from_header(h);
            if !seen.contains(&(h.as_ptr() as usize)) {
                out.push(TaskRef::new_ref(raw));
            }
            // SAFETY: rule 3: we hold the shard lock, and every listed task
            // is alive (the registry holds a ref).
            next = unsafe { (*links(raw)).next };
        }
        held.elapsed()
    }
}
