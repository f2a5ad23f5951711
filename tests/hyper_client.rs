//! `examples/http_server.rs` driven by a real hyper client over tasklane's
//! sockets on loopback: keep-alive requests from several connections,
//! graceful shutdown (a request in flight finishes, idle connections close,
//! a silent one is closed at the drain deadline), Ctrl-C, and hyper's
//! header-read timeout firing through tasklane's `Timer`. After each: no
//! live tasks on the private runtime, no leaked file descriptors.

mod common;

#[path = "../examples/http_server.rs"]
#[allow(dead_code)]
mod http_server;

use bytes::Bytes;
use common::{assert_no_leaks, open_fds, runtime, serial, start_default_runtime, with_deadline};
use http_body::Body;
use http_server::{Full, Settings, Stopped, serve};
use hyper::client::conn::http1::{SendRequest, handshake};
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tasklane::net::{TcpListener, TcpStream};
use tasklane::{CancellationTokenSource, Task};

/// Far more than any step needs, far less than the 60 s watchdog.
const PROMPT: Duration = Duration::from_secs(10);

/// Settings whose timeouts never fire during a test unless it waits for
/// them on purpose.
fn patient() -> Settings {
    Settings {
        header_read_timeout: Duration::from_secs(30),
        drain_deadline: Duration::from_secs(30),
    }
}

/// A hyper client connection over a tasklane `TcpStream`; its connection
/// future runs as a task, which ends when either side closes.
async fn client(addr: SocketAddr) -> (SendRequest<Full>, Task<()>) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = handshake(stream).await.unwrap();
    let driver = Task::run_async(async move {
        // Errors here are the server closing on us: the tests check that
        // through the sender and the driver's completion.
        let _ = conn.await;
    });
    (sender, driver)
}

/// GET `path`; the status and the whole body.
async fn get(sender: &mut SendRequest<Full>, path: &str) -> (u16, Bytes) {
    sender.ready().await.unwrap();
    let req = hyper::Request::get(path)
        .header("host", "tasklane.test")
        .body(Full(None))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let mut all = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(data) = frame.unwrap().into_data() {
            all.extend_from_slice(&data);
        }
    }
    (status, all.into())
}

/// Starts `serve` on a fresh loopback listener as a task; its address, the
/// shutdown source and the server task.
fn start(settings: Settings) -> (SocketAddr, CancellationTokenSource, Task<Stopped>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationTokenSource::new();
    let token = stop.token();
    let server = Task::run_async(async move { serve(listener, token, settings).await.unwrap() });
    (addr, stop, server)
}

/// Waits until the server has read everything `client` sent (its end of
/// the connection has no unread bytes, per `/proc/net/tcp`), so a test
/// knows hyper has seen a partial request before it starts shutdown.
async fn until_the_server_has_read(client: &TcpStream) {
    let hex = |a: SocketAddr| format!("0100007F:{:04X}", a.port());
    let (server_end, client_end) = (
        hex(client.peer_addr().unwrap()),
        hex(client.local_addr().unwrap()),
    );
    let deadline = Instant::now() + PROMPT;
    loop {
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
        let unread = table.lines().find_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.len() > 4 && f[1] == server_end && f[2] == client_end)
                .then(|| f[4].split(':').nth(1).map(|q| q != "00000000"))
                .flatten()
        });
        if unread == Some(false) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server never read: {unread:?}"
        );
        tasklane::time::delay(Duration::from_millis(5)).await;
    }
}

/// Reads until the peer closes; everything it sent.
async fn read_to_close(s: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&all).into_owned(),
            Ok(n) => all.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn a_hyper_client_gets_hello_world_over_keep_alive_connections() {
    with_deadline("hyper client", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let (addr, stop, server) = start(patient());
            // One connection, several requests on it (keep-alive).
            let (mut sender, driver) = client(addr).await;
            for path in ["/", "/a", "/b/c"] {
                let (status, body) = get(&mut sender, path).await;
                assert_eq!((status, &body[..]), (200, &b"Hello, World!"[..]));
            }
            // Eight more connections at once.
            let others: Vec<_> = (0..8)
                .map(|_| {
                    Task::run_async(async move {
                        let (mut sender, driver) = client(addr).await;
                        for _ in 0..5 {
                            assert_eq!(get(&mut sender, "/").await.0, 200);
                        }
                        drop(sender);
                        driver.await.unwrap();
                    })
                })
                .collect();
            for t in others {
                t.await.unwrap();
            }
            // The first connection is idle (keep-alive) at shutdown: it is
            // closed at once, and the server reports it drained.
            let start = Instant::now();
            stop.cancel().unwrap();
            driver.await.unwrap();
            assert!(sender.is_closed());
            let stopped = server.await.unwrap();
            assert!(start.elapsed() < PROMPT, "{:?}", start.elapsed());
            // The eight closed by their clients may still be closing on the
            // server's side when shutdown begins: drained counts them then.
            assert_eq!((stopped.accepted, stopped.aborted), (9, 0), "{stopped:?}");
            assert!(stopped.drained >= 1, "{stopped:?}");
            // The listener is closed: a new connect is refused.
            let err = TcpStream::connect(addr).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
        });
        assert_no_leaks(&rt, fds, "hyper client");
    });
}

#[test]
fn graceful_shutdown_lets_the_request_in_flight_finish() {
    with_deadline("graceful", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let (addr, stop, server) = start(patient());
            let mut raw = TcpStream::connect(addr).await.unwrap();
            // Half a request head, then shutdown begins...
            raw.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
            until_the_server_has_read(&raw).await;
            stop.cancel().unwrap();
            // Let the shutdown reach the connection before the rest.
            tasklane::time::delay(Duration::from_millis(50)).await;
            // ...the rest arrives: the request is answered, then the
            // connection closes.
            raw.write_all(b"\r\n").await.unwrap();
            let resp = read_to_close(&mut raw).await;
            assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
            assert!(resp.ends_with("Hello, World!"), "{resp}");
            let stopped = server.await.unwrap();
            assert_eq!((stopped.drained, stopped.aborted), (1, 0), "{stopped:?}");
        });
        assert_no_leaks(&rt, fds, "graceful");
    });
}

#[test]
fn a_stalled_request_is_closed_at_the_drain_deadline() {
    with_deadline("drain deadline", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let drain = Duration::from_millis(300);
            let (addr, stop, server) = start(Settings {
                header_read_timeout: Duration::from_secs(30),
                drain_deadline: drain,
            });
            // Half a request head, then nothing: mid-request, so graceful
            // shutdown waits for it (the header-read timeout is far off).
            let mut raw = TcpStream::connect(addr).await.unwrap();
            raw.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
            until_the_server_has_read(&raw).await;
            // And a connection that has sent nothing yet: closed at once.
            let mut fresh = TcpStream::connect(addr).await.unwrap();
            let (mut sender, _driver) = client(addr).await;
            assert_eq!(get(&mut sender, "/").await.0, 200);
            let start = Instant::now();
            stop.cancel().unwrap();
            let stopped = server.await.unwrap();
            let took = start.elapsed();
            assert!(took >= drain, "the deadline, not earlier: {took:?}");
            assert!(took < drain + PROMPT, "{took:?}");
            assert_eq!(
                stopped,
                Stopped {
                    accepted: 3,
                    drained: 2,
                    aborted: 1
                }
            );
            assert_eq!(read_to_close(&mut raw).await, "", "closed without a word");
            assert_eq!(read_to_close(&mut fresh).await, "");
        });
        assert_no_leaks(&rt, fds, "drain deadline");
    });
}

#[test]
fn hyper_closes_connections_that_send_no_headers_through_tasklanes_timer() {
    with_deadline("header read timeout", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let timeout = Duration::from_millis(200);
            let (addr, stop, server) = start(Settings {
                header_read_timeout: timeout,
                drain_deadline: Duration::from_secs(30),
            });
            // Never sends anything.
            let start = Instant::now();
            let mut silent = TcpStream::connect(addr).await.unwrap();
            // Sends half a head and stalls.
            let mut stalled = TcpStream::connect(addr).await.unwrap();
            stalled.write_all(b"GET / HTTP/1.1\r\nHo").await.unwrap();
            assert_eq!(read_to_close(&mut silent).await, "");
            assert!(!read_to_close(&mut stalled).await.contains("200 OK"));
            let took = start.elapsed();
            assert!(took >= timeout, "never early: {took:?}");
            assert!(took < timeout + PROMPT, "{took:?}");

            // A keep-alive connection gets the same timeout for its next
            // request head once a response is sent.
            let (mut sender, driver) = client(addr).await;
            assert_eq!(get(&mut sender, "/").await.0, 200);
            let idle_since = Instant::now();
            driver.await.unwrap();
            assert!(idle_since.elapsed() >= timeout - Duration::from_millis(5));
            assert!(sender.is_closed());

            stop.cancel().unwrap();
            let stopped = server.await.unwrap();
            assert_eq!(
                stopped,
                Stopped {
                    accepted: 3,
                    drained: 0,
                    aborted: 0
                }
            );
        });
        assert_no_leaks(&rt, fds, "header read timeout");
    });
}

#[test]
fn ctrl_c_shuts_the_example_server_down() {
    with_deadline("ctrl-c", || {
        let _s = serial();
        start_default_runtime();
        // Installs the SIGINT handler for the process (it stays), so the
        // signal raised below can never kill the test binary.
        drop(tasklane::signal::ctrl_c());
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = Task::run_async(http_server::run_until_ctrl_c(listener, patient()));
            // A served request proves the server listens for Ctrl-C by now
            // (it does so before it serves).
            let (mut sender, driver) = client(addr).await;
            assert_eq!(get(&mut sender, "/").await.0, 200);
            // SAFETY: sending SIGINT to our own process, whose handler is
            // installed.
            assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGINT) }, 0);
            driver.await.unwrap();
            let stopped = server.into_output().await.unwrap().unwrap();
            assert_eq!((stopped.accepted, stopped.drained), (1, 1));
        });
        assert_no_leaks(&rt, fds, "ctrl-c");
    });
}
