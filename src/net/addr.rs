//! Address resolution for `bind`/`connect`.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Resolves `addr`. Socket addresses and IP literals resolve without I/O;
/// a host name goes to the system resolver (`getaddrinfo`, which blocks),
/// so the lookup is marked as blocking work for the pool.
pub(crate) fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    crate::pool::blocking_section(|| addr.to_socket_addrs().map(Iterator::collect))
}
