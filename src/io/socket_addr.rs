//! The addresses of a socket a task waits on, from its descriptor. The
//! descriptor was recorded when the task parked; if the socket was closed
//! since and the number reused, the addresses are another socket's (a dump
//! is a snapshot of a moving program), never a read of freed memory.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// The socket's local address.
pub(crate) fn local_addr(fd: i32) -> Option<SocketAddr> {
    // SAFETY: `getsockname` only writes the address into the buffer we
    // pass, within the length we give; a bad descriptor is an error.
    query(|addr, len| unsafe { libc::getsockname(fd, addr, len) })
}

/// The socket's peer address, if connected.
pub(crate) fn peer_addr(fd: i32) -> Option<SocketAddr> {
    // SAFETY: as `local_addr`, with `getpeername`.
    query(|addr, len| unsafe { libc::getpeername(fd, addr, len) })
}

fn query(
    call: impl FnOnce(*mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int,
) -> Option<SocketAddr> {
    // SAFETY: an all-zero sockaddr_storage is a valid (empty) value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    if call((&raw mut storage).cast(), &mut len) != 0 {
        return None;
    }
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in,
            // which fits in it and has no stricter alignment.
            let a = unsafe { &*(&raw const storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let a = unsafe { &*(&raw const storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}
