//! Async I/O keeps no thread waiting: 200 pending reads on a 2-worker
//! runtime add no thread (the only test in this binary, so the process's
//! thread count is this test's alone).

mod common;

use common::with_deadline;
use std::time::Duration;
use tasklane::Runtime;
use tasklane::net::{TcpListener, TcpStream};

#[test]
fn pending_reads_hold_no_thread() {
    with_deadline("no thread per read", || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let before = threads();
            let mut readers = Vec::new();
            let mut peers = Vec::new();
            for _ in 0..200 {
                let mut c = TcpStream::connect(addr).await.unwrap();
                peers.push(listener.accept().await.unwrap().0);
                readers.push(tasklane::Task::run_async(async move {
                    let mut buf = [0u8; 1];
                    c.read(&mut buf).await.unwrap()
                }));
            }
            std::thread::sleep(Duration::from_millis(50));
            assert_eq!(threads(), before, "200 pending reads, no new thread");
            for mut p in peers {
                p.write_all(b"x").await.unwrap();
            }
            for r in readers {
                assert_eq!(r.await.unwrap(), 1);
            }
        });
    });
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}
