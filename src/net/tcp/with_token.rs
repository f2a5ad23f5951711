//! Reads, writes and readiness waits that also end when a cancellation
//! token fires: the `*_with_token` forms of [`TcpStream`]'s and its halves'
//! waiting operations, each a one-line use of the I/O layer's `WithCancel`.
//!
//! A cancelled operation ends with an `io::Error` whose inner error is the
//! [`CanceledError`](crate::CanceledError) carrying the token (see
//! [`io::as_canceled`](crate::io::as_canceled)), promptly: the token's
//! cancellation wakes the waiting task. A token cancelled before the call
//! makes no syscall at all. `read`/`write` and the readiness waits
//! (`readable`/`writable`) cancelled lose nothing and the stream stays
//! usable; `read_exact`/`write_all` cancelled part-way may have moved some
//! bytes (as C#'s `ReadExactlyAsync`), so the stream's framing is then the
//! caller's to restore — or close it.

use super::split::{OwnedReadHalf, OwnedWriteHalf};
use super::stream::TcpStream;
use crate::cancel::CancellationToken;
use crate::io::op::WithCancel;
use std::io;

impl TcpStream {
    /// [`read`](Self::read), ending Canceled when `token` fires; nothing
    /// is read then, and the stream stays usable.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tasklane::CancellationTokenSource;
    /// use tasklane::net::{TcpListener, TcpStream};
    ///
    /// tasklane::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let cts = CancellationTokenSource::with_delay(Duration::from_millis(20));
    ///     let mut buf = [0u8; 4];
    ///     // Nothing was sent: the read waits until the token fires.
    ///     let err = client.read_with_token(&mut buf, &cts.token()).await.unwrap_err();
    ///     assert!(tasklane::io::as_canceled(&err).is_some());
    ///     // The stream is as usable as before.
    ///     server.write_all(b"ping").await?;
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// C#: `NetworkStream.ReadAsync(Memory<byte>, CancellationToken)`.
    pub async fn read_with_token(
        &mut self,
        buf: &mut [u8],
        token: &CancellationToken,
    ) -> io::Result<usize> {
        WithCancel::token(self.read(buf), token).await
    }

    /// [`read_exact`](Self::read_exact), ending Canceled when `token`
    /// fires (bytes read before that stay in `buf`, uncounted). C#:
    /// `Stream.ReadExactlyAsync(Memory<byte>, CancellationToken)`.
    pub async fn read_exact_with_token(
        &mut self,
        buf: &mut [u8],
        token: &CancellationToken,
    ) -> io::Result<()> {
        WithCancel::token(self.read_exact(buf), token).await
    }

    /// [`write`](Self::write), ending Canceled when `token` fires; nothing
    /// is written then. C#: `Socket.SendAsync(ReadOnlyMemory<byte>,
    /// SocketFlags, CancellationToken)`.
    pub async fn write_with_token(
        &mut self,
        buf: &[u8],
        token: &CancellationToken,
    ) -> io::Result<usize> {
        WithCancel::token(self.write(buf), token).await
    }

    /// [`write_all`](Self::write_all), ending Canceled when `token` fires
    /// (a prefix of `buf` may have been sent). C#:
    /// `NetworkStream.WriteAsync(ReadOnlyMemory<byte>, CancellationToken)`.
    pub async fn write_all_with_token(
        &mut self,
        buf: &[u8],
        token: &CancellationToken,
    ) -> io::Result<()> {
        WithCancel::token(self.write_all(buf), token).await
    }

    /// [`readable`](Self::readable), ending Canceled when `token` fires;
    /// nothing is consumed then, and the stream stays usable.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tasklane::{CancellationToken, CancellationTokenSource};
    /// use tasklane::net::{TcpListener, TcpStream};
    ///
    /// tasklane::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     // Nothing was sent: a first try learns that (a new socket is
    ///     // assumed ready), so the wait below is a real one.
    ///     let mut buf = [0u8; 4];
    ///     let would_block = client.try_read(&mut buf).unwrap_err();
    ///     assert_eq!(would_block.kind(), std::io::ErrorKind::WouldBlock);
    ///     let cts = CancellationTokenSource::with_delay(Duration::from_millis(20));
    ///     if let Err(err) = client.readable_with_token(&cts.token()).await {
    ///         assert!(tasklane::io::as_canceled(&err).is_some());
    ///     } // else a spurious readiness (see `readable`): rare, harmless
    ///     // The stream is as usable as before.
    ///     server.write_all(b"ping").await?;
    ///     client.readable_with_token(&CancellationToken::none()).await?;
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// C#: a zero-byte `Socket.ReceiveAsync(Memory<byte>.Empty,
    /// SocketFlags.None, CancellationToken)`, .NET's wait for data without
    /// a buffer.
    pub async fn readable_with_token(&self, token: &CancellationToken) -> io::Result<()> {
        WithCancel::token(self.readable(), token).await
    }

    /// [`writable`](Self::writable), ending Canceled when `token` fires;
    /// nothing is written then, and the stream stays usable. C#:
    /// `Socket.Poll(SelectMode.SelectWrite)`, without a thread and with a
    /// token.
    pub async fn writable_with_token(&self, token: &CancellationToken) -> io::Result<()> {
        WithCancel::token(self.writable(), token).await
    }
}

impl OwnedReadHalf {
    /// See [`TcpStream::read_with_token`]. C#:
    /// `NetworkStream.ReadAsync(Memory<byte>, CancellationToken)`.
    pub async fn read_with_token(
        &mut self,
        buf: &mut [u8],
        token: &CancellationToken,
    ) -> io::Result<usize> {
        WithCancel::token(self.read(buf), token).await
    }

    /// See [`TcpStream::read_exact_with_token`]. C#:
    /// `Stream.ReadExactlyAsync(Memory<byte>, CancellationToken)`.
    pub async fn read_exact_with_token(
        &mut self,
        buf: &mut [u8],
        token: &CancellationToken,
    ) -> io::Result<()> {
        WithCancel::token(self.read_exact(buf), token).await
    }

    /// See [`TcpStream::readable_with_token`]. C#: a zero-byte
    /// `Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None,
    /// CancellationToken)`.
    pub async fn readable_with_token(&self, token: &CancellationToken) -> io::Result<()> {
        WithCancel::token(self.readable(), token).await
    }
}

impl OwnedWriteHalf {
    /// See [`TcpStream::write_with_token`]. C#:
    /// `Socket.SendAsync(ReadOnlyMemory<byte>, SocketFlags, CancellationToken)`.
    pub async fn write_with_token(
        &mut self,
        buf: &[u8],
        token: &CancellationToken,
    ) -> io::Result<usize> {
        WithCancel::token(self.write(buf), token).await
    }

    /// See [`TcpStream::write_all_with_token`]. C#:
    /// `NetworkStream.WriteAsync(ReadOnlyMemory<byte>, CancellationToken)`.
    pub async fn write_all_with_token(
        &mut self,
        buf: &[u8],
        token: &CancellationToken,
    ) -> io::Result<()> {
        WithCancel::token(self.write_all(buf), token).await
    }

    /// See [`TcpStream::writable_with_token`]. C#:
    /// `Socket.Poll(SelectMode.SelectWrite)`, without a thread and with a
    /// token.
    pub async fn writable_with_token(&self, token: &CancellationToken) -> io::Result<()> {
        WithCancel::token(self.writable(), token).await
    }
}
