//! `TcpStream`: a connected TCP socket whose reads and writes wait on the
//! reactor, never on a thread.

use super::split::{OwnedReadHalf, OwnedWriteHalf};
use crate::io::op::Op;
use crate::io::poll_evented::PollEvented;
use crate::io::reactor::{Interest, Slot};
use crate::net::settings::GATHER_WRITE_MAX;
use std::cell::RefCell;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A TCP connection. Reads and writes are futures that keep no thread
/// waiting: the reactor wakes the task when the socket is ready.
///
/// Implements futures-io [`AsyncRead`](crate::io::AsyncRead) and
/// [`AsyncWrite`](crate::io::AsyncWrite) (and Tokio's with the `tokio-io`
/// feature, hyper's with `hyper`). A refused, reset or aborted connection is
/// an `io::Error` of kind `ConnectionRefused`, `ConnectionReset` or
/// `ConnectionAborted`; a broken pipe is `BrokenPipe`.
///
/// ```
/// use tasklane::net::{TcpListener, TcpStream};
///
/// tasklane::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     let server = tasklane::Task::run_async(async move {
///         let (mut conn, _) = listener.accept().await?;
///         let mut buf = [0u8; 5];
///         conn.read_exact(&mut buf).await?;
///         conn.write_all(&buf).await?;
///         std::io::Result::Ok(())
///     });
///     let mut client = TcpStream::connect(addr).await?;
///     client.write_all(b"hello").await?;
///     let mut back = [0u8; 5];
///     client.read_exact(&mut back).await?;
///     assert_eq!(&back, b"hello");
///     server.into_output().await.unwrap()?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
///
/// C#: `System.Net.Sockets.Socket` (stream, TCP) with `NetworkStream`.
pub struct TcpStream {
    pub(super) io: PollEvented<mio::net::TcpStream>,
}

impl TcpStream {
    pub(crate) fn from_mio(s: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: PollEvented::new(s)?,
        })
    }

    /// Wraps a connected std stream (switching it to non-blocking mode).
    /// C#: `new Socket(SafeSocketHandle)`.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Deregisters the socket and gives it back as a blocking std stream.
    /// C#: `Socket.Blocking = true`, then `Socket.SafeHandle`.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        use std::os::fd::{FromRawFd, IntoRawFd};
        let fd = self.io.into_inner().into_raw_fd();
        // SAFETY: `fd` is an open TCP socket we own, just released by mio.
        let s = unsafe { std::net::TcpStream::from_raw_fd(fd) };
        s.set_nonblocking(false)?;
        Ok(s)
    }

    /// The local address. C#: `Socket.LocalEndPoint`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// The peer's address. C#: `Socket.RemoteEndPoint`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }

    /// Turns Nagle's algorithm off (`true`) or on. C#: `Socket.NoDelay`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.io().set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is off. C#: `Socket.NoDelay`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.io().nodelay()
    }

    /// Shuts down the read side, the write side (sends FIN: the peer reads
    /// end-of-stream) or both. C#: `Socket.Shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.io().shutdown(how)
    }

    /// The socket's pending error, if any (clearing it). C#:
    /// `SocketOptionName.Error`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.io().take_error()
    }

    /// Reads into `buf`, waiting until at least one byte (or end of stream:
    /// `Ok(0)`) is there. Dropping the future before it completes reads
    /// nothing. C#: `NetworkStream.ReadAsync`.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_read_priv(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes; end of stream first is an
    /// `UnexpectedEof` error. C#: `Stream.ReadExactlyAsync`.
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        read_exact(self, buf).await
    }

    /// Writes some of `buf`, waiting until the socket takes at least one
    /// byte. C#: `Socket.SendAsync`.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_write_priv(cx, buf)).await
    }

    /// Writes all of `buf`. C#: `NetworkStream.WriteAsync`.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        write_all(self, buf).await
    }

    /// Waits until the socket is readable (data, end of stream or an
    /// error). It may complete spuriously (a new socket is assumed ready
    /// until proven otherwise): a following [`try_read`](Self::try_read)
    /// then says `WouldBlock`, and the next wait is real. C#:
    /// `Socket.Poll(SelectMode.SelectRead)` without a thread.
    pub async fn readable(&self) -> io::Result<()> {
        Op::shared(&self.io, Interest::Read, |_| Ok(())).await
    }

    /// Waits until the socket is writable (may complete spuriously, as
    /// [`readable`](Self::readable)). C#: `Socket.Poll(SelectWrite)`.
    pub async fn writable(&self) -> io::Result<()> {
        Op::shared(&self.io, Interest::Write, |_| Ok(())).await
    }

    /// Reads without waiting: `WouldBlock` if no data is there now. C#:
    /// `Socket.Receive` on a non-blocking socket.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Interest::Read, |s| read_from(s, buf))
    }

    /// Writes without waiting: `WouldBlock` if the send buffer is full. C#:
    /// `Socket.Send` on a non-blocking socket.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Interest::Write, |s| write_to(s, buf))
    }

    /// Splits into a read half and a write half that can move to different
    /// tasks. Dropping the write half shuts down the write side (the peer
    /// reads end-of-stream). C#: two tasks over one `NetworkStream`.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let shared = Arc::new(self);
        (
            OwnedReadHalf::new(shared.clone()),
            OwnedWriteHalf::new(shared),
        )
    }

    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.io
            .poll_transfer(cx, Interest::Read, &mut Slot::Reader, len, |s| {
                read_from(s, buf)
            })
    }

    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_transfer(cx, Interest::Write, &mut Slot::Writer, buf.len(), |s| {
                write_to(s, buf)
            })
    }

    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.io
            .poll_transfer(cx, Interest::Write, &mut Slot::Writer, len, |s| {
                write_vectored_to(s, bufs, len)
            })
    }

    /// Reads into uninitialised memory (Tokio's `ReadBuf`, hyper's
    /// `ReadBufCursor`) without zero-filling it first.
    #[cfg(any(feature = "tokio-io", feature = "hyper"))]
    pub(crate) fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        use std::os::fd::AsRawFd;
        let len = buf.len();
        self.io
            .poll_transfer(cx, Interest::Read, &mut Slot::Reader, len, |s| {
                retry_eintr(|| super::uninit::recv_uninit(s.as_raw_fd(), buf))
            })
    }

    pub(crate) fn poll_shutdown_write(&self) -> Poll<io::Result<()>> {
        match self.io.io().shutdown(Shutdown::Write) {
            // Already shut down or never connected: nothing left to flush.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            r => Poll::Ready(r),
        }
    }
}

/// `read`, with EINTR retried.
pub(super) fn read_from(s: &mio::net::TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    retry_eintr(|| (&*s).read(buf))
}

/// `write`, with EINTR retried.
pub(super) fn write_to(s: &mio::net::TcpStream, buf: &[u8]) -> io::Result<usize> {
    retry_eintr(|| (&*s).write(buf))
}

thread_local! {
    /// Where small vectored writes are gathered: one per thread, reused, so
    /// a gather neither allocates nor zero-fills.
    static GATHERED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `writev` of `bufs` (`len` bytes in all), or one `send` where that is
/// cheaper: a single non-empty buffer is sent as it is, and up to
/// [`GATHER_WRITE_MAX`] bytes in several buffers are gathered into one
/// buffer first (this thread's, reused). The result means the same in
/// every case: how many bytes from the front of the buffers, taken in
/// order, were written.
fn write_vectored_to(
    s: &mio::net::TcpStream,
    bufs: &[IoSlice<'_>],
    len: usize,
) -> io::Result<usize> {
    let mut non_empty = bufs.iter().filter(|b| !b.is_empty());
    match (non_empty.next(), non_empty.next()) {
        (Some(only), None) => write_to(s, only),
        (Some(_), Some(_)) if len <= GATHER_WRITE_MAX => GATHERED
            .try_with(|gathered| {
                let mut gathered = gathered.borrow_mut();
                gathered.clear();
                for b in bufs {
                    gathered.extend_from_slice(b);
                }
                write_to(s, &gathered)
            })
            // The thread is tearing down its thread-locals (a write from
            // another one's destructor): `writev` needs no buffer.
            .unwrap_or_else(|_| writev_to(s, bufs)),
        _ => writev_to(s, bufs),
    }
}

/// `writev`, with EINTR retried.
fn writev_to(s: &mio::net::TcpStream, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    retry_eintr(|| (&*s).write_vectored(bufs))
}

fn retry_eintr<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

pub(super) async fn read_exact(s: &TcpStream, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = std::future::poll_fn(|cx| s.poll_read_priv(cx, buf)).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the connection before the buffer was filled",
            ));
        }
        buf = &mut buf[n..];
    }
    Ok(())
}

pub(super) async fn write_all(s: &TcpStream, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = std::future::poll_fn(|cx| s.poll_write_priv(cx, buf)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_priv(cx, buf)
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored_priv(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the kernel: nothing is buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_shutdown_write()
    }
}

impl std::fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}
