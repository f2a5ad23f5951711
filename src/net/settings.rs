//! The socket layer's tunables, each with its unit, default and why.

/// Largest vectored write, in bytes (all its buffers together), that is
/// copied into one buffer (the thread's, reused) and sent with a single `send(2)` instead of
/// `writev(2)`. Default 1 KiB.
///
/// hyper writes every response as a vectored write (head, then body), as do
/// framed codecs. On this project's Linux machine (kernel 6.18, loopback) a
/// `writev` of two small buffers cost 0.3–0.5 µs more than one `send` of the
/// same bytes: importing the `iovec` array is the price (`sendmsg` with the
/// same two buffers cost as much as `writev`), while copying 1 KiB costs
/// tens of nanoseconds. Above a few KiB the copy eats the saving, so larger
/// writes keep `writev`. A vectored write with a single non-empty buffer is
/// sent with `send` at any size (nothing to copy). Tokio always calls
/// `writev`; .NET's `Socket.Send(IList<ArraySegment<byte>>)` calls
/// `sendmsg`.
pub(crate) const GATHER_WRITE_MAX: usize = 1024;
