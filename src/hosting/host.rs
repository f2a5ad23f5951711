//! [`Host`]: runs its services from start to a graceful stop.

use super::error::HostError;
use super::inner::{Inner, Phase};
use super::lifetime::HostApplicationLifetime;
use super::log;
use super::options::HostOptions;
use super::race::{First, first};
use super::service::Entry;
use crate::signal;
use crate::task::Task;
use std::sync::Arc;
use std::time::Instant;

/// A built host: its services, its settings, its lifetime. `run` starts
/// the services in order, waits for Ctrl-C, SIGTERM or
/// [`stop_application`](HostApplicationLifetime::stop_application), then
/// stops them in reverse order within the shutdown timeout. A host runs
/// once. C#: `IHost` (`Run`, `RunAsync`, `StartAsync`, `StopAsync`).
pub struct Host {
    pub(super) inner: Arc<Inner>,
}

impl Host {
    /// A builder. C#: `Host.CreateDefaultBuilder()`.
    pub fn builder() -> super::HostBuilder {
        super::HostBuilder::new()
    }

    pub(super) fn new(
        entries: Vec<Entry>,
        options: HostOptions,
        lifetime: HostApplicationLifetime,
    ) -> Host {
        Host {
            inner: Arc::new(Inner::new(entries, options, lifetime)),
        }
    }

    /// The host's lifetime tokens. C#: `IHostApplicationLifetime`.
    pub fn lifetime(&self) -> &HostApplicationLifetime {
        &self.inner.lifetime
    }

    /// The host's settings.
    pub fn options(&self) -> &HostOptions {
        &self.inner.options
    }

    /// Starts every service (in order, or at once), then fires
    /// `application_started`. If one fails to start, the services already
    /// started are stopped and its failure returned. C#: `StartAsync`.
    pub async fn start_async(&self) -> Result<(), HostError> {
        {
            let mut s = self.inner.state();
            if s.phase != Phase::Created {
                return Err(HostError::AlreadyStarted);
            }
            s.phase = Phase::Starting;
        }
        log::debug(format_args!("Hosting starting"));
        let n = self.inner.entries.len();
        let mut failed = None;
        if self.inner.options.services_start_concurrently {
            let starts: Vec<(usize, Task<()>)> =
                (0..n).map(|i| (i, self.inner.start_one(i))).collect();
            for (i, t) in starts {
                match (&t).await {
                    Ok(()) => self.inner.state().started.push(i),
                    Err(e) => {
                        failed.get_or_insert((i, e));
                    }
                }
            }
        } else {
            for i in 0..n {
                match (&self.inner.start_one(i)).await {
                    Ok(()) => self.inner.state().started.push(i),
                    Err(e) => {
                        failed = Some((i, e));
                        break;
                    }
                }
            }
        }
        if let Some((i, error)) = failed {
            let entry = &self.inner.entries[i];
            log::error(format_args!(
                "Hosting failed to start: {} (added at {}): {error}",
                entry.name, entry.location
            ));
            self.inner.state().phase = Phase::Stopping;
            let _ = super::stop::stop_started(
                &self.inner,
                Instant::now() + self.inner.options.shutdown_timeout,
            )
            .await;
            self.inner.lifetime.notify_stopped();
            self.inner.state().phase = Phase::Stopped;
            return Err(HostError::StartFailed {
                service: entry.name.clone(),
                location: entry.location,
                error,
            });
        }
        self.inner.state().phase = Phase::Started;
        self.inner.lifetime.notify_started();
        log::info(format_args!(
            "Application started. Press Ctrl+C to shut down."
        ));
        log::info(format_args!("Hosting environment: Production"));
        if let Ok(dir) = std::env::current_dir() {
            log::info(format_args!("Content root path: {}", dir.display()));
        }
        Ok(())
    }

    /// Fires `application_stopping`, stops the started services in reverse
    /// order (or at once) within the shutdown timeout, abandoning with a
    /// warning any that does not stop in time, then fires
    /// `application_stopped`. Stopping twice, or a host never started, is
    /// harmless. C#: `StopAsync`.
    pub async fn stop_async(&self) -> Result<(), HostError> {
        {
            let mut s = self.inner.state();
            match s.phase {
                Phase::Created => {
                    s.phase = Phase::Stopped;
                    return Ok(());
                }
                Phase::Stopping | Phase::Stopped => return Ok(()),
                Phase::Starting | Phase::Started => s.phase = Phase::Stopping,
            }
        }
        log::info(format_args!("Application is shutting down..."));
        self.inner.lifetime.stop_application();
        let deadline = Instant::now() + self.inner.options.shutdown_timeout;
        let failures = super::stop::stop_started(&self.inner, deadline).await;
        self.inner.lifetime.notify_stopped();
        self.inner.state().phase = Phase::Stopped;
        log::debug(format_args!("Hosting stopped"));
        if failures.is_empty() {
            Ok(())
        } else {
            Err(HostError::StopFailed { failures })
        }
    }

    /// Waits until the host is asked to stop: Ctrl-C, SIGTERM, or
    /// `stop_application`. C#: `WaitForShutdownAsync` (without the stop).
    pub async fn wait_for_shutdown_signal(&self) {
        let signal = first(
            signal_or_never(signal::ctrl_c()),
            signal_or_never(signal::terminate()),
        );
        self.wait_for(signal).await;
    }

    async fn wait_for(&self, signal: impl std::future::Future) {
        let stopping = self.inner.lifetime.application_stopping();
        if let First::Left(_) = first(signal, stopping.cancelled()).await {
            log::debug(format_args!("a shutdown signal arrived"));
        }
    }

    /// Starts the services, waits for Ctrl-C, SIGTERM or `stop_application`,
    /// and stops them. A second Ctrl-C or SIGTERM while they stop ends the
    /// wait at once (the services still stopping are abandoned). Returns the
    /// start failure, the background failure that stopped the host, or the
    /// stop failures. C#: `RunAsync`.
    pub async fn run_async(&self) -> Result<(), HostError> {
        // Listening before the start: a signal during it is not lost.
        let signal = first(
            signal_or_never(signal::ctrl_c()),
            signal_or_never(signal::terminate()),
        );
        self.start_async().await?;
        self.wait_for(signal).await;
        let again = first(
            signal_or_never(signal::ctrl_c()),
            signal_or_never(signal::terminate()),
        );
        let stopped = match first(self.stop_async(), again).await {
            First::Left(r) => r,
            First::Right(_) => {
                log::warn(format_args!(
                    "A second shutdown signal arrived: the host stops at once, abandoning the services still stopping."
                ));
                self.inner.lifetime.notify_stopped();
                Ok(())
            }
        };
        if let Some(failure) = self.inner.state().failure.take() {
            return Err(failure);
        }
        stopped
    }

    /// [`run_async`](Self::run_async), blocking the calling thread (on a
    /// pool thread, counted as blocking). C#: `Run()`.
    pub fn run(&self) -> Result<(), HostError> {
        crate::block_on(self.run_async())
    }
}

/// A signal future whose handler could not be installed never fires (and
/// says so), rather than stopping the host at once.
async fn signal_or_never(signal: signal::SignalFuture) {
    if let Err(e) = signal.await {
        log::warn(format_args!("cannot listen for a shutdown signal: {e}"));
        std::future::pending::<()>().await;
    }
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.inner.state();
        f.debug_struct("Host")
            .field("phase", &s.phase)
            .field(
                "services",
                &self
                    .inner
                    .entries
                    .iter()
                    .map(|e| &e.name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}
