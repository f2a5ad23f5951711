//! `TcpListener`: accepts connections without a thread waiting in `accept`.

use super::exhaustion::{Backoff, is_exhaustion};
use super::stream::TcpStream;
use crate::cancel::CancellationToken;
use crate::io::op::{Op, WithCancel};
use crate::io::poll_evented::PollEvented;
use crate::io::reactor::{Interest, Slot};
use crate::net::addr::resolve;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll, ready};

/// A TCP socket listening for connections. Any number of tasks may
/// `accept` on it at once.
///
/// ```
/// use tasklane::net::TcpListener;
///
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// assert!(listener.local_addr().unwrap().port() != 0);
/// ```
///
/// C#: `System.Net.Sockets.TcpListener` (and a listening `Socket`).
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` and starts listening (backlog 1024, `SO_REUSEADDR`
    /// on), trying each resolved address in turn. Port 0 picks a free port;
    /// read it back with [`local_addr`](Self::local_addr).
    ///
    /// C#: `new TcpListener(endpoint)` + `Start()`.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for a in resolve(addr)? {
            match mio::net::TcpListener::bind(a) {
                Ok(l) => {
                    return Ok(TcpListener {
                        io: PollEvented::new(l)?,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "TcpListener::bind: the address resolved to nothing",
            )
        }))
    }

    /// Wraps a bound, listening std listener (switching it to non-blocking
    /// mode). C#: `new Socket(SafeSocketHandle)`.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: PollEvented::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// The address it listens on. C#: `TcpListener.LocalEndpoint`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// Waits for the next connection. Dropping the future before it
    /// completes accepts nothing: the connection stays queued for the next
    /// `accept`. C#: `TcpListener.AcceptSocketAsync` / `Socket.AcceptAsync`.
    ///
    /// Out of descriptors (`EMFILE`, `ENFILE`) or buffers, it does not
    /// return the error: it reports it once and tries again after a wait
    /// that doubles from 5 ms to 1 s, while the connections wait in the
    /// backlog, so an accept loop neither spins nor dies and recovers as
    /// soon as a descriptor frees up. (.NET and Tokio return the error,
    /// and a loop that retries at once spins.) Other errors are returned.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let mut backoff: Option<Backoff> = None;
        loop {
            match Op::shared(&self.io, Interest::Read, |l| l.accept()).await {
                Ok((s, addr)) => return Ok((TcpStream::from_mio(s)?, addr)),
                Err(e) if is_exhaustion(&e) => {
                    backoff
                        .get_or_insert_with(Backoff::new)
                        .wait(&e, self.local_addr().ok())
                        .await
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// [`accept`](Self::accept), ending Canceled when `token` fires: an
    /// `io::Error` whose inner error is the
    /// [`CanceledError`](crate::CanceledError) carrying `token` (see
    /// [`io::as_canceled`](crate::io::as_canceled)). No connection is taken
    /// then: the next `accept` gets it.
    ///
    /// ```
    /// use tasklane::CancellationTokenSource;
    /// use tasklane::net::TcpListener;
    ///
    /// tasklane::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let cts = CancellationTokenSource::new();
    ///     let stop = cts.token();
    ///     tasklane::Task::run(move || cts.cancel().unwrap());
    ///     let err = listener.accept_with_token(&stop).await.unwrap_err();
    ///     assert!(tasklane::io::as_canceled(&err).is_some());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// C#: `TcpListener.AcceptSocketAsync(CancellationToken)`.
    pub async fn accept_with_token(
        &self,
        token: &CancellationToken,
    ) -> io::Result<(TcpStream, SocketAddr)> {
        WithCancel::token(self.accept(), token).await
    }

    /// Polls for a connection (for hand-written futures and servers that
    /// accept from one task). C#: `Socket.AcceptAsync(SocketAsyncEventArgs)`,
    /// the allocation-free form servers drive by hand.
    ///
    /// Unlike [`accept`](Self::accept), it returns every error, running out
    /// of descriptors included: a caller that polls again at once on
    /// `EMFILE` spins while connections wait; wait before polling again.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (s, addr) = ready!(
            self.io
                .poll_io(cx, Interest::Read, &mut Slot::Reader, |l| l.accept())
        )?;
        Poll::Ready(TcpStream::from_mio(s).map(|s| (s, addr)))
    }
}

impl std::fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
