//! Tour: async I/O keeps no thread waiting.
//!
//! The key point of .NET's async I/O: the OS tracks the operation, and a
//! thread resumes only when needed. Shown with thread counts:
//! 500 pending socket reads on a 2-worker runtime add no thread, while 50
//! blocking reads need 50 threads. And a waiting read ends when its
//! cancellation token fires, leaving the socket usable.

use std::time::Duration;
use tasklane::net::{TcpListener, TcpStream};
use tasklane::{CancellationTokenSource, Runtime, Task};

/// Threads of this process right now.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// What the threads of this process are, by name (Linux keeps the first
/// 15 bytes of each): "8: main, 2 workers of this runtime, …".
fn thread_breakdown() -> String {
    let mut names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                .map(|n| n.trim().to_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let count = |pred: &dyn Fn(&str) -> bool| names.iter().filter(|n| pred(n)).count();
    let workers = count(&|n| n.starts_with("io-") && n[3..].parse::<u32>().is_ok());
    let mut parts = vec![
        "the main thread".to_owned(),
        format!("{workers} workers of this runtime"),
    ];
    if count(&|n| n == "io-supervisor") > 0 {
        parts.push("its supervisor".to_owned());
    }
    let default = count(&|n| n.starts_with("tasklane-defaul"));
    if default > 0 {
        parts.push(format!(
            "{default} of the default runtime (its workers and supervisor, from the earlier sections)"
        ));
    }
    if count(&|n| n == "tasklane-timer") > 0 {
        parts.push("the timer thread".to_owned());
    }
    let known = |n: &str| {
        n == "tour"
            || n == "main"
            || n.starts_with("io-")
            || n.starts_with("tasklane-defaul")
            || n == "tasklane-timer"
    };
    let others = count(&|n| !known(n));
    if others > 0 {
        parts.push(format!("{others} other"));
    }
    format!("{}: {}", names.len(), parts.join(", "))
}

/// Runs the I/O part of the tour.
pub fn run() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .thread_name("io")
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        println!(
            "threads in this process: {} (no reactor thread: a parked worker waits on epoll)",
            thread_breakdown()
        );

        // 500 connections, each with a task waiting to read one byte.
        let mut readers = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..500 {
            let mut client = TcpStream::connect(addr).await.expect("connect");
            servers.push(listener.accept().await.expect("accept").0);
            readers.push(Task::run_async(async move {
                let mut byte = [0u8; 1];
                client.read(&mut byte).await.expect("read")
            }));
        }
        std::thread::sleep(Duration::from_millis(100));
        println!(
            "500 reads waiting for data: still {} threads (epoll holds the waits, not threads)",
            threads()
        );

        // The data arrives: the reactor wakes each task, a worker runs it.
        for mut s in servers {
            s.write_all(b"!").await.expect("write");
        }
        let mut done = 0;
        for r in readers {
            done += r.await.expect("reader");
        }
        println!(
            "data sent: all {done} reads completed, still {} threads",
            threads()
        );

        // A wait can also end by cancellation, and the socket survives it.
        let mut client = TcpStream::connect(addr).await.expect("connect");
        let (mut server, _) = listener.accept().await.expect("accept");
        let cts = CancellationTokenSource::with_delay(Duration::from_millis(20));
        let mut byte = [0u8; 1];
        let err = client
            .read_with_token(&mut byte, &cts.token())
            .await
            .expect_err("nothing was sent: the token ends the read");
        println!(
            "a read given a token cancelled after 20 ms: \"{err}\" (a cancellation: {})",
            tasklane::io::as_canceled(&err).is_some()
        );
        server.write_all(b"!").await.expect("write");
        client.read_exact(&mut byte).await.expect("read");
        println!(
            "the same socket then reads {:?}: a cancelled read takes nothing and breaks nothing",
            byte[0] as char
        );
    });

    // The blocking way, for contrast: one thread per waiting read.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let before = threads();
    let mut blocked = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..50 {
        let client = std::net::TcpStream::connect(addr).expect("connect");
        servers.push(listener.accept().expect("accept").0);
        blocked.push(std::thread::spawn(move || {
            let mut byte = [0u8; 1];
            std::io::Read::read(&mut &client, &mut byte).expect("read")
        }));
    }
    std::thread::sleep(Duration::from_millis(100));
    println!(
        "50 blocking std reads: {} threads (+{}: each waiting read holds a thread)",
        threads(),
        threads() - before
    );
    for s in &servers {
        std::io::Write::write_all(&mut &*s, b"!").expect("write");
    }
    for b in blocked {
        b.join().expect("blocked reader");
    }
}
