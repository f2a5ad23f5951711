//! hyper 1.x on tasklane (feature `hyper`): `hyper::rt::Read`/`Write` on
//! [`TcpStream`] and its halves, and an [`Executor`] that spawns hyper's
//! background work onto the pool.
//!
//! Reads go straight into hyper's `ReadBufCursor` (its uninitialised
//! spare capacity) with `recv(2)`: no zero-filling, no extra copy.
//!
//! ```
//! use tasklane::net::hyper_rt::Executor;
//!
//! fn assert_executor<E: hyper::rt::Executor<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>>(_: E) {}
//! assert_executor(Executor::new());
//! ```

use crate::net::tcp::AsTcp;
use crate::net::{OwnedReadHalf, OwnedWriteHalf, TcpStream};
use crate::runtime::Handle;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

fn poll_read_cursor(
    s: &TcpStream,
    cx: &mut Context<'_>,
    mut buf: hyper::rt::ReadBufCursor<'_>,
) -> Poll<io::Result<()>> {
    // SAFETY: `recv_uninit` only writes into the slice, never reads or
    // de-initialises it, and we advance by exactly the bytes it wrote.
    let n = ready!(s.poll_read_uninit(cx, unsafe { buf.as_mut() }))?;
    // SAFETY: the first `n` bytes of the cursor were just written by recv.
    unsafe { buf.advance(n) };
    Poll::Ready(Ok(()))
}

macro_rules! hyper_read {
    ($t:ty) => {
        impl hyper::rt::Read for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: hyper::rt::ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_cursor(self.tcp(), cx, buf)
            }
        }
    };
}

macro_rules! hyper_write {
    ($t:ty) => {
        impl hyper::rt::Write for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.tcp().poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.tcp().poll_write_vectored_priv(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                // Writes go straight to the kernel: nothing is buffered here.
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.tcp().poll_shutdown_write()
            }
        }
    };
}

hyper_read!(TcpStream);
hyper_write!(TcpStream);
hyper_read!(OwnedReadHalf);
hyper_write!(OwnedWriteHalf);

/// Runs hyper's background futures (HTTP/2 streams, client connections) as
/// tasklane tasks on a runtime's pool: the one it was made for, else the
/// runtime current when `execute` runs, else the process default. A panic
/// in such a future reaches tasklane's unobserved-fault hook with its spawn
/// location, never the void.
///
/// C#: ASP.NET Core's Kestrel scheduling connection work on the ThreadPool.
#[derive(Clone, Debug, Default)]
pub struct Executor {
    handle: Option<Handle>,
}

impl Executor {
    /// Spawns onto the runtime current at `execute` time (else the default
    /// one).
    pub fn new() -> Executor {
        Executor { handle: None }
    }

    /// Spawns onto `handle`'s runtime.
    pub fn on(handle: Handle) -> Executor {
        Executor {
            handle: Some(handle),
        }
    }
}

impl<F> hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        // Fire and forget: hyper observes the outcome through its own
        // channels; the task handle is not needed.
        match &self.handle {
            Some(h) => drop(h.run_async(fut)),
            None => drop(crate::Task::run_async(fut)),
        }
    }
}
