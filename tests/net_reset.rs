//! A peer that resets the connection (RST) mid-read: the reader gets a
//! typed `ConnectionReset` error (never a panic, never a hang), writers get
//! `BrokenPipe`/`ConnectionReset`, a connection reset before it is accepted
//! is a typed outcome that leaves the listener working, and nothing leaks.

mod common;

use common::{
    assert_no_leaks, leak_checked, open_fds, runtime, serial, start_default_runtime, with_deadline,
};
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use tasklane::Task;
use tasklane::net::{TcpListener, TcpStream};

/// Makes closing `s` send RST instead of FIN (SO_LINGER with timeout 0).
fn set_linger_zero(s: &std::net::TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket fd and a correctly sized option value.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER)");
}

#[test]
fn a_reset_mid_read_is_a_typed_error_and_leaks_nothing() {
    leak_checked("reset mid-read", || async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = Task::run_async(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            // Read what arrives until the connection fails.
            let mut got = Vec::new();
            let mut buf = [0u8; 16];
            let err = loop {
                match conn.read(&mut buf).await {
                    Ok(0) => panic!("a reset must not look like a clean end of stream"),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => break e,
                }
            };
            // Writing to the dead connection is an error too.
            let werr = conn.write_all(&[0u8; 1024]).await.unwrap_err();
            (got, err.kind(), werr.kind())
        });
        // The peer: a blocking std socket that sends half a message and
        // resets while the reader waits for the rest.
        let peer = std::net::TcpStream::connect(addr).unwrap();
        std::io::Write::write_all(&mut &peer, b"half").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        set_linger_zero(&peer);
        drop(peer);
        let (got, kind, wkind) = reader.await.unwrap();
        assert!(got.is_empty() || got == b"half", "{got:?}");
        assert_eq!(kind, ErrorKind::ConnectionReset);
        assert!(
            matches!(wkind, ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
            "{wkind:?}"
        );
    });
}

#[test]
fn a_reset_while_a_task_writes_is_a_typed_error() {
    leak_checked("reset mid-write", || async move {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let writer = Task::run_async(async move {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            // Fill the socket buffers until the peer's reset ends it.
            let chunk = vec![7u8; 64 * 1024];
            loop {
                if let Err(e) = conn.write_all(&chunk).await {
                    return e.kind();
                }
            }
        });
        let (peer, _) = listener.accept().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        set_linger_zero(&peer);
        drop(peer);
        let kind = writer.await.unwrap();
        assert!(
            matches!(kind, ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
            "{kind:?}"
        );
    });
}

#[test]
fn a_connection_reset_before_accept_is_a_typed_outcome_and_the_listener_goes_on() {
    with_deadline("reset before accept", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            // The handshake completes in the kernel; the client then resets
            // while the connection still waits in the accept queue.
            let early = std::net::TcpStream::connect(addr).unwrap();
            set_linger_zero(&early);
            drop(early);
            std::thread::sleep(std::time::Duration::from_millis(50));
            // BSDs and macOS report ECONNABORTED from accept (the
            // `ConnectionAborted` kind servers skip); Linux hands the dead
            // connection over and its first read reports the reset. Either
            // way: a typed outcome, never a panic or a hang.
            match listener.accept().await {
                Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionAborted, "{e}"),
                Ok((mut conn, _)) => {
                    let mut buf = [0u8; 8];
                    let r = conn.read(&mut buf).await;
                    assert!(
                        matches!(&r, Err(e) if e.kind() == ErrorKind::ConnectionReset),
                        "{r:?}"
                    );
                }
            }
            // The listener is as good as before.
            let late = Task::run_async(async move { TcpStream::connect(addr).await.unwrap() });
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut client = late.into_output().await.unwrap();
            client.write_all(b"ok").await.unwrap();
            let mut buf = [0u8; 2];
            conn.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ok");
        });
        assert_no_leaks(&rt, fds, "reset before accept");
    });
}
