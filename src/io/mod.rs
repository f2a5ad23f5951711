//! Async I/O: the reactor that turns epoll readiness into task wake-ups,
//! and the plumbing every socket shares. Sockets are in [`crate::net`],
//! files in [`crate::fs`], signals in [`crate::signal`].
//!
//! The read/write traits are futures-io's [`AsyncRead`], [`AsyncWrite`]
//! and [`AsyncSeek`] (re-exported here); with the `tokio-io` feature the
//! sockets implement Tokio's as well.

pub(crate) mod op;
pub(crate) mod poll_evented;
pub(crate) mod reactor;
pub(crate) mod socket_addr;

pub use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};

/// Sockets registered with the current runtime's reactor now (else the
/// default runtime's). For leak checks and diagnostics.
pub fn registered_socket_count() -> usize {
    reactor::current().map_or(0, |r| r.registered())
}

/// The cancellation inside an I/O error, if the operation ended because
/// its token was cancelled (the `*_with_token` methods of [`crate::net`]).
/// Such an error's kind is `ErrorKind::Other` — not `Interrupted`, which
/// retry loops retry. A task body that returns it from `Task::try_run_async`
/// ends Canceled, not Faulted.
///
/// ```
/// use tasklane::CancellationToken;
/// use tasklane::net::UdpSocket;
///
/// tasklane::block_on(async {
///     let socket = UdpSocket::bind("127.0.0.1:0")?;
///     let token = CancellationToken::new(true);
///     let mut buf = [0u8; 8];
///     let err = socket.recv_from_with_token(&mut buf, &token).await.unwrap_err();
///     assert_eq!(tasklane::io::as_canceled(&err).unwrap().token(), Some(&token));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
///
/// C#: `catch (OperationCanceledException e)` around a socket call.
pub fn as_canceled(error: &std::io::Error) -> Option<&crate::task::CanceledError> {
    error.get_ref()?.downcast_ref()
}
