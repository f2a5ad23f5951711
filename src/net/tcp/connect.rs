//! Connecting a `TcpStream`: plain, with a deadline, or with a token.

use super::stream::TcpStream;
use crate::cancel::CancellationToken;
use crate::io::op::WithCancel;
use crate::io::poll_evented::PollEvented;
use crate::io::reactor::{Interest, Ready, Slot};
use crate::net::addr::resolve;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll, ready};
use std::time::Duration;

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn; the
    /// connect waits on the reactor. A refused connection is an error of
    /// kind `ConnectionRefused`. Host names resolve on the calling thread
    /// (marked as blocking work); socket addresses need no lookup.
    ///
    /// C#: `Socket.ConnectAsync`, `TcpClient.ConnectAsync`.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last = None;
        for a in resolve(addr)? {
            match Self::connect_addr(a).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "TcpStream::connect: the address resolved to nothing",
            )
        }))
    }

    /// [`connect`](Self::connect), giving up after `timeout` (for every
    /// resolved address together) with an error of kind `TimedOut`. The
    /// half-open socket is closed; nothing leaks.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tasklane::net::{TcpListener, TcpStream};
    ///
    /// tasklane::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpStream::connect_timeout(addr, Duration::from_secs(30)).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// C#: `Socket.ConnectAsync(endPoint, cts.Token)` with
    /// `cts.CancelAfter(timeout)` (which reports `OperationCanceledException`
    /// where this reports `TimedOut`).
    pub async fn connect_timeout(
        addr: impl ToSocketAddrs,
        timeout: Duration,
    ) -> io::Result<TcpStream> {
        WithCancel::timeout(Self::connect(addr), timeout).await
    }

    /// [`connect`](Self::connect), ending Canceled as soon as `token` is
    /// cancelled: an `io::Error` whose inner error is the
    /// [`CanceledError`](crate::CanceledError) carrying `token` (see
    /// [`io::as_canceled`](crate::io::as_canceled)). The half-open socket is
    /// closed; nothing leaks.
    ///
    /// C#: `Socket.ConnectAsync(EndPoint, CancellationToken)`.
    pub async fn connect_with_token(
        addr: impl ToSocketAddrs,
        token: &CancellationToken,
    ) -> io::Result<TcpStream> {
        WithCancel::token(Self::connect(addr), token).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let io = PollEvented::new_pending(mio::net::TcpStream::connect(addr)?)?;
        std::future::poll_fn(|cx| poll_connected(&io, cx)).await?;
        Ok(TcpStream { io })
    }
}

/// One step of a connect: the socket's first writable (or error) event is
/// the connect's outcome.
fn poll_connected(
    io: &PollEvented<mio::net::TcpStream>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    let mut slot = Slot::Writer;
    loop {
        let ev = ready!(io.poll_ready(cx, Interest::Write, &mut slot))?;
        let s = io.io();
        if let Some(e) = s.take_error()? {
            return Poll::Ready(Err(e));
        }
        match s.peer_addr() {
            Ok(_) => return Poll::Ready(Ok(())),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                if ev
                    .ready
                    .intersects(Ready::WRITE_CLOSED.union(Ready::READ_CLOSED))
                {
                    // Hung up with no error recorded: the peer refused.
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::ConnectionRefused,
                        "connection refused (the peer hung up during the handshake)",
                    )));
                }
                io.clear_readiness(ev);
            }
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}
