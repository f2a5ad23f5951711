//! Unix signals as futures: [`ctrl_c`] (SIGINT) and [`terminate`]
//! (SIGTERM), for graceful shutdown.
//!
//! The first call for a signal installs a handler (through
//! `signal-hook-registry`, which chains with handlers other libraries
//! installed and preserves `errno`) that counts the delivery and writes one
//! byte to a pipe the reactor watches; waiting futures wake from there. No
//! thread waits for a signal. Once installed, the handler stays for the
//! process's lifetime: the signal no longer terminates the process by
//! default, as with .NET's `PosixSignalRegistration` and Tokio's `ctrl_c`.
//!
//! ```no_run
//! tasklane::block_on(async {
//!     tasklane::signal::ctrl_c().await.unwrap();
//!     println!("Ctrl-C: shutting down");
//! });
//! ```

pub(crate) mod on_thread;
mod unix;

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The signals tasklane can wait for. C#: `PosixSignal`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SignalKind {
    /// SIGINT: Ctrl-C in a terminal. C#: `PosixSignal.SIGINT`,
    /// `Console.CancelKeyPress`.
    Interrupt,
    /// SIGTERM: the polite "please stop" of `kill`, systemd, Kubernetes.
    /// C#: `PosixSignal.SIGTERM`.
    Terminate,
}

/// Completes on the next Ctrl-C (SIGINT) delivered after this call. The
/// handler is installed by this call, not by the first poll, so a signal
/// arriving before the first poll is not missed.
///
/// C#: `Console.CancelKeyPress` (with `e.Cancel = true`).
pub fn ctrl_c() -> SignalFuture {
    SignalFuture::new(SignalKind::Interrupt)
}

/// Completes on the next SIGTERM delivered after this call. C#:
/// `PosixSignalRegistration.Create(PosixSignal.SIGTERM, …)`.
pub fn terminate() -> SignalFuture {
    SignalFuture::new(SignalKind::Terminate)
}

/// Waits for one delivery of a signal; made by [`ctrl_c`], [`terminate`]
/// or [`SignalFuture::new`]. Resolves to an error if the handler could not
/// be installed (for example, no file descriptors left for its pipe).
///
/// C#: a `PosixSignalRegistration` whose handler completes a task, and
/// whose `Dispose` is dropping this future.
#[must_use = "futures do nothing unless awaited"]
pub struct SignalFuture {
    state: Result<unix::Waiting, Option<io::Error>>,
}

impl SignalFuture {
    /// Starts listening for `kind` now. C#:
    /// `PosixSignalRegistration.Create(signal, handler)`.
    pub fn new(kind: SignalKind) -> SignalFuture {
        SignalFuture {
            state: unix::Waiting::start(kind).map_err(Some),
        }
    }

    /// The signal this future waits for (`None` if its handler could not
    /// be installed). C#: `PosixSignalContext.Signal`.
    pub fn kind(&self) -> Option<SignalKind> {
        self.state.as_ref().ok().map(|w| w.kind)
    }
}

impl Future for SignalFuture {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().state {
            Ok(w) => w.poll(cx),
            Err(e) => Poll::Ready(Err(e.take().unwrap_or_else(|| {
                io::Error::other("SignalFuture polled after it reported its error")
            }))),
        }
    }
}

impl Drop for SignalFuture {
    fn drop(&mut self) {
        if let Ok(w) = &self.state {
            w.cancel();
        }
    }
}

impl std::fmt::Debug for SignalFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalFuture")
            .field("kind", &self.kind())
            .finish()
    }
}
