//! A bounded channel's steady state allocates nothing per message: a
//! producer task and a consumer task pass 100,000 messages through a
//! channel of capacity 64, both parking often (full, empty), and the
//! allocations of every thread are counted over the middle 80,000.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{ALLOCATIONS, COUNTING};
use std::sync::atomic::Ordering::SeqCst;
use tasklane::sync::{BoundedChannelOptions, Channel};
use tasklane::{Runtime, Task};

const MESSAGES: u64 = 100_000;
/// Counting starts after this many messages (the waiter lists and queues
/// reached their size) and stops this many before the end.
const WARM: u64 = 10_000;

#[test]
fn a_bounded_channel_allocates_nothing_per_message() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let _enter = rt.handle().enter();
    let Channel { writer, reader } =
        Channel::<u64>::bounded(BoundedChannelOptions::new(64)).unwrap();
    let producer = Task::run_async(async move {
        for i in 0..MESSAGES {
            writer.write_async(i).await.unwrap();
        }
    });
    let consumer = Task::run_async(async move {
        let mut expected = 0;
        while let Ok(v) = reader.read_async().await {
            assert_eq!(v, expected, "in order");
            expected += 1;
            if expected == WARM {
                ALLOCATIONS.store(0, SeqCst);
                COUNTING.store(true, SeqCst);
            }
            if expected == MESSAGES - WARM {
                COUNTING.store(false, SeqCst);
            }
        }
        expected
    });
    producer.wait().unwrap();
    assert_eq!(consumer.result().unwrap(), MESSAGES);
    let allocations = ALLOCATIONS.load(SeqCst);
    // The runtime's own threads may allocate now and then (a report, a
    // statistics sample); a message costing one would be 80,000.
    assert!(
        allocations <= 16,
        "{allocations} allocations for {} messages",
        MESSAGES - 2 * WARM
    );
}
