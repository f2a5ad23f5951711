//! Half-closed connections: after one side shuts down its write direction
//! the other reads end-of-stream and can still send; nothing leaks.

mod common;

use common::leak_checked;
use std::net::Shutdown;
use tasklane::Task;
use tasklane::net::{TcpListener, TcpStream};

#[test]
fn client_half_close_then_server_replies() {
    leak_checked("client half-close", || async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        // The server reads the whole request (until end of stream), then
        // answers with its length: the request's end is the client's FIN.
        let server = Task::run_async(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut total = 0usize;
            let mut buf = [0u8; 1024];
            loop {
                let n = conn.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                total += n;
            }
            // Reading again after end of stream stays at end of stream.
            assert_eq!(conn.read(&mut buf).await.unwrap(), 0);
            conn.write_all(total.to_string().as_bytes()).await.unwrap();
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(&[1u8; 10_000]).await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            let n = client.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        assert_eq!(answer, b"10000");
        server.await.unwrap();
    });
}

#[test]
fn dropping_the_write_half_half_closes_and_the_read_half_keeps_reading() {
    leak_checked("write half drop", || async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Task::run_async(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4];
            // The client's write half is gone: end of stream.
            assert_eq!(conn.read(&mut buf).await.unwrap(), 0);
            conn.write_all(b"still here").await.unwrap();
        });
        let (mut r, w) = TcpStream::connect(addr).await.unwrap().into_split();
        drop(w);
        let mut buf = [0u8; 10];
        r.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"still here");
        server.await.unwrap();
    });
}

#[test]
fn server_half_close_lets_the_client_keep_writing() {
    leak_checked("server half-close", || async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Task::run_async(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            conn.write_all(b"bye").await.unwrap();
            conn.shutdown(Shutdown::Write).unwrap();
            let mut buf = [0u8; 5];
            conn.read_exact(&mut buf).await.unwrap();
            buf
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 8];
        let n = client.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"bye");
        assert_eq!(client.read(&mut buf).await.unwrap(), 0);
        client.write_all(b"later").await.unwrap();
        assert_eq!(&server.await.unwrap(), b"later");
    });
}
