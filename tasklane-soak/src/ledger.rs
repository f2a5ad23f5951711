//! The soak's ledger: one slot per task of a batch, counting how often the
//! task was seen to reach a final state (exactly once is right) and
//! whether it reached the one its kind should.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};
use tasklane::TaskStatus;

/// What one batch's tasks did.
pub struct Ledger {
    /// Final states seen per task (saturating at 255).
    ends: Vec<AtomicU8>,
    /// Runs of each task's body (or bodies), and how many its kind makes.
    bodies: Vec<AtomicU8>,
    expected_bodies: Vec<AtomicU8>,
    /// Tasks that ended in a state their kind never produces.
    wrong: AtomicUsize,
    /// Ends recorded (duplicates included); the batch is done at `len`.
    recorded: AtomicUsize,
    /// Taken by the recorder of the last end to wake `settle`.
    done: Mutex<()>,
    all_in: Condvar,
}

/// How the batch came out.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub lost: usize,
    pub duplicated: usize,
    pub wrong: usize,
}

impl Ledger {
    pub fn new(len: usize) -> Ledger {
        Ledger {
            ends: (0..len).map(|_| AtomicU8::new(0)).collect(),
            bodies: (0..len).map(|_| AtomicU8::new(0)).collect(),
            expected_bodies: (0..len).map(|_| AtomicU8::new(0)).collect(),
            wrong: AtomicUsize::new(0),
            recorded: AtomicUsize::new(0),
            done: Mutex::new(()),
            all_in: Condvar::new(),
        }
    }

    /// Task `i`'s kind runs its body (or bodies) `n` times.
    pub fn expect_body(&self, i: usize, n: u8) {
        self.expected_bodies[i].store(n, Ordering::Relaxed);
    }

    /// A body of task `i` ran.
    pub fn body(&self, i: usize) {
        let _ =
            self.bodies[i].fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_add(1));
    }

    /// Task `i` reached `status`; its kind expects `expected`.
    pub fn ended(&self, i: usize, status: TaskStatus, expected: TaskStatus) {
        if status != expected {
            self.wrong.fetch_add(1, Ordering::Relaxed);
            eprintln!("soak: task {i} ended {status:?}, expected {expected:?}");
        }
        let _ =
            self.ends[i].fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_add(1));
        if self.recorded.fetch_add(1, Ordering::AcqRel) + 1 == self.ends.len() {
            let _done = self.done.lock().unwrap();
            self.all_in.notify_all();
        }
    }

    /// Waits until every task recorded an end, or `limit` passes; then
    /// counts what was lost and duplicated.
    pub fn settle(&self, limit: Duration) -> Tally {
        let deadline = Instant::now() + limit;
        let mut done = self.done.lock().unwrap();
        while self.recorded.load(Ordering::Acquire) < self.ends.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            done = self.all_in.wait_timeout(done, left).unwrap().0;
        }
        drop(done);
        // Late duplicates would arrive right after the last end: give them
        // a moment.
        std::thread::sleep(Duration::from_millis(5));
        let mut tally = Tally {
            wrong: self.wrong.load(Ordering::Relaxed),
            ..Tally::default()
        };
        for (i, e) in self.ends.iter().enumerate() {
            let ends = e.load(Ordering::Acquire);
            let bodies = self.bodies[i].load(Ordering::Acquire);
            let expected = self.expected_bodies[i].load(Ordering::Acquire);
            if ends == 0 || bodies < expected {
                tally.lost += 1;
                eprintln!("soak: task {i} lost: {ends} end(s), body ran {bodies} of {expected}");
            } else if ends > 1 || bodies > expected {
                tally.duplicated += 1;
                eprintln!(
                    "soak: task {i} duplicated: {ends} end(s), body ran {bodies} of {expected}"
                );
            }
        }
        tally
    }
}
