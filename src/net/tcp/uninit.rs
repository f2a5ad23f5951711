//! Reading into uninitialised memory with `recv(2)`, so Tokio's `ReadBuf`
//! and hyper's `ReadBufCursor` are filled without zeroing them first and
//! without ever making a `&mut [u8]` over uninitialised bytes.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;

/// Receives up to `buf.len()` bytes from the stream socket `fd` into `buf`.
/// Returns how many bytes are now initialised at the front of `buf`.
pub(crate) fn recv_uninit(fd: RawFd, buf: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole
    // call; recv only writes (never reads) that memory, and `fd` is a socket
    // owned by the caller for the call's duration.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}
