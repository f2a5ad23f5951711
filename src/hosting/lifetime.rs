//! [`HostApplicationLifetime`]: the three moments of a host's life, as
//! tokens, and the way for any service to ask it to stop.

use crate::cancel::{CancellationToken, CancellationTokenSource};
use std::sync::Arc;

/// The host's lifecycle as tokens: `application_started` fires once every
/// service started, `application_stopping` when shutdown begins (a signal,
/// or [`stop_application`](Self::stop_application)), `application_stopped`
/// once every service stopped. Clone it into the services that need it
/// ([`HostBuilder::lifetime`](super::HostBuilder::lifetime)). C#:
/// `IHostApplicationLifetime`.
#[derive(Clone)]
pub struct HostApplicationLifetime {
    inner: Arc<Sources>,
}

struct Sources {
    started: CancellationTokenSource,
    stopping: CancellationTokenSource,
    stopped: CancellationTokenSource,
}

impl HostApplicationLifetime {
    pub(crate) fn new() -> HostApplicationLifetime {
        HostApplicationLifetime {
            inner: Arc::new(Sources {
                started: CancellationTokenSource::new(),
                stopping: CancellationTokenSource::new(),
                stopped: CancellationTokenSource::new(),
            }),
        }
    }

    /// Fires once every service has started. C#: `ApplicationStarted`.
    pub fn application_started(&self) -> CancellationToken {
        self.inner.started.token()
    }

    /// Fires when the host begins to stop. C#: `ApplicationStopping`.
    pub fn application_stopping(&self) -> CancellationToken {
        self.inner.stopping.token()
    }

    /// Fires once every service has stopped. C#: `ApplicationStopped`.
    pub fn application_stopped(&self) -> CancellationToken {
        self.inner.stopped.token()
    }

    /// Asks the host to stop, from anywhere (a service, a request handler):
    /// `run` goes on to stop the services as on Ctrl-C. Harmless when it is
    /// already stopping. C#: `StopApplication()`.
    pub fn stop_application(&self) {
        fire(&self.inner.stopping, "application_stopping");
    }

    pub(crate) fn notify_started(&self) {
        fire(&self.inner.started, "application_started");
    }

    pub(crate) fn notify_stopped(&self) {
        fire(&self.inner.stopped, "application_stopped");
    }
}

/// Cancels a lifetime token; a callback that panicked is logged (as .NET's
/// host logs "An error occurred starting/stopping the application").
fn fire(source: &CancellationTokenSource, which: &str) {
    if let Err(e) = source.cancel() {
        super::log::error(format_args!("a callback registered on {which} failed: {e}"));
    }
}

impl std::fmt::Debug for HostApplicationLifetime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostApplicationLifetime")
            .field("started", &self.inner.started.is_cancellation_requested())
            .field("stopping", &self.inner.stopping.is_cancellation_requested())
            .field("stopped", &self.inner.stopped.is_cancellation_requested())
            .finish()
    }
}
