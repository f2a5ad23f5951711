//! Loom tests of range stealing (`partition.rs`): an owner taking blocks
//! from its slot while a thief takes the upper half, and two thieves at
//! once: every iteration is handed out exactly once.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --lib --release parallel::loom_tests`

use super::partition::RangeClaimer;
use loom::thread;
use std::ops::Range;
use std::sync::Arc;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(2);
    b.check(f);
}

/// Everything `me` gets until nothing is left, in blocks of `n`.
fn drain(c: &RangeClaimer, me: Option<usize>, n: usize) -> Vec<Range<usize>> {
    let mut got = Vec::new();
    while let Some(r) = c.next(me, n, || 2) {
        got.push(r);
    }
    got
}

fn assert_once(parts: Vec<Vec<Range<usize>>>, range: Range<usize>) {
    let mut seen = vec![0u32; range.end];
    for r in parts.into_iter().flatten() {
        for i in r {
            seen[i] += 1;
        }
    }
    for i in range {
        assert_eq!(seen[i], 1, "iteration {i} handed out {} times", seen[i]);
    }
}

#[test]
fn an_owner_and_a_thief_share_a_range_without_overlap() {
    model(|| {
        let c = Arc::new(RangeClaimer::new(0..6, 2));
        let owner = c.join();
        let thief = c.join();
        // The owner's slot holds the whole range before the thief starts.
        let first = c.next(owner, 1, || 2).unwrap();
        let c2 = c.clone();
        let t = thread::spawn(move || drain(&c2, thief, 1));
        let mut mine = vec![first];
        mine.extend(drain(&c, owner, 1));
        let theirs = t.join().unwrap();
        assert_once(vec![mine, theirs], 0..6);
    });
}

#[test]
fn two_thieves_and_an_owner_hand_out_each_iteration_once() {
    model(|| {
        let c = Arc::new(RangeClaimer::new(0..3, 3));
        let ids: Vec<_> = (0..3).map(|_| c.join()).collect();
        let first = c.next(ids[0], 1, || 3).unwrap();
        let handles: Vec<_> = ids[1..]
            .iter()
            .map(|&me| {
                let c = c.clone();
                thread::spawn(move || drain(&c, me, 1))
            })
            .collect();
        let mut parts = vec![{
            let mut v = vec![first];
            v.extend(drain(&c, ids[0], 1));
            v
        }];
        for h in handles {
            parts.push(h.join().unwrap());
        }
        assert_once(parts, 0..3);
    });
}
