//! Reads and writes that also end when a cancellation token fires: the
//! `*_with_token` forms of [`TcpStream`]'s and its halves' waiting
//! operations, each a one-line use of the I/O layer's `WithCancel`.
//!
//! A cancelled operation ends with an `io::Error` whose inner error is the
//! [`CanceledError`](crate::CanceledError) carrying the token (see
//! [`io::as_canceled`](crate::io::as_canceled)), promptly: the token's
//! cancellation wakes the waiting task. A token cancelled before the call
//! makes no syscall at all. `read`/`write` cancelled lose nothing and the
//! stream stays usable; `read_exact`/`write_all` cancelled part-way may
//! have moved some bytes (as C#'s `ReadExactlyAsync`), so the stream's
//! framing is then the caller's to restore — or close it.

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
}

impl OwnedReadHalf {
    /// See [`TcpStream::read_with_token`].
    pub async fn read_with_token(
        &mut self,
        buf: &mut [u8],
        token: &CancellationToken,
    ) -> io::Result<usize> {
        WithCancel::token(self.read(buf), token).await
    }

    /// See [`TcpStream::read_exact_with_token`].
    pub async fn read_exact_with_token(
        &mut self,
        buf: &mut [u8],
        token: &CancellationToken,
    ) -> io::Result<()> {
        WithCancel::token(self.read_exact(buf), token).await
    }
}

impl OwnedWriteHalf {
    /// See [`TcpStream::write_with_token`].
    pub async fn write_with_token(
        &mut self,
        buf: &[u8],
        token: &CancellationToken,
    ) -> io::Result<usize> {
        WithCancel::token(self.write(buf), token).await
    }

    /// See [`TcpStream::write_all_with_token`].
    pub async fn write_all_with_token(
        &mut self,
        buf: &[u8],
        token: &CancellationToken,
    ) -> io::Result<()> {
        WithCancel::token(self.write_all(buf), token).await
    }
}
