//! [`Host`]: runs its services from start to a graceful stop.

use super::error::HostError;
use super::lifetime::HostApplicationLifetime;
use super::log;
use super::options::{BackgroundServiceExceptionBehavior, HostOptions};
use super::race::{First, first};
use super::service::{Entry, Kind};
use crate::cancel::{CancellationToken, CancellationTokenSource};
use crate::signal;
use crate::task::Task;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// A built host: its services, its settings, its lifetime. `run` starts
/// the services in order, waits for Ctrl-C, SIGTERM or
/// [`stop_application`](HostApplicationLifetime::stop_application), then
/// stops them in reverse order within the shutdown timeout. A host runs
/// once. C#: `IHost` (`Run`, `RunAsync`, `StartAsync`, `StopAsync`).
pub struct Host {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) entries: Vec<Entry>,
    pub(super) options: HostOptions,
    pub(super) lifetime: HostApplicationLifetime,
    state: Mutex<State>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Created,
    Starting,
    Started,
    Stopping,
    Stopped,
}

struct State {
    phase: Phase,
    /// Services started, by index, in the order they started.
    started: Vec<usize>,
    /// Background services running: index, stopping source, `execute`'s task.
    running: Vec<(usize, Arc<CancellationTokenSource>, Task<()>)>,
    /// The background failure that stopped the host.
    failure: Option<HostError>,
}

/// How one service is stopped: what to wait for.
pub(super) struct Stopping {
    pub(super) index: usize,
    pub(super) task: Task<()>,
    /// A hosted service's own stop (its failure is a stop failure); a
    /// background service's `execute` (its failure was already reported).
    pub(super) is_stop_call: bool,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts service `i`: the task a hosted service's start returned, or,
    /// for a background service, a completed task once `execute` is queued.
    fn start_one(self: &Arc<Self>, i: usize) -> Task<()> {
        let entry = &self.entries[i];
        match &entry.kind {
            Kind::Hosted(s) => s.start_async(CancellationToken::none()),
            Kind::Background(s) => {
                let stopping = Arc::new(CancellationTokenSource::new());
                let task = s.start(stopping.token(), entry.location);
                self.state().running.push((i, stopping, task.clone()));
                self.watch(i, task);
                Task::completed()
            }
        }
    }

    /// Reports a background service's failure when its `execute` ends.
    fn watch(self: &Arc<Self>, i: usize, task: Task<()>) {
        let inner = self.clone();
        Task::run_async(async move {
            let Err(error) = (&task).await else { return };
            if error.is_canceled() {
                return; // ended by its token: a clean stop
            }
            let entry = &inner.entries[i];
            log::error(format_args!(
                "BackgroundService failed: {} (added at {}): {error}",
                entry.name, entry.location
            ));
            if inner.options.background_service_exception_behavior
                == BackgroundServiceExceptionBehavior::StopHost
            {
                log::error(format_args!(
                    "The HostOptions.BackgroundServiceExceptionBehavior is configured to StopHost. \
                     A BackgroundService has failed, and the host is stopping. To avoid this \
                     behavior, configure this to Ignore; however the BackgroundService will not be \
                     restarted."
                ));
                inner
                    .state()
                    .failure
                    .get_or_insert(HostError::BackgroundServiceFailed {
                        service: entry.name.clone(),
                        location: entry.location,
                        error,
                    });
                inner.lifetime.stop_application();
            }
        })
        .forget();
    }

    /// What stopping service `i` means now; `token` fires at the deadline.
    pub(super) fn stop_one(&self, i: usize, token: &CancellationToken) -> Stopping {
        match &self.entries[i].kind {
            Kind::Hosted(s) => Stopping {
                index: i,
                task: s.stop_async(token.clone()),
                is_stop_call: true,
            },
            Kind::Background(_) => {
                let run = {
                    let s = self.state();
                    s.running
                        .iter()
                        .find(|(j, _, _)| *j == i)
                        .map(|(_, cts, t)| (cts.clone(), t.clone()))
                };
                let task = match run {
                    Some((cts, t)) => {
                        if let Err(e) = cts.cancel() {
                            log::error(format_args!(
                                "a callback on the stopping token of {} failed: {e}",
                                self.entries[i].name
                            ));
                        }
                        t
                    }
                    None => Task::completed(),
                };
                Stopping {
                    index: i,
                    task,
                    is_stop_call: false,
                }
            }
        }
    }
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
            inner: Arc::new(Inner {
                entries,
                options,
                lifetime,
                state: Mutex::new(State {
                    phase: Phase::Created,
                    started: Vec::new(),
                    running: Vec::new(),
                    failure: None,
                }),
            }),
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

impl Inner {
    /// The services started, in the order they started.
    pub(super) fn started(&self) -> Vec<usize> {
        self.state().started.clone()
    }
}
