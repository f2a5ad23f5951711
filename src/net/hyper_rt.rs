//! hyper 1.x on tasklane (feature `hyper`): `hyper::rt::Read`/`Write` on
//! [`TcpStream`] and its halves, an [`Executor`] that spawns hyper's
//! background work onto the pool, and a [`Timer`] on tasklane's timers (for
//! hyper's header-read timeout and keep-alive timers).
//!
//! Reads go straight into hyper's `ReadBufCursor` (its uninitialised
//! spare capacity) with `recv(2)`: no zero-filling, no extra copy.
//!
//! ```
//! use std::time::Duration;
//! use tasklane::net::hyper_rt::{Executor, Timer};
//!
//! fn assert_executor<E: hyper::rt::Executor<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>>(_: E) {}
//! assert_executor(Executor::new());
//!
//! // An HTTP/1 server that closes connections which send no request head
//! // within 10 seconds.
//! let mut builder = hyper::server::conn::http1::Builder::new();
//! builder.timer(Timer::new()).header_read_timeout(Duration::from_secs(10));
//! ```

use crate::net::tcp::AsTcp;
use crate::net::{OwnedReadHalf, OwnedWriteHalf, TcpStream};
use crate::runtime::Handle;
use crate::time::Delay;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

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
        #[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
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
        #[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
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

/// hyper's timers on tasklane's timer wheel: `sleep` and `sleep_until` are
/// [`time::Delay`](crate::time::Delay)s, and `reset` moves a delay's
/// deadline in place (no new allocation, the armed timer is moved in the
/// wheel). Give it to a connection builder (`.timer(Timer::new())`) to make
/// `header_read_timeout` and keep-alive timeouts work.
///
/// C#: Kestrel's `KestrelServerLimits.RequestHeadersTimeout`, driven by the
/// runtime's timer queue.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer(());

impl Timer {
    /// The timer (it holds nothing: tasklane's timer wheel is
    /// process-wide).
    pub fn new() -> Timer {
        Timer(())
    }
}

impl hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(crate::time::delay(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(crate::time::delay_until(deadline))
    }

    /// The current runtime's clock (`tasklane::time::now`): virtual while a
    /// test has paused it.
    fn now(&self) -> Instant {
        crate::time::now()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<Delay>() {
            Some(delay) => delay.get_mut().reset(new_deadline),
            // Another timer's sleep: replace it.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

impl hyper::rt::Sleep for Delay {}
