//! Owned halves of a `TcpStream`, for a reader task and a writer task.

use super::stream::{TcpStream, read_exact, write_all};
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The read half of a [`TcpStream`] split with
/// [`TcpStream::into_split`]. C#: one task reading a shared `NetworkStream`.
#[derive(Debug)]
pub struct OwnedReadHalf {
    stream: Arc<TcpStream>,
}

/// The write half of a [`TcpStream`] split with
/// [`TcpStream::into_split`]. Dropping it shuts down the write side, so the
/// peer reads end-of-stream. C#: one task writing a shared `NetworkStream`.
#[derive(Debug)]
pub struct OwnedWriteHalf {
    stream: Arc<TcpStream>,
    shutdown_on_drop: bool,
}

/// [`OwnedReadHalf::reunite`] was given halves of two different streams;
/// both are handed back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl std::fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "these halves come from two different TcpStreams; reunite the halves of one stream",
        )
    }
}

impl std::error::Error for ReuniteError {}

impl OwnedReadHalf {
    pub(super) fn new(stream: Arc<TcpStream>) -> OwnedReadHalf {
        OwnedReadHalf { stream }
    }

    #[cfg_attr(not(any(feature = "tokio-io", feature = "hyper")), allow(dead_code))]
    pub(crate) fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Puts the two halves back together.
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Arc::ptr_eq(&self.stream, &other.stream) {
            return Err(ReuniteError(self, other));
        }
        let mut other = other;
        other.shutdown_on_drop = false;
        drop(other);
        // The two halves held the only two refs, and one was just dropped.
        Ok(Arc::into_inner(self.stream).expect("a split stream has exactly two halves"))
    }

    /// See [`TcpStream::read`]. C#: `NetworkStream.ReadAsync`.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.stream.poll_read_priv(cx, buf)).await
    }

    /// See [`TcpStream::read_exact`]. C#: `Stream.ReadExactlyAsync`.
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        read_exact(&self.stream, buf).await
    }

    /// See [`TcpStream::readable`]. C#:
    /// `Socket.Poll(SelectMode.SelectRead)` without a thread.
    pub async fn readable(&self) -> io::Result<()> {
        self.stream.readable().await
    }

    /// The peer's address. C#: `Socket.RemoteEndPoint`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// The local address. C#: `Socket.LocalEndPoint`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl OwnedWriteHalf {
    pub(super) fn new(stream: Arc<TcpStream>) -> OwnedWriteHalf {
        OwnedWriteHalf {
            stream,
            shutdown_on_drop: true,
        }
    }

    #[cfg_attr(not(any(feature = "tokio-io", feature = "hyper")), allow(dead_code))]
    pub(crate) fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Puts the two halves back together.
    pub fn reunite(self, other: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        other.reunite(self)
    }

    /// See [`TcpStream::write`]. C#: `Socket.SendAsync`.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.stream.poll_write_priv(cx, buf)).await
    }

    /// See [`TcpStream::write_all`]. C#: `NetworkStream.WriteAsync`.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        write_all(&self.stream, buf).await
    }

    /// See [`TcpStream::writable`]. C#:
    /// `Socket.Poll(SelectMode.SelectWrite)` without a thread.
    pub async fn writable(&self) -> io::Result<()> {
        self.stream.writable().await
    }

    /// Shuts down the write side now (the peer reads end-of-stream). C#:
    /// `Socket.Shutdown(SocketShutdown.Send)`.
    pub fn shutdown(&self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }

    /// See [`TcpStream::set_nodelay`]. C#: `Socket.NoDelay`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.stream.set_nodelay(nodelay)
    }

    /// The peer's address. C#: `Socket.RemoteEndPoint`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// The local address. C#: `Socket.LocalEndPoint`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may be gone already; nothing to report from a drop.
            let _ = self.stream.shutdown(Shutdown::Write);
        }
    }
}

impl futures_io::AsyncRead for OwnedReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.stream.poll_read_priv(cx, buf)
    }
}

impl futures_io::AsyncWrite for OwnedWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.stream.poll_write_priv(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stream.poll_write_vectored_priv(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream.poll_shutdown_write()
    }
}
