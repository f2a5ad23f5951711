//! The Generic Host: long-running services with a lifecycle, started in
//! order, stopped in reverse on Ctrl-C, SIGTERM or
//! [`HostApplicationLifetime::stop_application`], each stop bounded by what
//! is left of a shutdown timeout. Background work belongs here, with a
//! token that says when to stop, rather than in fire-and-forget calls.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use tasklane::hosting::{BackgroundService, Host};
//! use tasklane::{BoxError, CancellationToken};
//!
//! struct Heartbeat;
//!
//! impl BackgroundService for Heartbeat {
//!     async fn execute(self: Arc<Self>, stopping: CancellationToken) -> Result<(), BoxError> {
//!         while !stopping.is_cancellation_requested() {
//!             println!("alive");
//!             let _ = tasklane::Task::delay_with_token(Duration::from_secs(1), &stopping).await;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! fn main() -> Result<(), tasklane::hosting::HostError> {
//!     Host::builder()
//!         .add_background_service(Heartbeat)
//!         .shutdown_timeout(Duration::from_secs(10))
//!         .build()
//!         .run()
//! }
//! ```
//!
//! C#: `Microsoft.Extensions.Hosting` — `Host.CreateDefaultBuilder`,
//! `IHostedService`, `BackgroundService`, `IHostApplicationLifetime`,
//! `HostOptions`. Where it differs from .NET is described in
//! `docs/notes/host.md`.

mod builder;
mod error;
mod host;
mod inner;
mod lifetime;
mod log;
mod options;
mod race;
mod service;
mod stop;

pub use builder::HostBuilder;
pub use error::HostError;
pub use host::Host;
pub use lifetime::HostApplicationLifetime;
pub use options::{BackgroundServiceExceptionBehavior, HostOptions};
pub use service::{BackgroundService, HostedService};
