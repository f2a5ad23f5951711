//! TCP behaviour: echo, connect errors as typed io errors, split halves,
//! cancellation leaving the socket usable, nodelay/addresses/shutdown.

mod common;

use common::{leak_checked, runtime, with_deadline};
use std::future::Future;
use std::io::ErrorKind;
use std::net::Shutdown;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use tasklane::Task;
use tasklane::net::{TcpListener, TcpStream};

#[test]
fn echo_round_trips_and_addresses() {
    leak_checked("echo", || async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Task::run_async(async move {
            let (mut conn, peer) = listener.accept().await.unwrap();
            assert_eq!(conn.peer_addr().unwrap(), peer);
            let mut buf = [0u8; 64];
            loop {
                let n = conn.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                conn.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        assert_eq!(client.peer_addr().unwrap(), addr);
        for i in 0..100u32 {
            let msg = i.to_le_bytes();
            client.write_all(&msg).await.unwrap();
            let mut back = [0u8; 4];
            client.read_exact(&mut back).await.unwrap();
            assert_eq!(back, msg);
        }
        client.shutdown(Shutdown::Write).unwrap();
        server.await.unwrap();
    });
}

#[test]
fn connect_to_a_closed_port_is_connection_refused() {
    with_deadline("refused", || {
        let rt = runtime();
        rt.block_on(async {
            // Bind then drop: the port is (almost surely) closed now.
            let addr = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap()
            };
            let err = TcpStream::connect(addr).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        });
    });
}

#[test]
fn split_halves_work_from_two_tasks_and_reunite() {
    with_deadline("split", || {
        let rt = runtime();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = Task::run_async(async move {
                let (conn, _) = listener.accept().await.unwrap();
                let (mut r, mut w) = conn.into_split();
                let mut buf = [0u8; 3];
                r.read_exact(&mut buf).await.unwrap();
                w.write_all(&buf).await.unwrap();
                let conn = r.reunite(w).unwrap();
                drop(conn);
            });
            let client = TcpStream::connect(addr).await.unwrap();
            let (mut r, mut w) = client.into_split();
            let reader = Task::run_async(async move {
                let mut buf = [0u8; 3];
                r.read_exact(&mut buf).await.unwrap();
                let mut rest = [0u8; 1];
                // The server dropped its stream: end of stream.
                assert_eq!(r.read(&mut rest).await.unwrap(), 0);
                buf
            });
            w.write_all(b"abc").await.unwrap();
            assert_eq!(&reader.await.unwrap(), b"abc");
            server.await.unwrap();
        });
    });
}

#[test]
fn halves_of_two_streams_do_not_reunite() {
    with_deadline("reunite", || {
        let rt = runtime();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let a = TcpStream::connect(addr).await.unwrap();
            let b = TcpStream::connect(addr).await.unwrap();
            let (ra, _wa) = a.into_split();
            let (_rb, wb) = b.into_split();
            let err = ra.reunite(wb).unwrap_err();
            assert!(err.to_string().contains("two different"));
        });
    });
}

#[test]
fn a_cancelled_read_leaves_the_stream_usable() {
    with_deadline("cancel", || {
        let rt = runtime();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let mut client = TcpStream::connect(addr).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            // Poll a read once (nothing there: pending), then drop it.
            {
                let mut buf = [0u8; 8];
                let mut read = pin!(client.read(&mut buf));
                let mut cx = Context::from_waker(Waker::noop());
                assert!(matches!(read.as_mut().poll(&mut cx), Poll::Pending));
            }
            // A cancelled accept, too.
            {
                let mut accept = pin!(listener.accept());
                let mut cx = Context::from_waker(Waker::noop());
                assert!(matches!(accept.as_mut().poll(&mut cx), Poll::Pending));
            }
            server.write_all(b"after").await.unwrap();
            let mut buf = [0u8; 5];
            client.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"after");
        });
    });
}

#[test]
fn try_read_without_data_would_block() {
    with_deadline("try_read", || {
        let rt = runtime();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4];
            assert_eq!(
                client.try_read(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            server.writable().await.unwrap();
            assert_eq!(server.try_write(b"ping").unwrap(), 4);
            client.readable().await.unwrap();
            assert_eq!(client.try_read(&mut buf).unwrap(), 4);
        });
    });
}

#[test]
fn from_std_and_into_std_round_trip() {
    with_deadline("std", || {
        let rt = runtime();
        rt.block_on(async {
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let listener = TcpListener::from_std(std_listener).unwrap();
            let addr = listener.local_addr().unwrap();
            let std_client = std::net::TcpStream::connect(addr).unwrap();
            let mut client = TcpStream::from_std(std_client).unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let mut blocking = server.into_std().unwrap();
            std::io::Write::write_all(&mut blocking, b"hi").unwrap();
            let mut buf = [0u8; 2];
            client.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hi");
        });
    });
}

#[test]
fn futures_io_traits_are_implemented() {
    fn assert_io<T: tasklane::io::AsyncRead + tasklane::io::AsyncWrite + Send + Sync + Unpin>() {}
    assert_io::<TcpStream>();
    fn assert_read<T: tasklane::io::AsyncRead + Send + Unpin>() {}
    fn assert_write<T: tasklane::io::AsyncWrite + Send + Unpin>() {}
    assert_read::<tasklane::net::OwnedReadHalf>();
    assert_write::<tasklane::net::OwnedWriteHalf>();
}

/// One `poll_write_vectored` of `bufs`, awaited.
async fn write_vectored(stream: &mut TcpStream, bufs: &[std::io::IoSlice<'_>]) -> usize {
    std::future::poll_fn(|cx| {
        tasklane::io::AsyncWrite::poll_write_vectored(std::pin::Pin::new(&mut *stream), cx, bufs)
    })
    .await
    .unwrap()
}

/// Writes all of `parts` with vectored writes, advancing past partial ones.
async fn write_all_vectored(stream: &mut TcpStream, parts: &[&[u8]]) {
    use std::io::IoSlice;
    let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
    let mut bufs = &mut slices[..];
    while bufs.iter().any(|b| !b.is_empty()) {
        let n = write_vectored(stream, bufs).await;
        assert!(n > 0, "a vectored write of non-empty buffers wrote nothing");
        IoSlice::advance_slices(&mut bufs, n);
    }
}

#[test]
fn vectored_writes_arrive_in_order_whichever_syscall_sends_them() {
    leak_checked("vectored", || async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let near_limit = vec![b'a'; 4000];
        let over_limit = vec![b'o'; 5000];
        let huge = vec![b'b'; 70_000];
        // Small buffers gathered into one `send`, one non-empty buffer among
        // empty ones, a gather just under the limit (4 KiB), buffers over it
        // (`writev`), and a write larger than the socket buffer (partial
        // writes, advanced here).
        let cases: Vec<Vec<&[u8]>> = vec![
            vec![
                b"HTTP/1.1 200 OK\r\n",
                b"",
                b"content-length: 13\r\n\r\n",
                b"Hello, World!",
            ],
            vec![b"", b"only one", b""],
            vec![b"head:", &near_limit, b":tail"],
            vec![b"head:", &over_limit, b":tail"],
            vec![b"x", &huge],
        ];
        let expected: Vec<u8> = cases
            .iter()
            .flatten()
            .flat_map(|p| p.iter().copied())
            .collect();
        let total = expected.len();
        let reader = Task::run_async(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut got = vec![0u8; total];
            conn.read_exact(&mut got).await.unwrap();
            let mut rest = [0u8; 1];
            assert_eq!(
                conn.read(&mut rest).await.unwrap(),
                0,
                "bytes beyond the writes"
            );
            got
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let empty = write_vectored(&mut client, &[std::io::IoSlice::new(b""); 3]).await;
        assert_eq!(empty, 0, "empty buffers write nothing");
        for parts in &cases {
            write_all_vectored(&mut client, parts).await;
        }
        client.shutdown(Shutdown::Write).unwrap();
        let got = reader.await.unwrap();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "the bytes arrived out of order or changed");
    });
}
