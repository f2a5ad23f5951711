//! What a host runs: [`HostedService`] (start and stop) and
//! [`BackgroundService`] (one long `execute`, stopped by its token).

use crate::cancel::CancellationToken;
use crate::task::{BoxError, Task};
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

/// A service the host starts at startup and stops at shutdown. Both calls
/// return a task, so a service may start or stop asynchronously; a faulted
/// start fails the host's start. `token` of `stop_async` fires when the
/// shutdown timeout runs out: stop at once then. C#: `IHostedService`.
///
/// ```
/// use tasklane::hosting::HostedService;
/// use tasklane::{CancellationToken, Task};
///
/// struct Banner;
///
/// impl HostedService for Banner {
///     fn start_async(&self, _token: CancellationToken) -> Task<()> {
///         println!("starting");
///         Task::completed()
///     }
///     fn stop_async(&self, _token: CancellationToken) -> Task<()> {
///         println!("stopping");
///         Task::completed()
///     }
/// }
/// ```
pub trait HostedService: Send + Sync + 'static {
    /// Starts the service; the host goes on once the task completes. C#:
    /// `StartAsync(CancellationToken)`.
    fn start_async(&self, token: CancellationToken) -> Task<()>;

    /// Stops the service; `token` fires when the shutdown timeout runs out.
    /// C#: `StopAsync(CancellationToken)`.
    fn stop_async(&self, token: CancellationToken) -> Task<()>;
}

/// A service made of one long-running `execute`, as a worker of a queue.
/// The host starts it on the pool without waiting for it to finish (its
/// first part may even block), fires `stopping_token` at shutdown and
/// waits for `execute` to end, up to the shutdown timeout. A failure
/// (`Err`, or a panic) is logged with the service's name and where it was
/// added, and stops the host under
/// [`StopHost`](super::BackgroundServiceExceptionBehavior::StopHost).
/// Ending with the token's cancellation is a clean stop. C#:
/// `BackgroundService.ExecuteAsync(CancellationToken)`.
///
/// ```
/// use std::sync::Arc;
/// use tasklane::hosting::BackgroundService;
/// use tasklane::{BoxError, CancellationToken};
///
/// struct Worker;
///
/// impl BackgroundService for Worker {
///     async fn execute(self: Arc<Self>, stopping: CancellationToken) -> Result<(), BoxError> {
///         stopping.cancelled().await; // work until asked to stop
///         Ok(())
///     }
/// }
/// ```
pub trait BackgroundService: Send + Sync + 'static {
    /// The service's work, until `stopping_token` fires. C#:
    /// `ExecuteAsync(CancellationToken stoppingToken)`.
    fn execute(
        self: Arc<Self>,
        stopping_token: CancellationToken,
    ) -> impl Future<Output = Result<(), BoxError>> + Send + 'static;
}

/// A background service with its type erased.
pub(crate) trait Execute: Send + Sync {
    /// Starts `execute` on the pool.
    fn start(
        &self,
        stopping_token: CancellationToken,
        location: &'static Location<'static>,
    ) -> Task<()>;
}

impl<S: BackgroundService> Execute for Arc<S> {
    fn start(
        &self,
        stopping_token: CancellationToken,
        location: &'static Location<'static>,
    ) -> Task<()> {
        // Spawned where the service was added, so reports about the task
        // (a slow shutdown, a fault) name that place.
        crate::task::spawn::Spawn::work(
            crate::task::TaskCreationOptions::DENY_CHILD_ATTACH,
            location,
        )
        .spawn(crate::task::TryAsyncBody::new(
            self.clone().execute(stopping_token),
        ))
    }
}

/// What the host holds of each service.
pub(crate) enum Kind {
    Hosted(Box<dyn HostedService>),
    Background(Box<dyn Execute>),
}

/// A service added to a host: what it is, its name and where it was added.
pub(crate) struct Entry {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) location: &'static Location<'static>,
}

/// The service's type name, as .NET logs it.
pub(crate) fn name_of<S>() -> String {
    std::any::type_name::<S>().to_owned()
}

/// A shared service is a service: keep an `Arc` to read its state.
impl<S: HostedService> HostedService for Arc<S> {
    fn start_async(&self, token: CancellationToken) -> Task<()> {
        (**self).start_async(token)
    }

    fn stop_async(&self, token: CancellationToken) -> Task<()> {
        (**self).stop_async(token)
    }
}
