//! `Channel<T>` as `System.Threading.Channels` defines it, and what
//! tasklane adds: nothing lost or duplicated under cancellation, every
//! misuse a typed error that hands the item back.

mod common;

use common::with_deadline;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tasklane::sync::{
    BoundedChannelFullMode, BoundedChannelOptions, Channel, ChannelOptionsError, ClosedReason,
    ReadError, TryReadError, TryWriteError, WriteError,
};
use tasklane::{CancellationTokenSource, Task, TaskStatus, block_on};

fn bounded<T>(capacity: usize) -> Channel<T> {
    Channel::bounded(BoundedChannelOptions::new(capacity)).unwrap()
}

#[test]
fn a_zero_capacity_is_an_error() {
    let r = Channel::<u8>::bounded(BoundedChannelOptions::new(0));
    assert_eq!(r.err(), Some(ChannelOptionsError::ZeroCapacity));
}

#[test]
fn writes_after_complete_fail_and_hand_the_item_back() {
    let Channel { writer, reader } = Channel::<String>::unbounded();
    writer.try_write("kept".into()).unwrap();
    writer.complete().unwrap();
    assert!(writer.complete().is_err(), "completing twice is an error");
    assert!(!writer.try_complete());
    match writer.try_write("late".into()) {
        Err(TryWriteError::Closed(item, e)) => {
            assert_eq!(item, "late");
            assert!(matches!(e.reason(), ClosedReason::Completed));
        }
        other => panic!("{other:?}"),
    }
    match block_on(writer.write_async("later".into())) {
        Err(WriteError::Closed(item, _)) => assert_eq!(item, "later"),
        other => panic!("{other:?}"),
    }
    // What was written before is still read, then the channel is closed.
    assert_eq!(reader.try_read().unwrap(), "kept");
    assert!(matches!(reader.try_read(), Err(TryReadError::Closed(_))));
    assert!(matches!(
        block_on(reader.read_async()),
        Err(ReadError::Closed(_))
    ));
    assert_eq!(reader.completion().status(), TaskStatus::RanToCompletion);
}

#[test]
fn completion_waits_for_the_drain_and_carries_the_writers_error() {
    let Channel { writer, reader } = bounded::<u32>(4);
    writer.try_write(1).unwrap();
    writer
        .complete_with(std::io::Error::other("source failed"))
        .unwrap();
    let completion = reader.completion();
    assert!(!completion.is_completed(), "an item is still unread");
    assert_eq!(reader.try_read().unwrap(), 1);
    let err = completion.wait().unwrap_err();
    assert_eq!(err.first().to_string(), "source failed");
    assert!(block_on(reader.wait_to_read_async()).is_err());
}

#[test]
fn dropping_every_writer_completes_and_every_reader_closes() {
    let Channel { writer, reader } = Channel::<u32>::unbounded();
    let second = writer.clone();
    drop(writer);
    second.try_write(7).unwrap();
    drop(second);
    assert_eq!(reader.try_read().unwrap(), 7);
    assert!(matches!(reader.try_read(), Err(TryReadError::Closed(_))));

    // A writer waiting on a full channel when the last reader goes gets its
    // item back.
    let Channel { writer, reader } = bounded::<u32>(1);
    writer.try_write(1).unwrap();
    let w =
        Task::run_async(async move { writer.write_async(2).await.map_err(WriteError::into_item) });
    std::thread::sleep(Duration::from_millis(20));
    drop(reader);
    assert_eq!(w.result().unwrap(), Err(2));
}

#[test]
fn full_modes_drop_as_named_and_report_the_dropped_item() {
    for (mode, expected, dropped) in [
        (BoundedChannelFullMode::DropNewest, vec![1, 3], vec![2]),
        (BoundedChannelFullMode::DropOldest, vec![2, 3], vec![1]),
        (BoundedChannelFullMode::DropWrite, vec![1, 2], vec![3]),
    ] {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let Channel { writer, reader } = Channel::bounded(
            BoundedChannelOptions::new(2)
                .full_mode(mode)
                .item_dropped(move |x| sink.lock().unwrap().push(x)),
        )
        .unwrap();
        for i in 1..=3 {
            writer.try_write(i).unwrap();
        }
        assert_eq!(reader.count(), 2);
        let read: Vec<i32> = (0..2).map(|_| reader.try_read().unwrap()).collect();
        assert_eq!(read, expected, "{mode:?}");
        assert_eq!(*seen.lock().unwrap(), dropped, "{mode:?}");
    }
    let Channel {
        writer,
        reader: _reader,
    } = bounded::<u8>(1);
    writer.try_write(1).unwrap();
    assert!(matches!(writer.try_write(2), Err(TryWriteError::Full(2))));
}

#[test]
fn peek_count_and_the_waits_to_read_and_write() {
    with_deadline("waits", || {
        let Channel { writer, reader } = bounded::<u32>(1);
        assert_eq!(reader.try_peek(), None);
        writer.try_write(5).unwrap();
        assert_eq!(reader.try_peek(), Some(5));
        assert_eq!(reader.count(), 1);
        assert!(block_on(reader.wait_to_read_async()).unwrap());
        let w = writer.clone();
        let waiting = Task::run_async(async move { w.wait_to_write_async().await });
        std::thread::sleep(Duration::from_millis(10));
        assert!(!waiting.is_completed(), "full: it waits");
        assert_eq!(reader.read().unwrap(), 5);
        assert!(waiting.result().unwrap());
        writer.complete().unwrap();
        assert!(!block_on(writer.wait_to_write_async()));
        assert!(!block_on(reader.wait_to_read_async()).unwrap());
    });
}

#[test]
fn a_canceled_write_hands_its_item_back_and_a_canceled_read_takes_nothing() {
    with_deadline("token", || {
        let Channel { writer, reader } = bounded::<String>(1);
        writer.try_write("first".into()).unwrap();
        let cts = CancellationTokenSource::with_delay(Duration::from_millis(20));
        match block_on(writer.write_async_with_token("second".into(), &cts.token())) {
            Err(WriteError::Canceled(item, c)) => {
                assert_eq!(item, "second");
                assert_eq!(c.token(), Some(&cts.token()));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(reader.try_read().unwrap(), "first");
        let cts = CancellationTokenSource::with_delay(Duration::from_millis(20));
        assert!(matches!(
            block_on(reader.read_async_with_token(&cts.token())),
            Err(ReadError::Canceled(_))
        ));
        writer.try_write("third".into()).unwrap();
        assert_eq!(reader.try_read().unwrap(), "third");
    });
}

#[test]
fn read_all_streams_until_the_channel_is_drained() {
    use futures_core::Stream;
    with_deadline("read_all", || {
        let Channel { writer, reader } = Channel::<u32>::unbounded();
        let t = Task::run_async(async move {
            let mut all = reader.read_all_async();
            let mut got = Vec::new();
            while let Some(x) =
                std::future::poll_fn(|cx| std::pin::Pin::new(&mut all).poll_next(cx)).await
            {
                got.push(x);
            }
            got
        });
        for i in 0..10 {
            writer.write(i).unwrap();
        }
        drop(writer);
        assert_eq!(t.result().unwrap(), (0..10).collect::<Vec<_>>());
    });
}

/// Polls `f` once: its output if ready; otherwise it is dropped (a
/// cancellation at a random point).
fn poll_once<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

#[test]
fn a_million_items_two_writers_two_readers_canceling_at_random_lose_nothing() {
    with_deadline("1M items", || {
        const PER_WRITER: u32 = 500_000;
        let Channel { writer, reader } = bounded::<(u8, u32)>(64);
        let writers: Vec<Task<()>> = (0..2u8)
            .map(|w| {
                let writer = writer.clone();
                Task::run_async(async move {
                    let mut seed = 0x9E37_79B9u32 ^ u32::from(w);
                    for i in 0..PER_WRITER {
                        let mut item = (w, i);
                        loop {
                            seed ^= seed << 13;
                            seed ^= seed >> 17;
                            seed ^= seed << 5;
                            // One write in 64 gives up when it would wait.
                            if seed % 64 == 0 {
                                match poll_once(writer.write_async(item)) {
                                    Some(r) => break r.unwrap(),
                                    None => continue, // canceled: the item is gone with it
                                }
                            }
                            let cts = CancellationTokenSource::new();
                            if seed % 97 == 0 {
                                cts.cancel().unwrap();
                            }
                            match writer.write_async_with_token(item, &cts.token()).await {
                                Ok(()) => break,
                                Err(WriteError::Canceled(back, _)) => item = back,
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                })
            })
            .collect();
        drop(writer);
        let readers: Vec<Task<Vec<(u8, u32)>>> = (0..2)
            .map(|r| {
                let reader = reader.clone();
                Task::run_async(async move {
                    let mut got = Vec::new();
                    let mut n = 0u32;
                    loop {
                        n += 1;
                        if (n + r) % 50 == 0 {
                            // Canceled at a random point: takes nothing.
                            if let Some(Ok(x)) = poll_once(reader.read_async()) {
                                got.push(x);
                            }
                            continue;
                        }
                        match reader.read_async().await {
                            Ok(x) => got.push(x),
                            Err(_) => return got,
                        }
                    }
                })
            })
            .collect();
        drop(reader);
        for w in writers {
            w.wait().unwrap();
        }
        let mut seen = vec![vec![false; PER_WRITER as usize]; 2];
        let mut total = 0usize;
        for r in readers {
            let got = r.result().unwrap();
            // Each writer's items reach each reader in the order written.
            let mut last = [None::<u32>; 2];
            for (w, i) in got {
                assert!(
                    last[w as usize].is_none_or(|l| l < i),
                    "order: writer {w} item {i}"
                );
                last[w as usize] = Some(i);
                assert!(!seen[w as usize][i as usize], "duplicate ({w}, {i})");
                seen[w as usize][i as usize] = true;
                total += 1;
            }
        }
        assert_eq!(total, 2 * PER_WRITER as usize, "items lost");
    });
}
