//! [`HostError`]: why a host's `run` (or `start_async`) did not end well.

use crate::task::TaskError;
use std::fmt;
use std::panic::Location;

/// Why a host did not run to a clean stop. Returned by [`Host::run`],
/// [`Host::run_async`] and [`Host::start_async`]; `main` returning it exits
/// nonzero.
///
/// [`Host::run`]: super::Host::run
/// [`Host::run_async`]: super::Host::run_async
/// [`Host::start_async`]: super::Host::start_async
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum HostError {
    /// A service's `start_async` failed; the services started before it
    /// were stopped. C#: the exception `StartAsync` throws.
    StartFailed {
        /// The service.
        service: String,
        /// Where it was added to the host.
        location: &'static Location<'static>,
        /// Its failure.
        error: TaskError,
    },
    /// A background service's `execute` failed under
    /// [`StopHost`](super::BackgroundServiceExceptionBehavior::StopHost):
    /// the host stopped. C#: the host stopping with exit code 1.
    BackgroundServiceFailed {
        /// The service.
        service: String,
        /// Where it was added to the host.
        location: &'static Location<'static>,
        /// Its failure.
        error: TaskError,
    },
    /// Some services' `stop_async` failed (each was logged); every service
    /// was still asked to stop. C#: the `AggregateException` of
    /// `StopAsync`.
    StopFailed {
        /// Each failed service and its failure.
        failures: Vec<(String, TaskError)>,
    },
    /// `start_async` or `run` was called on a host that had already
    /// started. C#: none (a host runs once).
    AlreadyStarted,
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::StartFailed {
                service,
                location,
                error,
            } => write!(
                f,
                "the hosted service {service} (added at {location}) failed to start: {error}"
            ),
            HostError::BackgroundServiceFailed {
                service,
                location,
                error,
            } => write!(
                f,
                "the background service {service} (added at {location}) failed, and the host stopped: {error}"
            ),
            HostError::StopFailed { failures } => {
                write!(f, "{} hosted service(s) failed to stop:", failures.len())?;
                for (name, e) in failures {
                    write!(f, " {name}: {e};")?;
                }
                Ok(())
            }
            HostError::AlreadyStarted => {
                f.write_str("the host was already started; a host runs once")
            }
        }
    }
}

impl std::error::Error for HostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HostError::StartFailed { error, .. }
            | HostError::BackgroundServiceFailed { error, .. } => Some(error),
            _ => None,
        }
    }
}
