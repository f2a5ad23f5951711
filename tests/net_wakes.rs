//! Tasks that one I/O event wakes together are shared with the other
//! workers: the worker that handled the event queues them on itself and,
//! once its event turn is over, wakes a parked worker to steal the rest
//! (`pool/worker.rs`, `notify_after_events`).

mod common;

use common::with_deadline;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};
use tasklane::pool::PoolSettings;
use tasklane::{Runtime, Task};

/// How long a woken task spins waiting for a second one to run beside it.
/// Passing takes microseconds; a failure spins this long.
const SPIN_LIMIT: Duration = Duration::from_secs(10);

#[test]
fn tasks_one_event_wakes_reach_a_parked_worker() {
    with_deadline("one event's tasks spread", || {
        // Nothing but the notify may bring the second worker: no thread
        // injection for starvation, no hill climbing.
        let rt = Runtime::builder()
            .pool_settings(PoolSettings {
                workers: 2,
                starvation_window: Duration::from_secs(3600),
                hill_climbing: false,
                ..PoolSettings::default()
            })
            .build()
            .expect("runtime");
        rt.block_on(async {
            let listener = tasklane::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            // A new socket is assumed readable: prove it is not, so that
            // every `readable()` below waits for the event.
            let err = stream.try_read(&mut [0u8; 1]).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
            let stream = Arc::new(stream);
            let waiting = Arc::new(AtomicUsize::new(0));
            let running = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..4)
                .map(|_| {
                    let (stream, waiting, running) =
                        (stream.clone(), waiting.clone(), running.clone());
                    Task::run_async(async move {
                        let ready = stream.readable();
                        waiting.fetch_add(1, SeqCst);
                        ready.await.unwrap();
                        running.fetch_add(1, SeqCst);
                        // CPU work with no await: only another worker can
                        // run a second woken task meanwhile.
                        let start = Instant::now();
                        while running.load(SeqCst) < 2 && start.elapsed() < SPIN_LIMIT {
                            std::hint::spin_loop();
                        }
                        running.load(SeqCst) >= 2
                    })
                })
                .collect();
            // Let every task reach its wait and both workers park (one in
            // the reactor, one on its condvar).
            while waiting.load(SeqCst) < 4 {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(100));
            // One byte: one event, four waiters woken in one turn.
            peer.write_all(b"x").unwrap();
            for t in tasks {
                assert!(
                    t.await.unwrap(),
                    "a task woken by the event ran alone for {SPIN_LIMIT:?}: no worker came to share the turn's tasks"
                );
            }
        });
    });
}
