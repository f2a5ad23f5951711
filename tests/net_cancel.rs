//! Cancellation tokens and deadlines on socket operations: a cancelled
//! read, write, readiness wait, accept, connect or receive ends Canceled
//! promptly (an
//! `io::Error` carrying the `CanceledError` and its token), the socket or
//! listener then still works, a connect to a listener whose backlog is full
//! times out, and a task whose body returns such an error ends Canceled.

mod common;

use common::{
    assert_no_leaks, leak_checked, open_fds, runtime, serial, start_default_runtime, with_deadline,
};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};
use tasklane::net::{TcpListener, TcpStream, UdpSocket};
use tasklane::{CancellationToken, CancellationTokenSource, Task, TaskStatus};

/// Far more than a cancellation needs (it is a wake-up and one poll), far
/// less than the 60 s watchdog: the machine is noisy.
const PROMPT: Duration = Duration::from_secs(10);
/// How long tests let an operation wait before cancelling it.
const WAIT_FIRST: Duration = Duration::from_millis(50);

/// Cancels `cts` after `WAIT_FIRST` from a pool task; the returned task
/// yields the instant it cancelled.
fn cancel_soon(cts: CancellationTokenSource) -> Task<Instant> {
    Task::run_async(async move {
        tasklane::time::delay(WAIT_FIRST).await;
        let at = Instant::now();
        cts.cancel().unwrap();
        at
    })
}

/// Asserts `err` is the cancellation of `token`.
fn assert_canceled_by(err: &std::io::Error, token: &CancellationToken) {
    let c = tasklane::io::as_canceled(err).unwrap_or_else(|| panic!("not a cancellation: {err}"));
    assert_eq!(c.token(), Some(token));
    assert_eq!(
        err.kind(),
        ErrorKind::Other,
        "never Interrupted: loops retry that"
    );
}

async fn pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
fn a_cancelled_read_ends_canceled_promptly_and_the_stream_still_reads() {
    with_deadline("cancelled read", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let (mut client, mut server) = pair(&listener).await;
            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let canceller = cancel_soon(cts);
            let mut buf = [0u8; 8];
            let err = client.read_with_token(&mut buf, &token).await.unwrap_err();
            let cancelled_at = canceller.await.unwrap();
            assert!(
                cancelled_at.elapsed() < PROMPT,
                "{:?}",
                cancelled_at.elapsed()
            );
            assert_canceled_by(&err, &token);

            server.write_all(b"after").await.unwrap();
            let mut back = [0u8; 5];
            client.read_exact(&mut back).await.unwrap();
            assert_eq!(&back, b"after");

            // An uncancelled token changes nothing.
            let idle = CancellationTokenSource::new();
            server.write_all(b"more").await.unwrap();
            let n = client
                .read_with_token(&mut buf, &idle.token())
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"more");
        });
        assert_no_leaks(&rt, fds, "cancelled read");
    });
}

#[test]
fn an_already_cancelled_token_reads_nothing() {
    with_deadline("pre-cancelled read", || {
        runtime().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let (mut client, mut server) = pair(&listener).await;
            server.write_all(b"kept").await.unwrap();
            client.readable().await.unwrap();
            let token = CancellationToken::new(true);
            let mut buf = [0u8; 4];
            let err = client.read_with_token(&mut buf, &token).await.unwrap_err();
            assert_canceled_by(&err, &token);
            let err = client
                .read_exact_with_token(&mut buf, &token)
                .await
                .unwrap_err();
            assert_canceled_by(&err, &token);
            // The data is still there for the next read.
            client.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"kept");
        });
    });
}

#[test]
fn cancelled_reads_and_writes_on_split_halves() {
    with_deadline("cancelled halves", || {
        runtime().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let (client, server) = pair(&listener).await;
            let (mut r, mut w) = client.into_split();
            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let canceller = cancel_soon(cts);
            let mut buf = [0u8; 4];
            let err = r.read_exact_with_token(&mut buf, &token).await.unwrap_err();
            assert_canceled_by(&err, &token);
            canceller.await.unwrap();

            // Fill the send buffers (the server never reads), so the write
            // half's next write waits; cancel it.
            let chunk = vec![1u8; 64 * 1024];
            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let canceller = cancel_soon(cts);
            let err = loop {
                match w.write_all_with_token(&chunk, &token).await {
                    Ok(()) => continue,
                    Err(e) => break e,
                }
            };
            assert_canceled_by(&err, &token);
            canceller.await.unwrap();

            // Drain the server side; a write then goes through again, and the
            // reader still reads.
            let (mut sr, mut sw) = server.into_split();
            let drain = Task::run_async(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut total = 0usize;
                loop {
                    let n = sr.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return total;
                    }
                    total += n;
                }
            });
            let n = w
                .write_with_token(b"tail", &CancellationToken::none())
                .await
                .unwrap();
            assert!(n > 0);
            sw.write_all(b"pong").await.unwrap();
            r.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"pong");
            drop(w);
            assert!(drain.await.unwrap() > 0);
        });
    });
}

/// Fills a send buffer (its peer never reads) until a write would block.
fn fill_send_buffer(mut try_write: impl FnMut(&[u8]) -> std::io::Result<usize>) {
    let chunk = vec![7u8; 64 * 1024];
    loop {
        match try_write(&chunk) {
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) => panic!("filling the send buffer: {e}"),
        }
    }
}

fn assert_would_block(r: std::io::Result<usize>) {
    match r {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        r => panic!("nothing was sent, yet the read said {r:?}"),
    }
}

/// Polls `op` once: true if it waits. Dropping it then is harmless (a
/// dropped read or write moves nothing), and the socket has learnt it is
/// not ready, so the next readiness wait is a real one.
fn waits<F: std::future::Future>(op: F) -> bool {
    let mut op = std::pin::pin!(op);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    op.as_mut().poll(&mut cx).is_pending()
}

// `readable`/`writable` may complete spuriously (an event racing the clear
// of a stale readiness; see `TcpStream::readable`): each wait below is
// retried after re-learning that the socket is not ready, until it ends
// Canceled.

#[test]
fn a_cancelled_readiness_wait_ends_canceled_promptly_and_the_stream_still_works() {
    leak_checked("cancelled readable/writable", || async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (mut client, mut server) = pair(&listener).await;
        let mut buf = [0u8; 8];

        // Readable: nothing was sent. A first try learns that (a new
        // socket is assumed ready), so the wait is a real one.
        assert_would_block(client.try_read(&mut buf));
        let cts = CancellationTokenSource::new();
        let token = cts.token();
        let canceller = cancel_soon(cts);
        let err = loop {
            match client.readable_with_token(&token).await {
                Ok(()) => assert_would_block(client.try_read(&mut buf)),
                Err(e) => break e,
            }
        };
        let cancelled_at = canceller.await.unwrap();
        assert!(
            cancelled_at.elapsed() < PROMPT,
            "{:?}",
            cancelled_at.elapsed()
        );
        assert_canceled_by(&err, &token);
        // Data sent afterwards: a wait with a live token sees it, and all
        // of it is read.
        server.write_all(b"after").await.unwrap();
        let live = CancellationTokenSource::new();
        client.readable_with_token(&live.token()).await.unwrap();
        let mut back = [0u8; 5];
        client.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"after");
        // An already-cancelled token wins even over data that is there.
        server.write_all(b"kept").await.unwrap();
        client.readable().await.unwrap();
        let err = client.readable_with_token(&token).await.unwrap_err();
        assert_canceled_by(&err, &token);
        client.read_exact(&mut buf[..4]).await.unwrap();
        assert_eq!(&buf[..4], b"kept");

        // Writable: the server does not read, so the client's send buffer
        // fills and stays full.
        fill_send_buffer(|b| client.try_write(b));
        let cts = CancellationTokenSource::new();
        let token = cts.token();
        let canceller = cancel_soon(cts);
        let err = loop {
            match client.writable_with_token(&token).await {
                Ok(()) => fill_send_buffer(|b| client.try_write(b)),
                Err(e) => break e,
            }
        };
        let cancelled_at = canceller.await.unwrap();
        assert!(cancelled_at.elapsed() < PROMPT);
        assert_canceled_by(&err, &token);
        // The server drains; the client can write again, and every byte
        // written before and after the cancellation arrives, in order.
        let (mut sr, sw) = server.into_split();
        let drain = Task::run_async(async move {
            let mut buf = vec![0u8; 64 * 1024];
            let mut got = Vec::new();
            loop {
                let n = sr.read(&mut buf).await.unwrap();
                if n == 0 {
                    return got;
                }
                got.extend_from_slice(&buf[..n]);
            }
        });
        client.writable_with_token(&live.token()).await.unwrap();
        client.write_all(b"end").await.unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let got = drain.await.unwrap();
        let (filled, end) = got.split_at(got.len() - 3);
        assert!(!filled.is_empty() && filled.iter().all(|&b| b == 7));
        assert_eq!(end, b"end");
        drop((client, sw));
    });
}

#[test]
fn cancelled_readiness_waits_on_split_halves() {
    with_deadline("cancelled halves readiness", || {
        runtime().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let (client, mut server) = pair(&listener).await;
            let (mut r, mut w) = client.into_split();

            // The read half: nothing was sent, so a read waits.
            let mut buf = [0u8; 4];
            assert!(waits(r.read(&mut buf)), "nothing was sent");
            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let canceller = cancel_soon(cts);
            let err = loop {
                match r.readable_with_token(&token).await {
                    Ok(()) => assert!(waits(r.read(&mut buf)), "nothing was sent"),
                    Err(e) => break e,
                }
            };
            let cancelled_at = canceller.await.unwrap();
            assert!(cancelled_at.elapsed() < PROMPT);
            assert_canceled_by(&err, &token);
            server.write_all(b"pong").await.unwrap();
            r.readable_with_token(&CancellationToken::none())
                .await
                .unwrap();
            r.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"pong");

            // The write half: write until a write waits (the server does
            // not read).
            let chunk = vec![7u8; 64 * 1024];
            while !waits(w.write(&chunk)) {}
            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let canceller = cancel_soon(cts);
            let err = loop {
                match w.writable_with_token(&token).await {
                    Ok(()) => while !waits(w.write(&chunk)) {},
                    Err(e) => break e,
                }
            };
            let cancelled_at = canceller.await.unwrap();
            assert!(cancelled_at.elapsed() < PROMPT);
            assert_canceled_by(&err, &token);
            // Drained, the write half writes again.
            let drain = Task::run_async(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut got = Vec::new();
                loop {
                    let n = server.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return got;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
            });
            w.writable_with_token(&CancellationToken::none())
                .await
                .unwrap();
            w.write_all(b"tail").await.unwrap();
            drop(w);
            let got = drain.await.unwrap();
            assert!(got.ends_with(b"tail") && got.len() > 4);
            drop(r);
        });
    });
}

#[test]
fn a_cancelled_accept_takes_no_connection_and_the_listener_still_accepts() {
    with_deadline("cancelled accept", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let canceller = cancel_soon(cts);
            let err = listener.accept_with_token(&token).await.unwrap_err();
            let cancelled_at = canceller.await.unwrap();
            assert!(cancelled_at.elapsed() < PROMPT);
            assert_canceled_by(&err, &token);

            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, peer) = listener
                .accept_with_token(&CancellationTokenSource::new().token())
                .await
                .unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
            drop((client, server));
        });
        assert_no_leaks(&rt, fds, "cancelled accept");
    });
}

#[test]
fn a_cancelled_udp_receive_leaves_the_datagram_for_the_next_one() {
    with_deadline("cancelled recv", || {
        runtime().block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let canceller = cancel_soon(cts);
            let mut buf = [0u8; 16];
            let err = b.recv_from_with_token(&mut buf, &token).await.unwrap_err();
            assert_canceled_by(&err, &token);
            canceller.await.unwrap();
            let err = b.recv_with_token(&mut buf, &token).await.unwrap_err();
            assert_canceled_by(&err, &token);
            let err = a
                .send_to_with_token(b"x", b.local_addr().unwrap(), &token)
                .await
                .unwrap_err();
            assert_canceled_by(&err, &token);

            let live = CancellationToken::none();
            a.send_to_with_token(b"ping", b.local_addr().unwrap(), &live)
                .await
                .unwrap();
            let (n, from) = b.recv_from_with_token(&mut buf, &live).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
            a.connect(b.local_addr().unwrap()).unwrap();
            b.connect(a.local_addr().unwrap()).unwrap();
            a.send_with_token(b"pong", &live).await.unwrap();
            let n = b.recv_with_token(&mut buf, &live).await.unwrap();
            assert_eq!(&buf[..n], b"pong");
        });
    });
}

/// A loopback listener that never accepts, with its accept queue full:
/// further SYNs are dropped, so a connect to it waits (retransmitting) as
/// one to a blackholed address does. Returns it, its address and the
/// connections that filled it.
async fn full_backlog_listener() -> (std::net::TcpListener, SocketAddr, Vec<TcpStream>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // Listening again only changes the backlog (Linux): the smallest queue.
    // SAFETY: a valid listening socket.
    assert_eq!(unsafe { libc::listen(l.as_raw_fd(), 0) }, 0);
    let addr = l.local_addr().unwrap();
    let mut fillers = Vec::new();
    loop {
        assert!(fillers.len() < 64, "the accept queue never filled");
        match TcpStream::connect_timeout(addr, Duration::from_millis(300)).await {
            Ok(s) => fillers.push(s),
            Err(e) if e.kind() == ErrorKind::TimedOut => return (l, addr, fillers),
            Err(e) => panic!("filling the backlog: {e}"),
        }
    }
}

#[test]
fn connect_times_out_and_cancels_against_a_full_backlog() {
    with_deadline("connect timeout", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let (listener, addr, fillers) = full_backlog_listener().await;

            let start = Instant::now();
            let timeout = Duration::from_millis(200);
            let err = TcpStream::connect_timeout(addr, timeout).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
            assert!(start.elapsed() >= timeout, "never early");
            assert!(start.elapsed() < timeout + PROMPT, "{:?}", start.elapsed());

            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let canceller = cancel_soon(cts);
            let err = TcpStream::connect_with_token(addr, &token)
                .await
                .unwrap_err();
            let cancelled_at = canceller.await.unwrap();
            assert!(cancelled_at.elapsed() < PROMPT);
            assert_canceled_by(&err, &token);

            drop((listener, fillers));
        });
        // The half-open sockets of the timed-out and cancelled connects
        // were closed with their futures.
        assert_no_leaks(&rt, fds, "connect timeout");
    });
}

#[test]
fn a_connect_that_succeeds_in_time_is_unaffected() {
    with_deadline("connect in time", || {
        runtime().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let s = TcpStream::connect_with_token(addr, &CancellationTokenSource::new().token())
                .await
                .unwrap();
            assert_eq!(s.peer_addr().unwrap(), addr);
            // A refused connect keeps its own error under a deadline.
            let closed = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap()
            };
            let err = TcpStream::connect_timeout(closed, Duration::from_secs(30))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        });
    });
}

#[test]
fn a_task_whose_socket_operation_was_cancelled_ends_canceled() {
    with_deadline("task canceled", || {
        let rt = runtime();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let read_until = |mut s: TcpStream, token: CancellationToken| async move {
                let mut buf = [0u8; 4];
                s.read_with_token(&mut buf, &token).await?;
                Ok::<_, std::io::Error>(())
            };

            // As a C# async method: any cancellation ends the task Canceled.
            let (client, _server) = pair(&listener).await;
            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let task = Task::try_run_async(read_until(client, token.clone()));
            cancel_soon(cts).await.unwrap();
            let task = task.completion().await;
            assert_eq!(task.status(), TaskStatus::Canceled);
            let err = task.into_output().await.unwrap_err();
            assert_eq!(err.as_canceled().unwrap().token(), Some(&token));

            // Started with that token: Canceled too.
            let (client, _server) = pair(&listener).await;
            let cts = CancellationTokenSource::new();
            let token = cts.token();
            let task = Task::try_run_async_with_token(read_until(client, token.clone()), &token);
            cancel_soon(cts).await.unwrap();
            assert_eq!(task.completion().await.status(), TaskStatus::Canceled);

            // Started with another token: .NET's rule makes it a fault.
            let (client, _server) = pair(&listener).await;
            let cts = CancellationTokenSource::new();
            let task = Task::try_run_async_with_token(
                read_until(client, cts.token()),
                &CancellationTokenSource::new().token(),
            );
            cancel_soon(cts).await.unwrap();
            assert_eq!(task.completion().await.status(), TaskStatus::Faulted);

            // Any other I/O error still faults, and keeps its type.
            let (client, server) = pair(&listener).await;
            drop(server);
            let task = Task::try_run_async(async move {
                let mut client = client;
                client.read_exact(&mut [0u8; 4]).await
            });
            let task = task.completion().await;
            assert_eq!(task.status(), TaskStatus::Faulted);
            let err = task.exception().unwrap();
            let io = err.first().downcast_ref::<std::io::Error>().unwrap();
            assert_eq!(io.kind(), ErrorKind::UnexpectedEof);
        });
    });
}
