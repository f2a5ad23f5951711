//! 1,000 connections open at once on one 2-worker runtime, each echoing a
//! message; afterwards no task and no file descriptor is left behind.

mod common;

use common::{assert_no_leaks, open_fds, runtime, serial, start_default_runtime, with_deadline};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tasklane::net::{TcpListener, TcpStream};
use tasklane::{Task, TaskCompletionSource};

const CONNECTIONS: usize = 1_000;

#[test]
fn a_thousand_concurrent_connections_echo_and_leave_nothing_behind() {
    with_deadline("1000 connections", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        // After the runtime: its epoll fd, epoll clone and eventfd are its own.
        let fds = open_fds();
        let threads_before = thread_count();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = Task::run_async(async move {
                let mut handlers = Vec::with_capacity(CONNECTIONS);
                for _ in 0..CONNECTIONS {
                    let (mut conn, _) = listener.accept().await.unwrap();
                    handlers.push(Task::run_async(async move {
                        let mut buf = [0u8; 8];
                        loop {
                            match conn.read(&mut buf).await {
                                Ok(0) => return,
                                Ok(n) => conn.write_all(&buf[..n]).await.unwrap(),
                                Err(e) => panic!("server read: {e}"),
                            }
                        }
                    }));
                }
                for h in handlers {
                    h.await.unwrap();
                }
            });
            // Every client holds its connection open until all are open;
            // the last one to open releases them all.
            let all_open = Arc::new(TaskCompletionSource::<()>::new());
            let open = Arc::new(AtomicUsize::new(0));
            let clients: Vec<_> = (0..CONNECTIONS)
                .map(|i| {
                    let all_open = all_open.clone();
                    let open = open.clone();
                    Task::run_async(async move {
                        let mut conn = TcpStream::connect(addr).await.unwrap();
                        let msg = (i as u64).to_le_bytes();
                        conn.write_all(&msg).await.unwrap();
                        let mut back = [0u8; 8];
                        conn.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg);
                        if open.fetch_add(1, Ordering::SeqCst) + 1 == CONNECTIONS {
                            all_open.set_result(()).unwrap();
                        }
                        all_open.task().await.unwrap();
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
            server.await.unwrap();
        });
        // 2,000 sockets and no thread per connection: the pool did not grow.
        assert!(
            thread_count() <= threads_before,
            "threads grew: {} > {threads_before}",
            thread_count()
        );
        assert_no_leaks(&rt, fds, "1000 connections");
    });
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}
