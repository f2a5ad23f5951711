//! [`HostOptions`]: how the host starts and stops its services.

use std::time::Duration;

/// What the host does when a [`BackgroundService`](super::BackgroundService)'s
/// `execute` fails. C#: `BackgroundServiceExceptionBehavior`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackgroundServiceExceptionBehavior {
    /// Log the failure and stop the host; `run` then returns
    /// [`HostError::BackgroundServiceFailed`](super::HostError::BackgroundServiceFailed)
    /// (a nonzero exit code from `main`). The default since .NET 6. C#:
    /// `StopHost`.
    #[default]
    StopHost,
    /// Log the failure only; the host and its other services go on. C#:
    /// `Ignore`.
    Ignore,
}

/// The host's settings. C#: `HostOptions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostOptions {
    /// The most stopping every service may take, all together; a service
    /// still stopping then is abandoned with a warning. Default 30 s, as
    /// .NET's. C#: `ShutdownTimeout`.
    pub shutdown_timeout: Duration,
    /// Start the services all at once rather than one after another
    /// (default false). C#: `ServicesStartConcurrently` (.NET 8).
    pub services_start_concurrently: bool,
    /// Stop the services all at once rather than in reverse order one after
    /// another (default false). C#: `ServicesStopConcurrently` (.NET 8).
    pub services_stop_concurrently: bool,
    /// What a failed background service does to the host. C#:
    /// `BackgroundServiceExceptionBehavior`.
    pub background_service_exception_behavior: BackgroundServiceExceptionBehavior,
}

impl Default for HostOptions {
    fn default() -> HostOptions {
        HostOptions {
            shutdown_timeout: Duration::from_secs(30),
            services_start_concurrently: false,
            services_stop_concurrently: false,
            background_service_exception_behavior: BackgroundServiceExceptionBehavior::StopHost,
        }
    }
}
