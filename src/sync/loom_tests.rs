//! Loom tests of the waiter-list protocol (`README.md`): the semaphore's
//! permits handed to queued waiters, a waiter canceled (its future dropped)
//! racing the release that gives it a permit, the mutex's hand-off, the
//! channel's reader and writer notifications racing a canceled read or
//! write, and the events' set racing a canceled waiter.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --lib --release sync::loom_tests`

use super::channel::{BoundedChannelOptions, Channel};
use super::{AsyncAutoResetEvent, AsyncManualResetEvent, AsyncMutex, SemaphoreSlim};
use loom::thread;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(f);
}

/// Polls once with a waker that does nothing.
fn poll_once<F: Future + ?Sized>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn a_canceled_semaphore_waiter_racing_a_release_loses_no_permit() {
    model(|| {
        let sem = Arc::new(SemaphoreSlim::new(0, 1).unwrap());
        let mut first = Box::pin(sem.clone().acquire_owned());
        assert!(poll_once(first.as_mut()).is_pending(), "no permit yet");
        // A second waiter behind it, blocked: a permit the first one drops
        // must reach it, or the model deadlocks.
        let s = sem.clone();
        let second = thread::spawn(move || drop(loom::future::block_on(s.acquire_owned())));
        let s = sem.clone();
        let releaser = thread::spawn(move || {
            s.release().unwrap();
        });
        drop(first); // the cancellation, racing the release
        releaser.join().unwrap();
        second.join().unwrap();
        assert_eq!(sem.current_count(), 1, "the permit came back");
    });
}

#[test]
fn semaphore_permits_are_never_granted_twice() {
    model(|| {
        let sem = Arc::new(SemaphoreSlim::new(1, 1).unwrap());
        let inside = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (sem, inside) = (sem.clone(), inside.clone());
                thread::spawn(move || {
                    loom::future::block_on(async {
                        let _p = sem.acquire_async().await;
                        let was = inside.fetch_add(1, loom::sync::atomic::Ordering::SeqCst);
                        assert_eq!(was, 0, "two holders of one permit");
                        inside.fetch_sub(1, loom::sync::atomic::Ordering::SeqCst);
                    })
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(sem.current_count(), 1);
    });
}

#[test]
fn the_mutex_hands_off_to_a_waiter_and_loses_no_increment() {
    model(|| {
        let m = Arc::new(AsyncMutex::new(0u32));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                thread::spawn(move || {
                    loom::future::block_on(async {
                        *m.lock_async().await += 1;
                    })
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(*m.try_lock().unwrap(), 2);
    });
}

#[test]
fn a_canceled_read_racing_a_write_takes_nothing() {
    model(|| {
        let Channel { writer, reader } = Channel::<u32>::unbounded();
        let mut read = Box::pin(reader.read_async());
        assert!(poll_once(read.as_mut()).is_pending(), "empty");
        let w = thread::spawn(move || writer.try_write(7).unwrap());
        drop(read); // the cancellation, racing the write's notification
        w.join().unwrap();
        assert_eq!(reader.try_read().unwrap(), 7, "the item is still there");
    });
}

#[test]
fn a_notified_reader_that_goes_away_passes_the_item_on() {
    model(|| {
        let Channel { writer, reader } = Channel::<u32>::unbounded();
        let mut first = Box::pin(reader.read_async());
        assert!(poll_once(first.as_mut()).is_pending());
        let r = reader.clone();
        let second = thread::spawn(move || loom::future::block_on(r.read_async()).unwrap());
        let w = thread::spawn(move || writer.try_write(7).unwrap());
        drop(first);
        w.join().unwrap();
        assert_eq!(second.join().unwrap(), 7, "the blocked reader got it");
    });
}

#[test]
fn a_full_bounded_channel_hands_room_to_its_waiting_writer() {
    model(|| {
        let Channel { writer, reader } =
            Channel::<u32>::bounded(BoundedChannelOptions::new(1)).unwrap();
        writer.try_write(1).unwrap();
        let w = thread::spawn(move || loom::future::block_on(writer.write_async(2)).unwrap());
        let r = thread::spawn(move || {
            let a = loom::future::block_on(reader.read_async()).unwrap();
            let b = loom::future::block_on(reader.read_async()).unwrap();
            (a, b)
        });
        w.join().unwrap();
        assert_eq!(r.join().unwrap(), (1, 2), "both, in order");
    });
}

#[test]
fn a_canceled_write_racing_a_read_wrote_nothing() {
    model(|| {
        let Channel { writer, reader } =
            Channel::<u32>::bounded(BoundedChannelOptions::new(1)).unwrap();
        writer.try_write(1).unwrap();
        let mut write = Box::pin(writer.write_async(2));
        assert!(poll_once(write.as_mut()).is_pending(), "full");
        let r = thread::spawn(move || reader.try_read().map(|v| (v, reader)));
        drop(write); // the cancellation, racing the read that makes room
        let (first, reader) = r.join().unwrap().unwrap();
        assert_eq!(first, 1);
        assert!(
            reader.try_read().is_err(),
            "the canceled write wrote nothing"
        );
        writer.try_write(3).unwrap();
    });
}

#[test]
fn an_auto_reset_set_given_to_a_canceled_waiter_goes_to_the_next() {
    model(|| {
        let e = Arc::new(AsyncAutoResetEvent::new(false));
        let mut first = Box::pin(e.wait_async());
        assert!(poll_once(first.as_mut()).is_pending());
        let e2 = e.clone();
        let second = thread::spawn(move || loom::future::block_on(e2.wait_async()));
        let e3 = e.clone();
        let setter = thread::spawn(move || e3.set());
        drop(first);
        setter.join().unwrap();
        second.join().unwrap();
        assert!(!e.is_set(), "one set, consumed once");
    });
}

#[test]
fn a_manual_reset_set_racing_a_wait_wakes_it() {
    model(|| {
        let e = Arc::new(AsyncManualResetEvent::new(false));
        let e2 = e.clone();
        let waiter = thread::spawn(move || loom::future::block_on(e2.wait_async()));
        e.set();
        waiter.join().unwrap();
        assert!(e.is_set());
    });
}
