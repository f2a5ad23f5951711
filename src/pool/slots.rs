//! The worker slots: room for up to [`MAX_POSSIBLE_THREADS`] workers, each
//! slot (a local ring and a parker) made the first time a thread needs it
//! and reused by the next thread after its thread retires.
//!
//! # Implementation
//!
//! A two-level table of `OnceLock`s: a slot, once made, never moves or goes
//! away until the pool drops, so a `&Remote` stays valid for the pool's
//! life and thieves reach slot `i` with two acquire loads. `len` counts the
//! slots made so far; every slot below it is initialized (it is stored
//! before `len` is raised, with release ordering). Stealing and the queue
//! checks walk `0..len`; a slot whose thread retired has an empty ring.
//!
//! This is .NET's model (every pool thread has its own local queue, and
//! the pool grows and shrinks), not Tokio's fixed set of cores handed from
//! a blocked thread to a fresh one.

use super::park::Parker;
use super::queue;
use super::settings::MAX_POSSIBLE_THREADS;
use crate::loom::sync::atomic::AtomicU8;
use crate::task::header::Header;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Slots per second-level chunk.
const CHUNK: usize = 64;
const CHUNKS: usize = MAX_POSSIBLE_THREADS.div_ceil(CHUNK);

/// Keeps a value on cache lines of its own.
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

/// What a worker writes as it runs, on its own cache lines: only the
/// worker stores, the supervisor and the .NET counters read.
pub(crate) struct WorkerLine {
    /// Polls this worker ran (a plain load and store: one writer).
    polls: AtomicU64,
    /// The task of the poll in progress (or of the last one), stored
    /// before each poll: the supervisor's view of what a stuck worker runs.
    running: AtomicPtr<Header>,
    /// True while the worker is parked (or has no thread).
    parked: AtomicBool,
}

/// What other threads may touch of one worker.
pub(crate) struct Remote {
    pub(crate) steal: queue::Steal,
    pub(crate) parker: Parker,
    pub(crate) line: Padded<WorkerLine>,
    /// Whether, and why, this worker is counted as blocked (see
    /// `idle::BlockState`): part of the blocked-count protocol.
    pub(crate) block_state: AtomicU8,
    /// The OS thread id of the slot's thread (Linux), for the supervisor's
    /// look at whether a stuck thread sleeps in the kernel; 0 if unknown.
    tid: AtomicI32,
    /// The owner's end of the ring while no thread holds the slot.
    spare: Mutex<Option<queue::Local>>,
}

impl Remote {
    fn new(steal: queue::Steal) -> Remote {
        Remote {
            steal,
            parker: Parker::new(),
            line: Padded(WorkerLine {
                polls: AtomicU64::new(0),
                running: AtomicPtr::new(std::ptr::null_mut()),
                parked: AtomicBool::new(true),
            }),
            block_state: AtomicU8::new(0),
            tid: AtomicI32::new(0),
            spare: Mutex::new(None),
        }
    }

    /// Tasks in this worker's ring now (approximate).
    pub(crate) fn queued(&self) -> usize {
        self.steal.len()
    }

    /// The worker is about to poll `task` (called only by the worker: one
    /// relaxed store, the only cost the supervisor adds to a poll).
    #[inline]
    pub(crate) fn polling(&self, task: *mut Header) {
        self.line.0.running.store(task, Ordering::Relaxed);
    }

    /// The worker ran `n` more polls (called only by the worker).
    #[inline]
    pub(crate) fn polled(&self, n: u64) {
        let polls = &self.line.0.polls;
        polls.store(polls.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }

    /// Polls this worker has run.
    pub(crate) fn polls(&self) -> u64 {
        self.line.0.polls.load(Ordering::Relaxed)
    }

    /// The task of the poll in progress (or the last one); null before the
    /// first. Only a pointer: see `Registry::find` for reading it safely.
    pub(crate) fn running(&self) -> *mut Header {
        self.line.0.running.load(Ordering::Relaxed)
    }

    /// The worker parks (true) or wakes (false).
    pub(crate) fn set_parked(&self, parked: bool) {
        self.line.0.parked.store(parked, Ordering::Relaxed);
    }

    /// True while the worker is parked or the slot has no thread.
    pub(crate) fn is_parked(&self) -> bool {
        self.line.0.parked.load(Ordering::Relaxed)
    }

    /// Records the calling thread's OS id (called by the slot's thread).
    pub(crate) fn set_tid(&self, tid: i32) {
        self.tid.store(tid, Ordering::Relaxed);
    }

    /// The OS id of the slot's thread; 0 if unknown.
    pub(crate) fn tid(&self) -> i32 {
        self.tid.load(Ordering::Relaxed)
    }
}

/// One second-level chunk of [`CHUNK`] slots.
type Chunk = Box<[OnceLock<Box<Remote>>]>;

/// The table of worker slots.
pub(crate) struct Slots {
    chunks: Box<[OnceLock<Chunk>]>,
    /// Slots made so far; all of `0..len` are initialized.
    len: AtomicUsize,
    /// Slots made and now without a thread, and the next fresh index.
    free: Mutex<Vec<usize>>,
}

impl Slots {
    pub(crate) fn new() -> Slots {
        Slots {
            chunks: (0..CHUNKS).map(|_| OnceLock::new()).collect(),
            len: AtomicUsize::new(0),
            free: Mutex::new(Vec::new()),
        }
    }

    /// Slots made so far (threads with a slot, and retired slots).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Slot `i`, which must be below [`len`](Slots::len).
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &Remote {
        match self.chunks[i / CHUNK]
            .get()
            .and_then(|c| c[i % CHUNK].get())
        {
            Some(r) => r,
            None => unreachable!("slot {i} read before it was made"),
        }
    }

    /// Every slot made so far.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Remote> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// A slot for a new thread: a retired one if any, else a fresh one.
    /// Returns its index and the owner's end of its ring; `None` when all
    /// [`MAX_POSSIBLE_THREADS`] slots hold threads.
    pub(crate) fn acquire(&self) -> Option<(usize, queue::Local)> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = free.pop() {
            let local = self
                .get(i)
                .spare
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            match local {
                Some(local) => return Some((i, local)),
                None => unreachable!("a free slot keeps its ring's owner end"),
            }
        }
        // Fresh slots are made only here, under `free`'s lock: `len` is
        // ours to raise.
        let i = self.len.load(Ordering::Relaxed);
        if i >= MAX_POSSIBLE_THREADS {
            return None;
        }
        let (steal, local) = queue::local();
        let chunk = self.chunks[i / CHUNK].get_or_init(|| {
            (0..CHUNK)
                .map(|_| OnceLock::new())
                .collect::<Vec<_>>()
                .into_boxed_slice()
        });
        if chunk[i % CHUNK].set(Box::new(Remote::new(steal))).is_err() {
            unreachable!("slot {i} made twice");
        }
        // Publishes the slot to every walker of `0..len`.
        self.len.store(i + 1, Ordering::Release);
        Some((i, local))
    }

    /// A thread gave its slot back (its ring is empty).
    pub(crate) fn release(&self, i: usize, local: queue::Local) {
        let remote = self.get(i);
        remote.set_parked(true);
        *remote.spare.lock().unwrap_or_else(|p| p.into_inner()) = Some(local);
        self.free.lock().unwrap_or_else(|p| p.into_inner()).push(i);
    }
}
