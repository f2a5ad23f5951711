//! Suite "io" (docs/BENCHMARKS.md, workload 4): TCP echo on loopback, 64 connections ×
//! 10,000 round trips of 64 bytes, tasklane against the same program on
//! tokio, and against blocking sockets with a thread per connection (the
//! limit row); and HTTP/1 hello-world, hyper on tasklane against hyper on
//! tokio under `wrk` ([`http`]). Cost = 1 / throughput, in nanoseconds per
//! round trip or request (all connections together): ratio below 1.0 means
//! tasklane moves more per second.
//!
//! Each iteration runs the whole program (640,000 round trips, or five
//! alternating pairs of 1 s wrk runs), so this suite runs at most
//! `MAX_ITERS` timed iterations and one warm-up (`--iters`/`--warmup`
//! lower them).

mod http;

pub use http::serve as http_serve;

use crate::harness::{Opts, Row, compare};
use std::io::{Read, Write};
use std::net::SocketAddr;

/// Concurrent connections.
const CONNECTIONS: usize = 64;
/// Round trips per connection.
const ROUND_TRIPS: usize = 10_000;
/// Bytes per message.
const MESSAGE: usize = 64;
/// Timed iterations at most (each is a whole run).
const MAX_ITERS: usize = 5;

const TOTAL: f64 = (CONNECTIONS * ROUND_TRIPS) as f64;

/// The suite's rows.
pub fn run(opts: &Opts) -> Vec<Row> {
    let opts = Opts {
        iters: opts.iters.min(MAX_ITERS),
        warmup: opts.warmup.min(1),
        ..opts.clone()
    };
    let mut rows = Vec::new();
    for &w in &opts.workers {
        let name = format!("tcp_echo 64x10k x64B ({w} workers)");
        if !opts.wants(&name) {
            continue;
        }
        let tl = tasklane::Runtime::builder()
            .worker_threads(w)
            .build()
            .expect("tasklane runtime");
        let tk = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(w)
            .enable_io()
            .build()
            .expect("tokio runtime");
        let (a, b) = compare(&opts, || tasklane_echo(&tl), || tokio_echo(&tk));
        rows.push(Row {
            name,
            tasklane: a * 1000.0 / TOTAL,
            peer: b * 1000.0 / TOTAL,
            peer_name: "tokio".into(),
            unit: "ns",
        });
    }
    for &w in &opts.workers {
        rows.extend(http::rows(&opts, w));
    }
    let name = "tcp_echo limit: blocking threads".to_owned();
    if opts.wants(&name) {
        let w = opts.workers.first().copied().unwrap_or(2);
        let tl = tasklane::Runtime::builder()
            .worker_threads(w)
            .build()
            .expect("tasklane runtime");
        let (a, b) = compare(&opts, || tasklane_echo(&tl), blocking_echo);
        rows.push(Row {
            name,
            tasklane: a * 1000.0 / TOTAL,
            peer: b * 1000.0 / TOTAL,
            peer_name: "thread/conn".into(),
            unit: "ns",
        });
    }
    rows
}

pub fn tasklane_echo(rt: &tasklane::Runtime) {
    use tasklane::Task;
    use tasklane::net::{TcpListener, TcpStream};
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = Task::run_async(async move {
            for _ in 0..CONNECTIONS {
                let (mut conn, _) = listener.accept().await.expect("accept");
                conn.set_nodelay(true).expect("nodelay");
                drop(Task::run_async(async move {
                    let mut buf = [0u8; MESSAGE];
                    while conn.read_exact(&mut buf).await.is_ok() {
                        conn.write_all(&buf).await.expect("server write");
                    }
                }));
            }
        });
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                Task::run_async(async move {
                    let mut conn = TcpStream::connect(addr).await.expect("connect");
                    conn.set_nodelay(true).expect("nodelay");
                    let msg = [7u8; MESSAGE];
                    let mut buf = [0u8; MESSAGE];
                    for _ in 0..ROUND_TRIPS {
                        conn.write_all(&msg).await.expect("client write");
                        conn.read_exact(&mut buf).await.expect("client read");
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.expect("client");
        }
        server.await.expect("server");
    });
}

pub fn tokio_echo(rt: &tokio::runtime::Runtime) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            for _ in 0..CONNECTIONS {
                let (mut conn, _) = listener.accept().await.expect("accept");
                conn.set_nodelay(true).expect("nodelay");
                tokio::spawn(async move {
                    let mut buf = [0u8; MESSAGE];
                    while conn.read_exact(&mut buf).await.is_ok() {
                        conn.write_all(&buf).await.expect("server write");
                    }
                });
            }
        });
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                tokio::spawn(async move {
                    let mut conn = TcpStream::connect(addr).await.expect("connect");
                    conn.set_nodelay(true).expect("nodelay");
                    let msg = [7u8; MESSAGE];
                    let mut buf = [0u8; MESSAGE];
                    for _ in 0..ROUND_TRIPS {
                        conn.write_all(&msg).await.expect("client write");
                        conn.read_exact(&mut buf).await.expect("client read");
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.expect("client");
        }
        server.await.expect("server");
    });
}

/// The floor for comparison: blocking sockets, one thread per connection
/// on each side (128 threads).
pub fn blocking_echo() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let server = std::thread::spawn(move || {
        let mut handlers = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let (mut conn, _) = listener.accept().expect("accept");
            conn.set_nodelay(true).expect("nodelay");
            handlers.push(std::thread::spawn(move || {
                let mut buf = [0u8; MESSAGE];
                while conn.read_exact(&mut buf).is_ok() {
                    conn.write_all(&buf).expect("server write");
                }
            }));
        }
        handlers
            .into_iter()
            .for_each(|h| h.join().expect("handler"));
    });
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut conn = std::net::TcpStream::connect(addr).expect("connect");
                conn.set_nodelay(true).expect("nodelay");
                let msg = [7u8; MESSAGE];
                let mut buf = [0u8; MESSAGE];
                for _ in 0..ROUND_TRIPS {
                    conn.write_all(&msg).expect("client write");
                    conn.read_exact(&mut buf).expect("client read");
                }
            })
        })
        .collect();
    clients.into_iter().for_each(|c| c.join().expect("client"));
    server.join().expect("server");
}
