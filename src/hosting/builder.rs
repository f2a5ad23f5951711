//! [`HostBuilder`]: the services and settings of a host.

use super::host::Host;
use super::lifetime::HostApplicationLifetime;
use super::options::{BackgroundServiceExceptionBehavior, HostOptions};
use super::service::{BackgroundService, Entry, HostedService, Kind, name_of};
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

/// Collects a host's services (started in the order added, stopped in
/// reverse) and settings; [`build`](Self::build) makes the [`Host`]. C#:
/// `Host.CreateDefaultBuilder()` / `Host.CreateApplicationBuilder()` with
/// `services.AddHostedService<T>()` and `Configure<HostOptions>`.
#[must_use = "a builder does nothing until `build`"]
pub struct HostBuilder {
    entries: Vec<Entry>,
    options: HostOptions,
    lifetime: HostApplicationLifetime,
}

impl HostBuilder {
    pub(crate) fn new() -> HostBuilder {
        HostBuilder {
            entries: Vec::new(),
            options: HostOptions::default(),
            lifetime: HostApplicationLifetime::new(),
        }
    }

    /// Adds a service with a start and a stop. C#: `AddHostedService<T>()`.
    #[track_caller]
    pub fn add_hosted_service<S: HostedService>(mut self, service: S) -> HostBuilder {
        self.entries.push(Entry {
            kind: Kind::Hosted(Box::new(service)),
            name: name_of::<S>(),
            location: Location::caller(),
        });
        self
    }

    /// Adds a background service. C#: `AddHostedService<T>()` for a
    /// `BackgroundService`.
    #[track_caller]
    pub fn add_background_service<S: BackgroundService>(self, service: S) -> HostBuilder {
        self.add_background_service_shared(Arc::new(service))
    }

    /// Adds a background service you keep a reference to (to read its
    /// state from elsewhere, say).
    #[track_caller]
    pub fn add_background_service_shared<S: BackgroundService>(
        mut self,
        service: Arc<S>,
    ) -> HostBuilder {
        self.entries.push(Entry {
            kind: Kind::Background(Box::new(service)),
            name: name_of::<S>(),
            location: Location::caller(),
        });
        self
    }

    /// All settings at once. C#: `Configure<HostOptions>(…)`.
    pub fn options(mut self, options: HostOptions) -> HostBuilder {
        self.options = options;
        self
    }

    /// How long stopping may take in all (default 30 s). C#:
    /// `HostOptions.ShutdownTimeout`.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> HostBuilder {
        self.options.shutdown_timeout = timeout;
        self
    }

    /// Start every service at once (default: one after another). C#:
    /// `HostOptions.ServicesStartConcurrently`.
    pub fn services_start_concurrently(mut self, yes: bool) -> HostBuilder {
        self.options.services_start_concurrently = yes;
        self
    }

    /// Stop every service at once (default: in reverse order, one after
    /// another). C#: `HostOptions.ServicesStopConcurrently`.
    pub fn services_stop_concurrently(mut self, yes: bool) -> HostBuilder {
        self.options.services_stop_concurrently = yes;
        self
    }

    /// What a failed background service does (default
    /// [`StopHost`](BackgroundServiceExceptionBehavior::StopHost)). C#:
    /// `HostOptions.BackgroundServiceExceptionBehavior`.
    pub fn background_service_exception_behavior(
        mut self,
        behavior: BackgroundServiceExceptionBehavior,
    ) -> HostBuilder {
        self.options.background_service_exception_behavior = behavior;
        self
    }

    /// The lifetime of the host being built, to hand to services before it
    /// exists (so one can call `stop_application`). C#: injecting
    /// `IHostApplicationLifetime`.
    pub fn lifetime(&self) -> HostApplicationLifetime {
        self.lifetime.clone()
    }

    /// The host. C#: `Build()`.
    pub fn build(self) -> Host {
        Host::new(self.entries, self.options, self.lifetime)
    }
}

impl std::fmt::Debug for HostBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostBuilder")
            .field(
                "services",
                &self.entries.iter().map(|e| &e.name).collect::<Vec<_>>(),
            )
            .field("options", &self.options)
            .finish()
    }
}
