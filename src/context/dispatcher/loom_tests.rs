//! Loom models of the dispatcher's message queue: producers on any thread,
//! one consumer that sleeps on the epoch. No message or signal may be lost,
//! and a closing queue hands back every message it does not accept.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --lib --release dispatcher::loom_tests`

use super::queue::{Message, MessageQueue, Posted};
use crate::context::ExecutionContext;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;
use std::panic::Location;

fn posted() -> Message {
    Message::Post(Posted {
        work: Box::new(|| {}),
        context: ExecutionContext::default(),
        origin: None,
        location: Location::caller(),
        posted_during: None,
    })
}

/// The consumer's loop: read the epoch, look, sleep only if nothing
/// changed since the read.
fn receive(q: &MessageQueue, n: usize) {
    let mut got = 0;
    while got < n {
        let epoch = q.epoch();
        match q.pop() {
            Some(_) => got += 1,
            None => q.wait(epoch, None),
        }
    }
}

#[test]
fn two_producers_one_sleeping_consumer_lose_nothing() {
    loom::model(|| {
        let q = Arc::new(MessageQueue::new());
        let producers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || assert!(q.push(posted()).is_ok()))
            })
            .collect();
        receive(&q, 2);
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(q.len(), 0);
    });
}

#[test]
fn a_signal_without_a_message_wakes_the_consumer() {
    loom::model(|| {
        let q = Arc::new(MessageQueue::new());
        let done = Arc::new(AtomicBool::new(false));
        let signaller = {
            let (q, done) = (q.clone(), done.clone());
            thread::spawn(move || {
                // What a completing task's waker does for a blocked wait.
                done.store(true, Ordering::Release);
                q.signal();
            })
        };
        loop {
            let epoch = q.epoch();
            if done.load(Ordering::Acquire) {
                break;
            }
            q.wait(epoch, None);
        }
        signaller.join().unwrap();
    });
}

#[test]
fn closing_races_a_push_and_loses_nothing() {
    loom::model(|| {
        let q = Arc::new(MessageQueue::new());
        let producer = {
            let q = q.clone();
            thread::spawn(move || q.push(posted()).is_ok())
        };
        let drained = q.close();
        let accepted = producer.join().unwrap();
        // Accepted before the close: handed back by it. Refused: the push
        // returned it to its caller.
        assert_eq!(drained.len(), usize::from(accepted));
        assert!(q.push(posted()).is_err(), "closed stays closed");
    });
}

#[test]
fn a_sequence_number_still_names_its_message_while_producers_push() {
    loom::model(|| {
        let q = Arc::new(MessageQueue::new());
        assert!(q.push(posted()).is_ok());
        let producer = {
            let q = q.clone();
            thread::spawn(move || assert!(q.push(posted()).is_ok()))
        };
        // The joinable wait's pattern: read the keys, let go of the lock,
        // take one by its number.
        let keys = q.chain_keys();
        for (seq, _, _) in &keys {
            assert!(q.take(*seq).is_some(), "message {seq} vanished");
        }
        producer.join().unwrap();
        assert_eq!(q.len() + keys.len(), 2);
    });
}
