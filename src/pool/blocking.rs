//! The one place blocking work tells the pool it is blocking.

/// Runs `f`, which blocks its thread (a file syscall, a DNS lookup), and
/// marks it as blocking work. Today it only runs `f`; it is the single
/// point where issue 6's blocking compensation plugs in (the pool raises its
/// thread goal while a worker is inside, as .NET does around blocking
/// `FileStream` calls), so every blocking call of the I/O layer already goes
/// through it.
pub(crate) fn blocking_section<R>(f: impl FnOnce() -> R) -> R {
    f()
}
