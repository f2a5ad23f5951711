//! Async I/O: the reactor that turns epoll readiness into task wake-ups,
//! and the plumbing every socket shares. Sockets are in [`crate::net`],
//! files in [`crate::fs`], signals in [`crate::signal`].
//!
//! The read/write traits are futures-io's [`AsyncRead`] and [`AsyncWrite`]
//! (re-exported here); with the `tokio-io` feature the sockets implement
//! Tokio's as well.

pub(crate) mod op;
pub(crate) mod poll_evented;
pub(crate) mod reactor;

pub use futures_io::{AsyncRead, AsyncWrite};

/// Sockets registered with the current runtime's reactor now (else the
/// default runtime's). For leak checks and diagnostics.
pub fn registered_socket_count() -> usize {
    reactor::current().map_or(0, |r| r.registered())
}
