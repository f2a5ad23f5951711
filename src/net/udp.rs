//! `UdpSocket`: datagrams sent and received without a thread waiting.

use crate::cancel::CancellationToken;
use crate::io::op::{Op, WithCancel};
use crate::io::poll_evented::PollEvented;
use crate::io::reactor::Interest;
use crate::net::addr::resolve;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// A UDP socket. Any number of tasks may send and receive on it at once
/// (`&self` methods).
///
/// ```
/// use tasklane::net::UdpSocket;
///
/// tasklane::block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0")?;
///     let b = UdpSocket::bind("127.0.0.1:0")?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0u8; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
///
/// C#: `System.Net.Sockets.UdpClient` / a datagram `Socket`.
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (port 0 picks a free port), trying each resolved
    /// address in turn. C#: `new UdpClient(endpoint)`.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last = None;
        for a in resolve(addr)? {
            match mio::net::UdpSocket::bind(a) {
                Ok(s) => {
                    return Ok(UdpSocket {
                        io: PollEvented::new(s)?,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "UdpSocket::bind: the address resolved to nothing",
            )
        }))
    }

    /// Wraps a bound std socket (switching it to non-blocking mode). C#:
    /// `new Socket(SafeSocketHandle)`.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: PollEvented::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// The local address. C#: `Socket.LocalEndPoint`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// The connected peer's address. C#: `Socket.RemoteEndPoint`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }

    /// Sets the default peer for [`send`](Self::send) and
    /// [`recv`](Self::recv), and filters received datagrams to it. C#:
    /// `UdpClient.Connect`.
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let mut last = None;
        for a in resolve(addr)? {
            match self.io.io().connect(a) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "UdpSocket::connect: the address resolved to nothing",
            )
        }))
    }

    /// Sends one datagram to `target`. C#: `Socket.SendToAsync`.
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        Op::shared(&self.io, Interest::Write, |s| s.send_to(buf, target)).await
    }

    /// Receives one datagram and its sender; bytes beyond `buf.len()` are
    /// discarded. Dropping the future before it completes receives nothing.
    /// C#: `Socket.ReceiveFromAsync`.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        Op::shared(&self.io, Interest::Read, |s| s.recv_from(buf)).await
    }

    /// Sends one datagram to the connected peer. C#: `Socket.SendAsync`.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        Op::shared(&self.io, Interest::Write, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer. C#:
    /// `Socket.ReceiveAsync`.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        Op::shared(&self.io, Interest::Read, |s| s.recv(buf)).await
    }

    /// [`send_to`](Self::send_to), ending Canceled when `token` fires (an
    /// `io::Error` whose inner error is the
    /// [`CanceledError`](crate::CanceledError) carrying `token`; nothing is
    /// sent then). C#: `Socket.SendToAsync(…, CancellationToken)`.
    pub async fn send_to_with_token(
        &self,
        buf: &[u8],
        target: SocketAddr,
        token: &CancellationToken,
    ) -> io::Result<usize> {
        WithCancel::token(self.send_to(buf, target), token).await
    }

    /// [`recv_from`](Self::recv_from), ending Canceled when `token` fires
    /// (nothing is received then: the next receive gets the datagram). C#:
    /// `Socket.ReceiveFromAsync(…, CancellationToken)`.
    pub async fn recv_from_with_token(
        &self,
        buf: &mut [u8],
        token: &CancellationToken,
    ) -> io::Result<(usize, SocketAddr)> {
        WithCancel::token(self.recv_from(buf), token).await
    }

    /// [`send`](Self::send), ending Canceled when `token` fires. C#:
    /// `Socket.SendAsync(…, CancellationToken)`.
    pub async fn send_with_token(
        &self,
        buf: &[u8],
        token: &CancellationToken,
    ) -> io::Result<usize> {
        WithCancel::token(self.send(buf), token).await
    }

    /// [`recv`](Self::recv), ending Canceled when `token` fires. C#:
    /// `Socket.ReceiveAsync(…, CancellationToken)`.
    pub async fn recv_with_token(
        &self,
        buf: &mut [u8],
        token: &CancellationToken,
    ) -> io::Result<usize> {
        WithCancel::token(self.recv(buf), token).await
    }

    /// Allows sending to broadcast addresses. C#: `Socket.EnableBroadcast`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.io().set_broadcast(on)
    }

    /// The socket's pending error, if any (clearing it). C#:
    /// `SocketOptionName.Error`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.io().take_error()
    }
}

impl std::fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
