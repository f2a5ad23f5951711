//! The socket layer's tunables, each with its unit, default and why.

/// Largest vectored write, in bytes (all its buffers together), that is
/// copied into one buffer (the thread's, reused) and sent with a single
/// `send(2)` instead of `writev(2)`. Default 4 KiB.
///
/// hyper writes every response as a vectored write (head, then body), as do
/// framed codecs. Measured with `tasklane-bench/scripts/writev_vs_send.c`
/// (loopback, the writing thread's CPU time per call, kernel 6.18): for a
/// 76-byte head and a 13-byte body, `writev` of the two cost 0.14–0.41 µs
/// more than copying them and making one `send` (4 runs, 4.1–5.1 µs a
/// call); `writev` of one buffer and `sendmsg` of two cost as much as
/// `writev` of two, so the price is the `iovec` path, not the copy. The
/// saving, copy included, was 0.3–0.5 µs at 0.5–4 KB of body, 0.15–0.3 µs
/// at 8 KB, and gone at 16 KB. A vectored write with a single non-empty
/// buffer is sent with `send` at any size (nothing to copy). Tokio always
/// calls `writev`; .NET's `Socket.Send(IList<ArraySegment<byte>>)` calls
/// `sendmsg`.
pub(crate) const GATHER_WRITE_MAX: usize = 4096;

/// An `accept` that finds the process (or the system) out of descriptors
/// or buffers (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) waits this long
/// before it tries again, doubling each time up to
/// [`ACCEPT_BACKOFF_MAX`], instead of returning the error at once: a
/// listener stays readable while connections wait in its backlog, so a
/// loop that retries at once spins a core (hyper's servers are known to).
/// The connections wait in the kernel's backlog meanwhile. Default 5 ms.
pub(crate) const ACCEPT_BACKOFF_FIRST: std::time::Duration = std::time::Duration::from_millis(5);

/// The longest wait between two tries of an `accept` out of descriptors.
/// Default 1 s (what hyper-util's and axum's serve loops sleep).
pub(crate) const ACCEPT_BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(1);
