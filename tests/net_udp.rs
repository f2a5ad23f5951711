//! UDP: send_to/recv_from, connected send/recv, many receivers on one
//! socket, a cancelled receive leaving the socket usable, and a refused
//! connected send surfacing as a typed error.

mod common;

use common::{runtime, with_deadline};
use std::future::Future;
use std::io::ErrorKind;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use tasklane::Task;
use tasklane::net::UdpSocket;

#[test]
fn send_to_and_recv_from() {
    with_deadline("udp send_to", || {
        runtime().block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b_addr = b.local_addr().unwrap();
            let recv = Task::run_async(async move {
                let mut buf = [0u8; 32];
                let (n, from) = b.recv_from(&mut buf).await.unwrap();
                (buf[..n].to_vec(), from)
            });
            a.send_to(b"datagram", b_addr).await.unwrap();
            let (data, from) = recv.await.unwrap();
            assert_eq!(data, b"datagram");
            assert_eq!(from, a.local_addr().unwrap());
        });
    });
}

#[test]
fn connected_send_and_recv() {
    with_deadline("udp connect", || {
        runtime().block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            a.connect(b.local_addr().unwrap()).unwrap();
            b.connect(a.local_addr().unwrap()).unwrap();
            assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
            a.send(b"one").await.unwrap();
            let mut buf = [0u8; 8];
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"one");
        });
    });
}

#[test]
fn many_tasks_receive_on_one_socket() {
    with_deadline("udp many receivers", || {
        runtime().block_on(async {
            let server = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
            let addr = server.local_addr().unwrap();
            let receivers: Vec<_> = (0..8)
                .map(|_| {
                    let server = server.clone();
                    Task::run_async(async move {
                        let mut buf = [0u8; 8];
                        let (n, _) = server.recv_from(&mut buf).await.unwrap();
                        assert_eq!(n, 1, "one-byte datagrams");
                        buf[0] as usize
                    })
                })
                .collect();
            let client = UdpSocket::bind("127.0.0.1:0").unwrap();
            for i in 0..8u8 {
                client.send_to(&[i], addr).await.unwrap();
            }
            let mut got: Vec<usize> = Vec::new();
            for r in receivers {
                got.push(r.await.unwrap());
            }
            got.sort();
            assert_eq!(got, (0..8).collect::<Vec<_>>());
        });
    });
}

#[test]
fn a_cancelled_receive_leaves_the_socket_usable() {
    with_deadline("udp cancel", || {
        runtime().block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            {
                let mut buf = [0u8; 8];
                let mut recv = pin!(b.recv_from(&mut buf));
                let mut cx = Context::from_waker(Waker::noop());
                assert!(matches!(recv.as_mut().poll(&mut cx), Poll::Pending));
            }
            a.send_to(b"kept", b.local_addr().unwrap()).await.unwrap();
            let mut buf = [0u8; 8];
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"kept");
        });
    });
}

#[test]
fn sending_to_a_closed_port_reports_connection_refused() {
    with_deadline("udp refused", || {
        runtime().block_on(async {
            let closed = {
                let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                s.local_addr().unwrap()
            };
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            a.connect(closed).unwrap();
            a.send(b"anyone?").await.unwrap();
            // The ICMP port-unreachable comes back as the next receive's
            // error on a connected socket.
            let mut buf = [0u8; 8];
            let err = a.recv(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
            // The socket still works afterwards.
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            a.connect(b.local_addr().unwrap()).unwrap();
            b.send_to(b"ok", a.local_addr().unwrap()).await.unwrap();
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ok");
        });
    });
}
